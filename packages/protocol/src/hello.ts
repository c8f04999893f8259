import { isRecord } from './records.js'
import { ProtocolError } from './errors.js'

/** `hello-ok.auth`, normalised across versions (docs/protocol.md §3). */
export interface HelloAuth {
  role: string | undefined
  /** v3: the device token's scopes (not the socket's); v4: the live socket scopes. */
  scopes: string[]
  deviceToken: string | undefined
  issuedAtMs: number | undefined
  /** v4 only: `token` or `device-token`. */
  method: string | undefined
}

/** Parsed `hello-ok` payload. */
export interface HelloOk {
  protocol: number
  server: { version: string | undefined; connId: string | undefined; buildId: string | undefined }
  methods: string[]
  events: string[]
  /** Absent on 3.13 for token-only connections (docs/protocol.md §3). */
  auth: HelloAuth | undefined
  /** True on v4, where `auth.scopes` is the live authority of this socket (docs/protocol.md §3, §11). */
  scopesAreLive: boolean
  policy: { maxPayload: number; maxBufferedBytes: number | undefined; tickIntervalMs: number }
  raw: Record<string, unknown>
}

const DEFAULT_MAX_PAYLOAD = 26_214_400
const DEFAULT_TICK_INTERVAL_MS = 30_000

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

/**
 * Parses the `hello-ok` payload of any gateway generation (docs/protocol.md §3).
 * @throws ProtocolError INVALID_HELLO when it is not a hello-ok, or picks a protocol outside `offered`.
 */
export function parseHelloOk(payload: unknown, offered?: { min: number; max: number }): HelloOk {
  if (!isRecord(payload) || payload.type !== 'hello-ok') {
    throw new ProtocolError('INVALID_HELLO', 'connect succeeded but the payload is not a hello-ok')
  }
  const protocol = payload.protocol
  if (typeof protocol !== 'number' || !Number.isInteger(protocol) || protocol < 1) {
    throw new ProtocolError('INVALID_HELLO', 'hello-ok without a valid protocol number')
  }
  if (offered && (protocol < offered.min || protocol > offered.max)) {
    // A gateway may only pick from the range we offered (docs/protocol.md §2.4); anything else is not a gateway we understand.
    throw new ProtocolError(
      'INVALID_HELLO',
      `the gateway chose protocol ${protocol}, outside the offered range ${offered.min}..${offered.max}`,
    )
  }
  const server = isRecord(payload.server) ? payload.server : {}
  const features = isRecord(payload.features) ? payload.features : {}
  const policy = isRecord(payload.policy) ? payload.policy : {}
  let auth: HelloAuth | undefined
  if (isRecord(payload.auth)) {
    const a = payload.auth
    auth = {
      role: optString(a.role),
      scopes: strings(a.scopes),
      deviceToken: optString(a.deviceToken),
      issuedAtMs: typeof a.issuedAtMs === 'number' ? a.issuedAtMs : undefined,
      method: optString(a.method),
    }
  }
  return {
    protocol,
    server: {
      version: optString(server.version),
      connId: optString(server.connId),
      buildId: optString(server.buildId),
    },
    methods: strings(features.methods),
    events: strings(features.events),
    auth,
    scopesAreLive: protocol >= 4,
    policy: {
      maxPayload: positive(policy.maxPayload, DEFAULT_MAX_PAYLOAD),
      maxBufferedBytes: typeof policy.maxBufferedBytes === 'number' ? policy.maxBufferedBytes : undefined,
      tickIntervalMs: positive(policy.tickIntervalMs, DEFAULT_TICK_INTERVAL_MS),
    },
    raw: payload,
  }
}

/**
 * The scopes this socket can use (docs/protocol.md §3 caveat, §5.6): on v4 the live `auth.scopes`; on v3 the requested scopes,
 * or none when hello-ok shows that the gateway cleared them (no auth key on 3.13, `scopes: []` on 5.7).
 */
export function effectiveScopes(hello: HelloOk, requested: readonly string[]): string[] {
  if (hello.scopesAreLive) return hello.auth ? [...hello.auth.scopes] : []
  if (!hello.auth || hello.auth.scopes.length === 0) return []
  return [...requested]
}
