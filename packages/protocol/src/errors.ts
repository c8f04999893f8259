/** Codes of {@link ProtocolError}: local problems with frames or input, found before anything is sent. */
export type ProtocolErrorCode =
  | 'FRAME_NOT_JSON'
  | 'FRAME_INVALID'
  | 'FRAME_UNKNOWN_TYPE'
  | 'INVALID_CLIENT_ID'
  | 'INVALID_CLIENT_MODE'
  | 'INVALID_PARAMS'
  | 'INVALID_ENCODING'
  | 'INVALID_KEY'
  | 'INVALID_HELLO'

/** A malformed frame from the wire or invalid local input; never a gateway's verdict. */
export class ProtocolError extends Error {
  override name = 'ProtocolError' as const
  readonly code: ProtocolErrorCode
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Codes of {@link SignerError}; every signer back-end throws only these (docs/errors.md). */
export type SignerErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_FILE_INSECURE'
  | 'KEY_FILE_CORRUPT'
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_EXISTS'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'KEYTAR_NOT_BUILT'
  | 'AGENT_UNAVAILABLE'
  | 'AGENT_KEY_NOT_FOUND'
  | 'AGENT_KEY_AMBIGUOUS'
  | 'AGENT_REFUSED'
  | 'AGENT_PROTOCOL'
  | 'EXEC_FAILED'
  | 'EXEC_TIMEOUT'
  | 'EXEC_BAD_OUTPUT'
  | 'PKCS11_NOT_BUILT'
  | 'PKCS11_URI_INVALID'
  | 'PKCS11_MODULE_NOT_FOUND'
  | 'PKCS11_MODULE_INVALID'
  | 'PKCS11_TOKEN_NOT_FOUND'
  | 'PKCS11_PIN_REQUIRED'
  | 'PKCS11_PIN_FILE_INSECURE'
  | 'PKCS11_PIN_INCORRECT'
  | 'PKCS11_PIN_LOCKED'
  | 'PKCS11_KEY_NOT_FOUND'
  | 'PKCS11_KEY_AMBIGUOUS'
  | 'PKCS11_KEY_NOT_ED25519'
  | 'PKCS11_MECHANISM_UNSUPPORTED'
  | 'PKCS11_DEVICE_ERROR'
  | 'SIGNER_TIMEOUT'
  | 'ABORTED'
  | 'INVALID_OPTIONS'
  | 'INVALID_SIGNATURE'

/** A device signer could not produce a key or a signature. */
export class SignerError extends Error {
  override name = 'SignerError' as const
  readonly code: SignerErrorCode
  readonly remedy: string | undefined
  constructor(code: SignerErrorCode, message: string, options?: { cause?: unknown; remedy?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.remedy = options?.remedy
  }
}

/** Stable codes of {@link GatewayError}: what the gateway said, whatever its version. */
export type GatewayErrorCode =
  | 'PROTOCOL_MISMATCH'
  | 'PAIRING_REQUIRED'
  | 'SCOPE_UPGRADE_PENDING'
  | 'AUTH_TOKEN_MISMATCH'
  | 'AUTH_TOKEN_MISSING'
  | 'AUTH_PASSWORD_MISMATCH'
  | 'AUTH_PASSWORD_MISSING'
  | 'AUTH_DEVICE_TOKEN_MISMATCH'
  | 'AUTH_SCOPE_MISMATCH'
  | 'AUTH_RATE_LIMITED'
  | 'AUTH_FAILED'
  | 'DEVICE_IDENTITY_REQUIRED'
  | 'DEVICE_SIGNATURE_EXPIRED'
  | 'DEVICE_SIGNATURE_INVALID'
  | 'DEVICE_NONCE_MISMATCH'
  | 'DEVICE_ID_MISMATCH'
  | 'DEVICE_PUBLIC_KEY_INVALID'
  | 'INVALID_CONNECT_PARAMS'
  | 'INVALID_PARAMS'
  | 'MISSING_SCOPE'
  | 'JOB_NOT_FOUND'
  | 'RATE_LIMITED'
  | 'GATEWAY_STARTING'
  | 'UNAVAILABLE'
  | 'FORBIDDEN'
  | 'UNKNOWN_METHOD'
  | 'GATEWAY_ERROR'

/** The shape of `res.error` on the wire (PROTOCOL.md §1.2). */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
  retryable?: boolean
  retryAfterMs?: number
}

/** What the gateway answered when it refused something, classified, with the one-line fix. */
export class GatewayError extends Error {
  override name = 'GatewayError' as const
  readonly code: GatewayErrorCode
  /** `error.code` as sent (`INVALID_REQUEST`, `NOT_PAIRED`, …). */
  readonly gatewayCode: string
  /** `error.details.code` as sent, when present. */
  readonly detailCode: string | undefined
  readonly details: Record<string, unknown>
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly remedy: string
  readonly requestId: string | undefined
  readonly missingScope: string | undefined
  readonly jobId: string | undefined
  constructor(init: {
    code: GatewayErrorCode
    message: string
    gatewayCode: string
    detailCode?: string | undefined
    details?: Record<string, unknown>
    retryable?: boolean
    retryAfterMs?: number | undefined
    remedy: string
    requestId?: string | undefined
    missingScope?: string | undefined
    jobId?: string | undefined
  }) {
    super(init.message)
    this.code = init.code
    this.gatewayCode = init.gatewayCode
    this.detailCode = init.detailCode
    this.details = init.details ?? {}
    this.retryable = init.retryable ?? false
    this.retryAfterMs = init.retryAfterMs
    this.remedy = init.remedy
    this.requestId = init.requestId
    this.missingScope = init.missingScope
    this.jobId = init.jobId
  }
}

/** Context that makes a classified error more precise. */
export interface ClassifyContext {
  method?: string
  params?: unknown
  clientMinProtocol?: number
  clientMaxProtocol?: number
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/** The command an operator runs on the gateway host to approve a pending request (§5.4). */
export function approveCommand(requestId: string | undefined): string {
  return requestId
    ? `openclaw devices approve ${requestId}`
    : 'openclaw devices list, then openclaw devices approve <requestId>'
}

// recommendedNextStep values (PROTOCOL.md §5.1) → what the operator should do.
const NEXT_STEP_REMEDY: Record<string, string> = {
  update_auth_credentials:
    "use this gateway's gateway.auth.token: put it in a file and pass --token-file, or set OPENCLAW_GATEWAY_TOKEN",
  update_auth_configuration:
    'provide the gateway token (--token-file, --token-stdin or OPENCLAW_GATEWAY_TOKEN) or the password (--password-file)',
  retry_with_device_token: 'retry: the stored device token will be used',
  wait_then_retry: 'wait a moment, then retry',
  review_auth_configuration:
    'check the gateway auth settings (gateway.auth.*) and the scopes this device was approved for',
}

const AUTH_CODES: Record<string, GatewayErrorCode> = {
  AUTH_TOKEN_MISMATCH: 'AUTH_TOKEN_MISMATCH',
  AUTH_TOKEN_MISSING: 'AUTH_TOKEN_MISSING',
  AUTH_TOKEN_NOT_CONFIGURED: 'AUTH_FAILED',
  AUTH_PASSWORD_MISMATCH: 'AUTH_PASSWORD_MISMATCH',
  AUTH_PASSWORD_MISSING: 'AUTH_PASSWORD_MISSING',
  AUTH_PASSWORD_NOT_CONFIGURED: 'AUTH_FAILED',
  AUTH_DEVICE_TOKEN_MISMATCH: 'AUTH_DEVICE_TOKEN_MISMATCH',
  AUTH_SCOPE_MISMATCH: 'AUTH_SCOPE_MISMATCH',
  AUTH_RATE_LIMITED: 'AUTH_RATE_LIMITED',
  AUTH_REQUIRED: 'AUTH_FAILED',
  AUTH_UNAUTHORIZED: 'AUTH_FAILED',
  AUTH_BOOTSTRAP_TOKEN_INVALID: 'AUTH_FAILED',
}

const AUTH_REMEDY: Partial<Record<GatewayErrorCode, string>> = {
  AUTH_TOKEN_MISMATCH: NEXT_STEP_REMEDY.update_auth_credentials!,
  AUTH_TOKEN_MISSING: NEXT_STEP_REMEDY.update_auth_configuration!,
  AUTH_PASSWORD_MISMATCH:
    "use this gateway's gateway.auth.password: pass --password-file or set OPENCLAW_GATEWAY_PASSWORD",
  AUTH_PASSWORD_MISSING: 'provide the gateway password with --password-file or OPENCLAW_GATEWAY_PASSWORD',
  AUTH_DEVICE_TOKEN_MISMATCH:
    'the cached device token is stale: it was cleared; connect again with the shared gateway token (--token-file or OPENCLAW_GATEWAY_TOKEN)',
  AUTH_SCOPE_MISMATCH:
    'this device was approved for fewer scopes: connect with the shared gateway token so the upgrade can be approved, or approve it with openclaw devices approve',
  AUTH_RATE_LIMITED:
    'too many failed logins from this address: wait for the lockout to end (about 5 minutes), then retry with the right token',
}

// Device-proof failures (PROTOCOL.md §4.3).
const DEVICE_CODES: Record<string, [GatewayErrorCode, string]> = {
  DEVICE_AUTH_SIGNATURE_EXPIRED: [
    'DEVICE_SIGNATURE_EXPIRED',
    "the signature's time is more than 2 minutes from the gateway's clock: fix this machine's clock (enable NTP) or the gateway's",
  ],
  DEVICE_AUTH_SIGNATURE_INVALID: [
    'DEVICE_SIGNATURE_INVALID',
    'the device signature did not verify: check that the signer holds the key whose public key is sent (clawlink device show)',
  ],
  DEVICE_AUTH_NONCE_MISMATCH: [
    'DEVICE_NONCE_MISMATCH',
    'reconnect: a fresh challenge nonce is needed for every connect',
  ],
  DEVICE_AUTH_NONCE_REQUIRED: [
    'DEVICE_NONCE_MISMATCH',
    'reconnect: a fresh challenge nonce is needed for every connect',
  ],
  DEVICE_AUTH_DEVICE_ID_MISMATCH: [
    'DEVICE_ID_MISMATCH',
    'the device id must be the lowercase sha256 hex of the public key: report this as a clawlink bug',
  ],
  DEVICE_AUTH_PUBLIC_KEY_INVALID: [
    'DEVICE_PUBLIC_KEY_INVALID',
    'the public key was not accepted: use an Ed25519 key (clawlink device init)',
  ],
}

const PROTOCOL_REMEDY = 'use a client that speaks the protocol the gateway expects, or upgrade the gateway'

function classifyPairing(error: WireError, details: Record<string, unknown>, base: BaseInit): GatewayError {
  const requestId = str(details.requestId) ?? /requestId:\s*([\w-]+)/.exec(error.message)?.[1]
  const reason = str(details.reason)
  const approve = approveCommand(requestId)
  if (reason === 'scope-upgrade') {
    return new GatewayError({
      ...base,
      code: 'SCOPE_UPGRADE_PENDING',
      message: `scope upgrade pending approval${requestId ? ` (requestId ${requestId})` : ''}: ${error.message}`,
      requestId,
      remedy: `on the gateway host run "${approve}", then retry (approvals expire after 5 minutes)`,
    })
  }
  const what =
    reason === 'metadata-upgrade'
      ? "the device's platform changed since it was paired"
      : reason === 'role-upgrade'
        ? 'the device asks for a role it was not approved for'
        : 'this device is not paired with the gateway yet'
  return new GatewayError({
    ...base,
    code: 'PAIRING_REQUIRED',
    message: `pairing required${requestId ? ` (requestId ${requestId})` : ''}: ${what}`,
    requestId,
    remedy: `on the gateway host run "${approve}", then retry (approvals expire after 5 minutes)`,
  })
}

type BaseInit = {
  gatewayCode: string
  detailCode: string | undefined
  details: Record<string, unknown>
  retryable: boolean
  retryAfterMs: number | undefined
}

/**
 * Maps a gateway `res.error` of any version (v3 text or v4 details) to one typed error with a one-line fix
 * (PROTOCOL.md §1.3, §4.3, §5, §7.2, §7.5, §11).
 */
export function classifyGatewayError(error: WireError, context: ClassifyContext = {}): GatewayError {
  const details = error.details && typeof error.details === 'object' ? error.details : {}
  const detailCode = str(details.code)
  const message = typeof error.message === 'string' ? error.message : String(error.message)
  const base: BaseInit = {
    gatewayCode: error.code,
    detailCode,
    details,
    retryable: error.retryable === true,
    retryAfterMs: num(error.retryAfterMs),
  }
  const make = (
    code: GatewayErrorCode,
    remedy: string,
    extra: Partial<ConstructorParameters<typeof GatewayError>[0]> = {},
  ) => new GatewayError({ ...base, code, message, remedy, ...extra })

  // Missing scope: v3 INVALID_REQUEST "missing scope: X" and v4 FORBIDDEN + MISSING_SCOPE (§5.7).
  const scopeText = /^missing scope: (\S+)/.exec(message)?.[1]
  if (detailCode === 'MISSING_SCOPE' || scopeText) {
    const scope = str(details.missingScope) ?? scopeText ?? 'unknown'
    const method = context.method ? ` for ${context.method}` : ''
    return make(
      'MISSING_SCOPE',
      `this connection lacks ${scope}${method}: connect with a paired device identity that was approved for it (clawlink requests operator.admin on its first connect; approve a pending upgrade with openclaw devices approve)`,
      { missingScope: scope, message: `missing scope: ${scope}${method}` },
    )
  }
  // Unknown cron job: v3 UNAVAILABLE "Error: unknown cron job id: X", v4 CRON_JOB_NOT_FOUND (§7.2).
  const jobText = /unknown cron job id: (.+)$/.exec(message)?.[1]
  if (detailCode === 'CRON_JOB_NOT_FOUND' || jobText) {
    const jobId = str(details.jobId) ?? jobText?.trim()
    return make('JOB_NOT_FOUND', 'list the jobs (clawlink cron list) and use an existing id or exact name', {
      jobId,
      message: `unknown cron job: ${jobId ?? '(unknown id)'}`,
      retryable: false,
    })
  }
  if (detailCode === 'PROTOCOL_MISMATCH' || message === 'protocol mismatch') {
    const expected = num(details.expectedProtocol)
    const min = num(details.clientMinProtocol) ?? context.clientMinProtocol
    const max = num(details.clientMaxProtocol) ?? context.clientMaxProtocol
    const range =
      min !== undefined && max !== undefined ? (min === max ? `${min}` : `${min}–${max}`) : 'its range'
    return make('PROTOCOL_MISMATCH', PROTOCOL_REMEDY, {
      message: `protocol mismatch: client speaks ${range}, gateway expects ${expected ?? 'another version'}`,
    })
  }
  if (
    detailCode === 'PAIRING_REQUIRED' ||
    (error.code === 'NOT_PAIRED' && message.startsWith('pairing required'))
  ) {
    return classifyPairing(error, details, base)
  }
  if (detailCode === 'DEVICE_IDENTITY_REQUIRED' || message === 'device identity required') {
    return make(
      'DEVICE_IDENTITY_REQUIRED',
      'connect with a device identity (clawlink device init) or with the shared gateway token',
    )
  }
  if (detailCode === 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED') {
    return make('DEVICE_IDENTITY_REQUIRED', 'connect with a device identity (clawlink device init)')
  }
  if (detailCode && detailCode in DEVICE_CODES) {
    const [code, remedy] = DEVICE_CODES[detailCode]!
    return make(code, remedy)
  }
  if (detailCode && detailCode in AUTH_CODES) {
    const code = AUTH_CODES[detailCode]!
    const step = str(details.recommendedNextStep)
    const remedy = AUTH_REMEDY[code] ?? (step && NEXT_STEP_REMEDY[step]) ?? 'check the gateway credentials'
    return make(code, remedy)
  }
  if (message.startsWith('unauthorized')) {
    const step = str(details.recommendedNextStep)
    return make('AUTH_FAILED', (step && NEXT_STEP_REMEDY[step]) ?? 'check the gateway token or password')
  }
  if (detailCode === 'CONTROL_UI_ORIGIN_NOT_ALLOWED') {
    return make(
      'FORBIDDEN',
      'do not send an Origin header, or add the origin to gateway.controlUi.allowedOrigins',
    )
  }
  if (/^gateway starting/.test(message) || details.reason === 'startup-sidecars') {
    return make('GATEWAY_STARTING', 'the gateway is starting: retry in a moment', {
      retryable: true,
      retryAfterMs: base.retryAfterMs ?? 500,
    })
  }
  if (/^rate limit exceeded/.test(message)) {
    const secs = base.retryAfterMs === undefined ? 'a minute' : `${Math.ceil(base.retryAfterMs / 1000)} s`
    return make(
      'RATE_LIMITED',
      `the gateway allows ${str(details.limit) ?? '30 per 60s'}: retry after ${secs}`,
      {
        retryable: true,
      },
    )
  }
  if (/^unknown method/.test(message)) {
    return make(
      'UNKNOWN_METHOD',
      'check the method name; the gateway lists its methods in hello-ok features.methods',
    )
  }
  if (message.startsWith('invalid connect params')) {
    return make(
      'INVALID_CONNECT_PARAMS',
      'this gateway rejected the connect parameters: upgrade clawlink or report a bug',
    )
  }
  if (error.code === 'INVALID_REQUEST' && /^invalid .* params/.test(message)) {
    return make('INVALID_PARAMS', 'check the parameters of the call')
  }
  if (error.code === 'FORBIDDEN') return make('FORBIDDEN', 'this connection is not allowed to do that')
  if (error.code === 'UNAVAILABLE') {
    return make('UNAVAILABLE', base.retryable ? 'retry in a moment' : 'see the gateway log for the cause')
  }
  return make('GATEWAY_ERROR', 'see the message; the gateway log has more detail')
}

/** Our names for WebSocket close codes (PROTOCOL.md §8). */
export type CloseMeaningCode =
  | 'NORMAL_OR_HANDSHAKE_TIMEOUT'
  | 'PROTOCOL_MISMATCH'
  | 'NO_STATUS'
  | 'ABNORMAL'
  | 'POLICY_VIOLATION'
  | 'FRAME_TOO_LARGE'
  | 'SERVICE_RESTART'
  | 'GATEWAY_STARTING'
  | 'TICK_TIMEOUT'
  | 'AUTH_CHANGED'
  | 'UNKNOWN'

const CLOSE_MEANINGS: Record<number, [CloseMeaningCode, string, boolean]> = {
  1000: [
    'NORMAL_OR_HANDSHAKE_TIMEOUT',
    'closed by the gateway: before hello this is its pre-auth handshake timeout (3 s on 2026.3.13) or a rejected first frame',
    true,
  ],
  1002: [
    'PROTOCOL_MISMATCH',
    'protocol mismatch: the gateway does not speak the offered protocol range',
    false,
  ],
  1005: ['NO_STATUS', 'closed without a status code', true],
  1006: [
    'ABNORMAL',
    'the connection dropped without a close frame (gateway crashed, network cut, or an upgrade refused for untrusted forwarded headers)',
    true,
  ],
  1008: [
    'POLICY_VIOLATION',
    'refused by the gateway (auth, pairing, device proof or invalid request)',
    false,
  ],
  1009: ['FRAME_TOO_LARGE', 'a frame exceeded the size limit (64 KiB before hello)', false],
  1012: ['SERVICE_RESTART', 'the gateway is restarting', true],
  1013: ['GATEWAY_STARTING', 'the gateway is still starting', true],
  4000: ['TICK_TIMEOUT', 'no tick from the gateway within twice the tick interval', true],
  4001: ['AUTH_CHANGED', "the gateway's shared secret changed: reconnect with the new token", false],
}

/** Meaning of a WebSocket close code sent by (or observed from) the gateway (§8). */
export function describeCloseCode(
  code: number,
  reason?: string,
): { code: CloseMeaningCode; meaning: string; retryable: boolean } {
  const known = CLOSE_MEANINGS[code]
  const suffix = reason ? ` (reason: ${reason})` : ''
  if (!known) return { code: 'UNKNOWN', meaning: `closed with code ${code}${suffix}`, retryable: false }
  return { code: known[0], meaning: `${known[1]}${suffix}`, retryable: known[2] }
}
