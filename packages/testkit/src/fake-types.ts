import type { WebSocket } from 'ws'
import type { FakeCronJob, FakeGatewayFlavor, FakeWireError } from './fake-cron.js'

export type { FakeCronJob, FakeGatewayFlavor, FakeWireError } from './fake-cron.js'

/**
 * Faults the fake injects. Handshake faults apply to the next `connect` (or socket); request faults apply to
 * requests whose method matches `method` (any method when omitted). `times` limits how often the fault fires
 * (default: until `setFault()` replaces it).
 */
export type FakeGatewayFault = (
  | { kind: 'no-challenge' }
  | { kind: 'silence-after-challenge' }
  | { kind: 'close-before-hello'; code?: number; reason?: string }
  | { kind: 'gateway-starting'; retryAfterMs?: number }
  | { kind: 'protocol-mismatch' }
  | {
      kind: 'pairing-required'
      reason?: 'not-paired' | 'scope-upgrade' | 'metadata-upgrade' | 'role-upgrade'
    }
  /**
   * The next device connect is judged on the pairing state from before its approval, as a connect crossing the
   * operator's approval is on 2026.5.7: refused, with a NEW pending request (the real gateway leaves it behind).
   */
  | { kind: 'stale-pairing' }
  | { kind: 'auth-token-mismatch' }
  | { kind: 'device-token-mismatch' }
  | { kind: 'signature-expired' }
  | { kind: 'auth-rate-limited'; retryAfterMs?: number }
  | {
      kind: 'connect-error'
      error: FakeWireError
      closeCode?: number
      closeReason?: string
      sendResponse?: boolean
    }
  | { kind: 'rate-limited'; method?: string; retryAfterMs?: number }
  | { kind: 'no-response'; method?: string }
  | { kind: 'close-mid-request'; method?: string; code?: number; reason?: string }
  | { kind: 'interim-accepted'; method?: string }
  | { kind: 'malformed-json'; method?: string }
  | { kind: 'unknown-frame'; method?: string }
  | { kind: 'oversized-frame'; method?: string; bytes: number }
) & { times?: number }

/** One recorded frame; `frame` is the parsed JSON, or undefined when the text was not JSON. */
export type FakeFrameRecord = {
  connId: number
  direction: 'in' | 'out'
  text: string
  frame: Record<string, unknown> | undefined
}

/** A device the fake has paired. */
export type FakePairedDevice = {
  deviceId: string
  publicKey: string
  approvedScopes: string[]
  clientId: string
  platform: string
  tokens: Map<string, { token: string; scopes: string[]; issuedAtMs: number }>
}

/** A pending pairing request as `device.pair.list` shows it (the fields the fake keeps). */
export type FakePendingRequest = {
  requestId: string
  deviceId: string
  publicKey: string
  clientId: string
  platform: string
  scopes: string[]
  /** True for an upgrade of an already-paired device. */
  isRepair: boolean
  reason: 'not-paired' | 'scope-upgrade'
  /** When it was made; it expires `pairingTtlMs` later (repeats do not extend it, as on 5.7). */
  ts: number
}

export type FakeGatewayOptions = {
  /** Release to imitate. @default '9.6' */
  flavor?: FakeGatewayFlavor
  /** Shared gateway token; `undefined` with no password means no shared auth is configured. @default 'fake-shared-token' */
  token?: string
  password?: string
  /** Silently pair new devices, like a loopback gateway with a shared secret. @default true */
  autoPair?: boolean
  /** Approve scope upgrades silently (3.13 and 9.6 loopback do, 5.7 never does). @default flavor !== '5.7' */
  autoApproveScopeUpgrade?: boolean
  /** How long a pending pairing request lives. @default 300000 */
  pairingTtlMs?: number
  /** `policy.tickIntervalMs` in hello-ok, and the tick period. @default 30000 */
  tickIntervalMs?: number
  /** Send `tick` events at all. @default true */
  sendTicks?: boolean
  /** `policy.maxPayload`; frames above it close the socket with 1009 like `ws` does. @default 26214400 */
  maxPayload?: number
  /** Server clock offset added to `Date.now()` for the challenge ts and the signature-age check. @default 0 */
  clockOffsetMs?: number
  /** Leave `ts` out of `connect.challenge` (old or odd servers). @default false */
  omitChallengeTs?: boolean
  /** Close a socket that has not completed `connect` after this long (code 1000, empty reason). @default 15000 */
  handshakeTimeoutMs?: number
  /** Jobs present at start (ids generated when absent). */
  jobs?: Array<Partial<FakeCronJob> & { name: string }>
  /** Initial fault. */
  fault?: FakeGatewayFault
  /** Serve `wss://` with this PEM key and certificate (for TLS pinning tests). */
  tls?: { key: string; cert: string }
  /** Listen on this port (e.g. to restart a gateway where a client expects it). @default a free port */
  port?: number
  /** Where a test server built on the fake (the hostile gateway) bends its behaviour. */
  hooks?: FakeGatewayHooks
}

/** A request after hello-ok, as the hooks see it. */
export type FakeRequest = { id: string; method: string; params: Record<string, unknown> }

/**
 * Extension points for servers that misbehave on purpose (`hostile-gateway.ts`); each hook may decline, and the
 * fake then does what it always does.
 */
export type FakeGatewayHooks = {
  /** A new socket, before the challenge; return true to own it (the fake then neither challenges nor reads it). */
  onConnection?(conn: Conn, record: (text: string) => void): boolean
  /** Rewrites an outgoing frame (hello-ok, responses, events), or replaces it with raw text. */
  rewriteOut?(frame: Record<string, unknown>, conn: Conn): Record<string, unknown> | string
  /** A request after hello-ok, before the fake answers it; return true when the hook answered. */
  onRequest?(
    conn: Conn,
    request: FakeRequest,
    send: (frame: Record<string, unknown> | string) => void,
  ): boolean
}

/** A running fake gateway. */
export type FakeGateway = {
  /** `ws://127.0.0.1:<port>` (`wss://` with the tls option) */
  readonly url: string
  readonly port: number
  readonly flavor: FakeGatewayFlavor
  readonly protocol: 3 | 4
  /** Shared token the fake accepts (undefined when none is configured). */
  readonly token: string | undefined
  /** Every frame received and sent, in order. */
  readonly frames: FakeFrameRecord[]
  /** In-memory cron jobs, keyed by id. */
  readonly jobs: Map<string, FakeCronJob>
  /** Paired devices, keyed by deviceId. */
  readonly devices: Map<string, FakePairedDevice>
  /** Number of sockets accepted so far. */
  readonly connectionCount: number
  /** Number of sockets open right now. */
  readonly openConnections: number
  /**
   * How each socket ended, in the order they ended: the code of the client's close frame (its echo when the fake
   * closed first; 1005 when the frame carried no code, 1006 when the socket ended without a close frame).
   */
  readonly closes: Array<{ connId: number; code: number }>
  /** Frames received with `type:"req"` and the given method (convenience over `frames`). */
  requests(method?: string): Array<Record<string, unknown>>
  /** Replace the current fault (undefined clears it). */
  setFault(fault: FakeGatewayFault | undefined): void
  /** Add a job; returns it. */
  addJob(job: Partial<FakeCronJob> & { name: string }): FakeCronJob
  /** Broadcast an event to every connected (hello-ok) client. */
  broadcast(event: string, payload?: unknown): void
  /** Send `event shutdown` then close every socket with 1012 "service restart" (docs/protocol.md §8). */
  shutdown(): void
  /** Close every open socket with the given code (default 1001). */
  dropConnections(code?: number, reason?: string): void
  /** A shared-token rotation: the new token is the only one accepted; open sessions are closed 4001 "gateway auth changed". */
  rotateSharedToken(next: string): void
  /** Pending pairing requests (made by refused connects and by `device.scopes.requestUpgrade`). */
  pendingRequests(): FakePendingRequest[]
  /** The operator approves a pending request (pairs the device or widens its scopes; mints a device token). */
  approve(requestId: string): void
  /** The operator rejects a pending request (the device is told nothing; a waitUpgrade waiter hears it). */
  reject(requestId: string): void
  /** Revoke every issued device token (the next device-token connect gets AUTH_DEVICE_TOKEN_MISMATCH). */
  revokeDeviceTokens(): void
  /** Stop sending these events (e.g. `['cron']`, as a gateway drops events for slow clients); [] resumes. */
  muteEvents(events: string[]): void
  /**
   * A gateway restart: `shutdown` + 1012 to every client, the port closed for `downMs` (connects are refused),
   * then listening again on the same port with all state (jobs, runs, paired devices) kept.
   */
  restart(downMs?: number): Promise<void>
  close(): Promise<void>
}

/** One accepted socket. */
export type Conn = {
  id: number
  ws: WebSocket
  nonce: string
  helloDone: boolean
  scopes: string[]
  deviceId?: string
  seq: number
  tick?: NodeJS.Timeout
  handshakeTimer?: NodeJS.Timeout
}

/** How the fake refuses a connect: the error response, then the close. */
export type HandshakeFailure = {
  error: FakeWireError
  closeCode: number
  closeReason?: string
  sendResponse?: boolean
}

/** What the handshake part of the fake needs from the server around it. */
export interface FakeContext {
  flavor: FakeGatewayFlavor
  protocol: 3 | 4
  version: string
  options: FakeGatewayOptions
  sharedToken: string | undefined
  now: () => number
  devices: Map<string, FakePairedDevice>
  /** The pending request for a refused connect: the same one while it lives. */
  pairingRequest(entry: Omit<FakePendingRequest, 'requestId' | 'ts'>): FakePendingRequest
  methods: string[]
  takeFault<K extends FakeGatewayFault['kind']>(
    kinds: readonly K[],
    method?: string,
  ): Extract<FakeGatewayFault, { kind: K }> | undefined
  send(conn: Conn, frame: Record<string, unknown> | string): void
  sendEvent(conn: Conn, event: string, payload: unknown): void
  closeConn(conn: Conn, code: number, reason?: string): void
}

/** `{type:"res", ok:false}` for request `id`. */
export function errorFrame(id: string, error: FakeWireError): Record<string, unknown> {
  return { type: 'res', id, ok: false, error }
}

/** The implication rules of docs/protocol.md §2.3. */
export function scopeSatisfied(held: readonly string[], needed: string): boolean {
  if (held.includes(needed) || held.includes('operator.admin')) return true
  return needed === 'operator.read' && held.includes('operator.write')
}
