import { ProtocolError } from './errors.js'

/** The signed `device` block of connect params (docs/protocol.md §2.2, §4.1); built by createDeviceProof. */
export interface DeviceProof {
  id: string
  publicKey: string
  signature: string
  signedAt: number
  nonce: string
}

/** `client.id` values, union over 2026.3.13 … 2026.9.6; the gateway rejects anything else (docs/protocol.md §2.3). */
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

/** `client.mode` values, union over versions (docs/protocol.md §2.3; `worker` since 9.x). */
export const CLIENT_MODES = ['webchat', 'cli', 'ui', 'backend', 'node', 'probe', 'test', 'worker'] as const
export type ClientMode = (typeof CLIENT_MODES)[number]

/** Offer 3..4: v3 gateways (≤ 2026.5.7) negotiate 3, v4 gateways (≥ 2026.5.12) negotiate 4 (docs/protocol.md §2.4). */
export const DEFAULT_MIN_PROTOCOL = 3
export const DEFAULT_MAX_PROTOCOL = 4

/** Credentials sent in `connect.params.auth` (docs/protocol.md §2.2). */
export interface ConnectAuth {
  token?: string
  password?: string
  deviceToken?: string
  bootstrapToken?: string
}

/** Client description; id and mode come from closed enums (docs/protocol.md §2.3). */
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

/** `connect` params exactly as the v3 closed schema accepts them (docs/protocol.md §2.2). */
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

/**
 * The environment variables that carry the gateway's shared secret, as OpenClaw reads them (the CLAWDBOT_ names
 * are its old ones). Config reads them; the exec signer never passes them to its program.
 */
export const GATEWAY_SECRET_ENV = {
  token: ['OPENCLAW_GATEWAY_TOKEN', 'CLAWDBOT_GATEWAY_TOKEN'],
  password: ['OPENCLAW_GATEWAY_PASSWORD', 'CLAWDBOT_GATEWAY_PASSWORD'],
} as const

/** `value` as a non-empty connect field, else INVALID_PARAMS naming `connect <field>`. */
export function requireText(value: unknown, field: string): string {
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
 * rather than by the gateway after a round trip (docs/protocol.md §2.2, §2.3).
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
