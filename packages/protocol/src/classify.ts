import { GatewayError, type GatewayErrorCode, type GatewayErrorOptions, type WireError } from './errors.js'

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

/**
 * True for an id the gateway could have minted (UUIDs, base64url tokens): safe to paste into a suggested shell
 * command. Anything else from a gateway (quotes, spaces, `;`, control characters) is never pasted.
 */
export function isSafeGatewayId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id)
}

/** The command an operator runs on the gateway host to approve a pending request (docs/protocol.md §5.4). */
export function approveCommand(requestId: string | undefined): string {
  return isSafeGatewayId(requestId)
    ? `openclaw devices approve ${requestId}`
    : 'openclaw devices list, then openclaw devices approve <requestId>'
}

// recommendedNextStep values (docs/protocol.md §5.1) → what the operator should do.
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
    'the cached device token is stale (the gateway retires a pairing when an operator removes it, or when a newer client with the same name paired silently and this one was not connected): it was cleared; connect again with the shared gateway token (--token-file or OPENCLAW_GATEWAY_TOKEN)',
  AUTH_SCOPE_MISMATCH:
    'this device was approved for fewer scopes: connect with the shared gateway token so the upgrade can be approved, or approve it with openclaw devices approve',
  AUTH_RATE_LIMITED:
    'too many failed logins from this address: wait for the lockout to end (about 5 minutes), then retry with the right token',
}

// Device-proof failures (docs/protocol.md §4.3).
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
  const sent = str(details.requestId) ?? /requestId:\s*([\w-]+)/.exec(error.message)?.[1]
  const requestId = isSafeGatewayId(sent) ? sent : undefined
  const reason = str(details.reason)
  const approve = approveCommand(requestId)
  if (reason === 'scope-upgrade') {
    return new GatewayError(
      'SCOPE_UPGRADE_PENDING',
      `scope upgrade pending approval${requestId ? ` (requestId ${requestId})` : ''}: ${error.message}`,
      {
        ...base,
        requestId,
        remedy: `on the gateway host run "${approve}", then retry (approvals expire after 5 minutes)`,
      },
    )
  }
  const what =
    reason === 'metadata-upgrade'
      ? "the device's platform changed since it was paired"
      : reason === 'role-upgrade'
        ? 'the device asks for a role it was not approved for'
        : 'this device is not paired with the gateway yet'
  return new GatewayError(
    'PAIRING_REQUIRED',
    `pairing required${requestId ? ` (requestId ${requestId})` : ''}: ${what}`,
    {
      ...base,
      requestId,
      remedy: `on the gateway host run "${approve}", then retry (approvals expire after 5 minutes)`,
    },
  )
}

type BaseInit = {
  gatewayCode: string
  detailCode: string | undefined
  details: Record<string, unknown>
  retryable: boolean
  retryAfterMs: number | undefined
}

/** What every classification rule sees. */
interface Facts {
  error: WireError
  details: Record<string, unknown>
  detailCode: string | undefined
  message: string
  base: BaseInit
  context: ClassifyContext
  make: (
    code: GatewayErrorCode,
    remedy: string,
    extra?: Partial<GatewayErrorOptions> & { message?: string },
  ) => GatewayError
}

type Rule = (f: Facts) => GatewayError | undefined

// Missing scope: v3 INVALID_REQUEST "missing scope: X" and v4 FORBIDDEN + MISSING_SCOPE (docs/protocol.md §5.7).
const missingScopeRule: Rule = ({ details, detailCode, message, context, make }) => {
  const scopeText = /^missing scope: (\S+)/.exec(message)?.[1]
  if (detailCode !== 'MISSING_SCOPE' && !scopeText) return undefined
  const scope = str(details.missingScope) ?? scopeText ?? 'unknown'
  const method = context.method ? ` for ${context.method}` : ''
  return make(
    'MISSING_SCOPE',
    `this connection lacks ${scope}${method}: connect with a paired device identity that was approved for it (clawlink requests operator.admin on its first connect; approve a pending upgrade with openclaw devices approve)`,
    { missingScope: scope, message: `missing scope: ${scope}${method}` },
  )
}

// Unknown cron job: v3 UNAVAILABLE "Error: unknown cron job id: X", v4 CRON_JOB_NOT_FOUND (docs/protocol.md §7.2).
const unknownJobRule: Rule = ({ details, detailCode, message, make }) => {
  const jobText = /unknown cron job id: (.+)$/.exec(message)?.[1]
  if (detailCode !== 'CRON_JOB_NOT_FOUND' && !jobText) return undefined
  const jobId = str(details.jobId) ?? jobText?.trim()
  return make('JOB_NOT_FOUND', 'list the jobs (clawlink cron list) and use an existing id or exact name', {
    jobId,
    message: `unknown cron job: ${jobId ?? '(unknown id)'}`,
    retryable: false,
  })
}

const protocolRule: Rule = ({ details, detailCode, message, context, make }) => {
  if (detailCode !== 'PROTOCOL_MISMATCH' && message !== 'protocol mismatch') return undefined
  const expected = num(details.expectedProtocol)
  const min = num(details.clientMinProtocol) ?? context.clientMinProtocol
  const max = num(details.clientMaxProtocol) ?? context.clientMaxProtocol
  const range =
    min !== undefined && max !== undefined ? (min === max ? `${min}` : `${min}–${max}`) : 'its range'
  return make('PROTOCOL_MISMATCH', PROTOCOL_REMEDY, {
    message: `protocol mismatch: client speaks ${range}, gateway expects ${expected ?? 'another version'}`,
  })
}

const pairingRule: Rule = ({ error, details, detailCode, message, base }) =>
  detailCode === 'PAIRING_REQUIRED' || (error.code === 'NOT_PAIRED' && message.startsWith('pairing required'))
    ? classifyPairing(error, details, base)
    : undefined

const identityRule: Rule = ({ detailCode, message, make }) => {
  if (detailCode === 'DEVICE_IDENTITY_REQUIRED' || message === 'device identity required')
    return make(
      'DEVICE_IDENTITY_REQUIRED',
      'connect with a device identity (clawlink device init) or with the shared gateway token',
    )
  if (detailCode === 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED')
    return make('DEVICE_IDENTITY_REQUIRED', 'connect with a device identity (clawlink device init)')
  return undefined
}

/** `table[key]` for the table's own keys only: a gateway's "constructor" or "__proto__" is no entry. */
function own<T>(table: Record<string, T>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined
}

const deviceProofRule: Rule = ({ detailCode, make }) => {
  const entry = own(DEVICE_CODES, detailCode)
  if (!entry) return undefined
  const [code, remedy] = entry
  // A nonce problem is cured by the fresh challenge of the next connect; the others need a fix.
  return make(code, remedy, { retryable: code === 'DEVICE_NONCE_MISMATCH' })
}

const authRule: Rule = ({ details, detailCode, message, make }) => {
  const stepRemedy = own(NEXT_STEP_REMEDY, str(details.recommendedNextStep))
  const code = own(AUTH_CODES, detailCode)
  if (code) return make(code, AUTH_REMEDY[code] ?? stepRemedy ?? 'check the gateway credentials')
  if (message.startsWith('unauthorized'))
    return make('AUTH_FAILED', stepRemedy ?? 'check the gateway token or password')
  if (detailCode === 'CONTROL_UI_ORIGIN_NOT_ALLOWED')
    return make(
      'FORBIDDEN',
      'do not send an Origin header, or add the origin to gateway.controlUi.allowedOrigins',
    )
  return undefined
}

const availabilityRule: Rule = ({ details, message, base, make }) => {
  if (/^gateway starting/.test(message) || details.reason === 'startup-sidecars') {
    return make('GATEWAY_STARTING', 'the gateway is starting: retry in a moment', {
      retryable: true,
      retryAfterMs: base.retryAfterMs ?? 500,
    })
  }
  if (!/^rate limit exceeded/.test(message)) return undefined
  const secs = base.retryAfterMs === undefined ? 'a minute' : `${Math.ceil(base.retryAfterMs / 1000)} s`
  return make(
    'RATE_LIMITED',
    `the gateway allows ${str(details.limit) ?? '30 per 60s'}: retry after ${secs}`,
    {
      retryable: true,
    },
  )
}

const requestRule: Rule = ({ error, message, base, make }) => {
  if (/^unknown method/.test(message))
    return make(
      'UNKNOWN_METHOD',
      'check the method name; the gateway lists its methods in hello-ok features.methods',
    )
  if (message.startsWith('invalid connect params'))
    return make(
      'INVALID_CONNECT_PARAMS',
      'this gateway rejected the connect parameters: upgrade clawlink or report a bug',
    )
  if (error.code === 'INVALID_REQUEST' && /^invalid .* params/.test(message))
    return make('INVALID_PARAMS', 'check the parameters of the call')
  if (error.code === 'FORBIDDEN') return make('FORBIDDEN', 'this connection is not allowed to do that')
  if (error.code === 'UNAVAILABLE')
    return make('UNAVAILABLE', base.retryable ? 'retry in a moment' : 'see the gateway log for the cause')
  return undefined
}

// In order: the first rule that recognises the error decides.
const RULES: readonly Rule[] = [
  missingScopeRule,
  unknownJobRule,
  protocolRule,
  pairingRule,
  identityRule,
  deviceProofRule,
  authRule,
  availabilityRule,
  requestRule,
]

/**
 * Maps a gateway `res.error` of any version (v3 text or v4 details) to one typed error with a one-line fix
 * (docs/protocol.md §1.3, §4.3, §5, §7.2, §7.5, §11).
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
    extra: Partial<GatewayErrorOptions> & { message?: string } = {},
  ) => {
    const { message: text = message, ...rest } = extra
    return new GatewayError(code, text, { ...base, remedy, ...rest })
  }
  const facts: Facts = { error, details, detailCode, message, base, context, make }
  for (const rule of RULES) {
    const classified = rule(facts)
    if (classified) return classified
  }
  return make('GATEWAY_ERROR', 'see the message; the gateway log has more detail')
}
