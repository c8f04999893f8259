import { base64UrlEncode, deriveDeviceId, utf8Encode } from './encoding.js'
import { ProtocolError } from './errors.js'
import { assertSignature, type DeviceSigner } from './signer.js'

/** `client.id` values, union over 2026.3.13 … 2026.9.6; the gateway rejects anything else (§2.3). */
export const CLIENT_IDS = [
  'webchat-ui',
  'openclaw-control-ui',
  'openclaw-browser-copilot',
  'openclaw-tui',
  'webchat',
  'cli',
  'gateway-client',
  'openclaw-macos',
  'openclaw-linux',
  'openclaw-ios',
  'openclaw-watchos',
  'openclaw-android',
  'node-host',
  'openclaw-worker',
  'test',
  'fingerprint',
  'openclaw-probe',
] as const
export type ClientId = (typeof CLIENT_IDS)[number]

/** `client.mode` values, union over versions (§2.3; `worker` since 9.x). */
export const CLIENT_MODES = ['webchat', 'cli', 'ui', 'backend', 'node', 'probe', 'test', 'worker'] as const
export type ClientMode = (typeof CLIENT_MODES)[number]

/** Operator scopes (§2.3). */
export const OPERATOR_SCOPES = [
  'operator.admin',
  'operator.read',
  'operator.write',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
] as const

/**
 * The one scope set every clawlink command requests: what `cron.run` needs (admin), plus read and write,
 * which 2026.5.7 adds to an admin token anyway. Asking for less first would need a human to approve the
 * upgrade later on gateways since 2026.5.7 (PROTOCOL.md §5.4, §5.9).
 */
export const CLAWLINK_SCOPES = ['operator.admin', 'operator.read', 'operator.write'] as const

/** Offer 3..4: v3 gateways (≤ 2026.5.7) negotiate 3, v4 gateways (≥ 2026.5.12) negotiate 4 (§2.4). */
export const DEFAULT_MIN_PROTOCOL = 3
export const DEFAULT_MAX_PROTOCOL = 4

/** The signed `device` block of connect params (§2.2, §4.1). */
export interface DeviceProof {
  id: string
  publicKey: string
  signature: string
  signedAt: number
  nonce: string
}

/** Credentials sent in `connect.params.auth` (§2.2). */
export interface ConnectAuth {
  token?: string
  password?: string
  deviceToken?: string
  bootstrapToken?: string
}

/** Client description; id and mode come from closed enums (§2.3). */
export interface ClientInfo {
  id: string
  version: string
  platform: string
  mode: string
  displayName?: string
  deviceFamily?: string
  instanceId?: string
}

/** Input of {@link buildConnectParams}. */
export interface ConnectParamsOptions {
  /** @default 3 */
  minProtocol?: number
  /** @default 4 */
  maxProtocol?: number
  client: ClientInfo
  /** @default 'operator' */
  role?: 'operator' | 'node'
  scopes: readonly string[]
  caps?: readonly string[]
  auth?: ConnectAuth
  device?: DeviceProof
  locale?: string
  userAgent?: string
}

/** `connect` params exactly as the v3 closed schema accepts them (§2.2). */
export interface ConnectParams {
  minProtocol: number
  maxProtocol: number
  client: ClientInfo
  caps: string[]
  role: 'operator' | 'node'
  scopes: string[]
  auth?: ConnectAuth
  device?: DeviceProof
  locale?: string
  userAgent?: string
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ProtocolError('INVALID_PARAMS', `connect ${field} must be a non-empty string`)
  }
  return value
}

function optionalText(target: Record<string, unknown>, key: string, value: unknown, field: string): void {
  if (value === undefined) return
  target[key] = requireText(value, field)
}

/**
 * Builds `connect` params; unknown `client.id`/`client.mode` are refused here, with the allowed values,
 * rather than by the gateway after a round trip (§2.2, §2.3).
 * @throws ProtocolError INVALID_CLIENT_ID, INVALID_CLIENT_MODE, INVALID_PARAMS
 */
export function buildConnectParams(options: ConnectParamsOptions): ConnectParams {
  const min = options.minProtocol ?? DEFAULT_MIN_PROTOCOL
  const max = options.maxProtocol ?? DEFAULT_MAX_PROTOCOL
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new ProtocolError('INVALID_PARAMS', `invalid protocol range ${min}..${max}`)
  }
  const c = options.client
  if (!(CLIENT_IDS as readonly string[]).includes(c.id)) {
    throw new ProtocolError(
      'INVALID_CLIENT_ID',
      `unknown client.id "${c.id}"; allowed: ${CLIENT_IDS.join(', ')}`,
    )
  }
  if (!(CLIENT_MODES as readonly string[]).includes(c.mode)) {
    throw new ProtocolError(
      'INVALID_CLIENT_MODE',
      `unknown client.mode "${c.mode}"; allowed: ${CLIENT_MODES.join(', ')}`,
    )
  }
  const client: Record<string, unknown> = {
    id: c.id,
    version: requireText(c.version, 'client.version'),
    platform: requireText(c.platform, 'client.platform'),
    mode: c.mode,
  }
  optionalText(client, 'displayName', c.displayName, 'client.displayName')
  optionalText(client, 'deviceFamily', c.deviceFamily, 'client.deviceFamily')
  optionalText(client, 'instanceId', c.instanceId, 'client.instanceId')
  const role = options.role ?? 'operator'
  if (role !== 'operator' && role !== 'node')
    throw new ProtocolError('INVALID_PARAMS', `invalid role "${String(role)}"`)
  for (const scope of options.scopes) requireText(scope, 'scope')
  const params: ConnectParams = {
    minProtocol: min,
    maxProtocol: max,
    client: client as unknown as ClientInfo,
    caps: [...(options.caps ?? [])],
    role,
    scopes: [...options.scopes],
  }
  if (options.auth) {
    const auth: Record<string, string> = {}
    for (const key of ['token', 'password', 'deviceToken', 'bootstrapToken'] as const) {
      const value = options.auth[key]
      if (value !== undefined && value !== '') auth[key] = value
    }
    if (Object.keys(auth).length > 0) params.auth = auth
  }
  if (options.device) params.device = { ...options.device }
  if (options.locale !== undefined) params.locale = options.locale
  if (options.userAgent !== undefined) params.userAgent = options.userAgent
  return params
}

/** Fields of the device-auth payload (§4.2). */
export interface DeviceAuthFields {
  deviceId: string
  clientId: string
  clientMode: string
  role: string
  scopes: readonly string[]
  signedAtMs: number
  token: string
  nonce: string
  platform?: unknown
  deviceFamily?: unknown
}

/** Trim, then lowercase ASCII A–Z only; non-strings and blanks become '' (§4.2 `normalizeDeviceMetadataForAuth`). */
export function normalizeDeviceMetadata(value: unknown): string {
  if (typeof value !== 'string') return ''
  return value.trim().replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32))
}

/** The token field of the signed payload: `token ?? deviceToken ?? bootstrapToken ?? ''`, raw (§4.2). */
export function signatureToken(auth?: ConnectAuth): string {
  return auth?.token ?? auth?.deviceToken ?? auth?.bootstrapToken ?? ''
}

/**
 * The canonical string a device signs (§4.2): v3 (default) appends the normalised platform and device family
 * to v2; scopes keep their order, the nonce is trimmed.
 */
export function buildDeviceAuthPayload(fields: DeviceAuthFields, version: 'v3' | 'v2' = 'v3'): string {
  const parts = [
    version,
    fields.deviceId,
    fields.clientId,
    fields.clientMode,
    fields.role,
    fields.scopes.join(','),
    String(fields.signedAtMs),
    fields.token,
    fields.nonce.trim(),
  ]
  if (version === 'v3')
    parts.push(normalizeDeviceMetadata(fields.platform), normalizeDeviceMetadata(fields.deviceFamily))
  return parts.join('|')
}

/** Input of {@link createDeviceProof}. */
export interface DeviceProofOptions {
  signer: DeviceSigner
  nonce: string
  /** Use the challenge `ts` (server clock, §4.1) when there is one. */
  signedAtMs: number
  clientId: string
  clientMode: string
  /** @default 'operator' */
  role?: string
  scopes: readonly string[]
  auth?: ConnectAuth
  platform?: string
  deviceFamily?: string
  /** @default 'v3' */
  version?: 'v3' | 'v2'
  signal?: AbortSignal
}

/**
 * Signs the connect payload with an injected signer and returns the `device` block (§4.1, §4.4).
 * @throws SignerError from the signer, or INVALID_SIGNATURE when it returns anything but 64 bytes.
 */
export async function createDeviceProof(options: DeviceProofOptions): Promise<DeviceProof> {
  if (!Number.isInteger(options.signedAtMs) || options.signedAtMs < 0) {
    throw new ProtocolError('INVALID_PARAMS', 'signedAtMs must be an integer ≥ 0')
  }
  const nonce = requireText(options.nonce, 'device.nonce')
  const deviceId = deriveDeviceId(options.signer.publicKey)
  const payload = buildDeviceAuthPayload(
    {
      deviceId,
      clientId: options.clientId,
      clientMode: options.clientMode,
      role: options.role ?? 'operator',
      scopes: options.scopes,
      signedAtMs: options.signedAtMs,
      token: signatureToken(options.auth),
      nonce,
      platform: options.platform,
      deviceFamily: options.deviceFamily,
    },
    options.version ?? 'v3',
  )
  const signOptions = options.signal ? { signal: options.signal } : undefined
  const signature = assertSignature(await options.signer.sign(utf8Encode(payload), signOptions))
  return {
    id: deviceId,
    publicKey: base64UrlEncode(options.signer.publicKey),
    signature: base64UrlEncode(signature),
    signedAt: options.signedAtMs,
    nonce,
  }
}
