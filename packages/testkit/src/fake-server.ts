import type {
  Conn,
  FakeFrameRecord,
  FakeGatewayFault,
  FakeGatewayFlavor,
  FakeGatewayHooks,
  FakeGatewayOptions,
  FakePairedDevice,
} from './fake-types.js'

/** The fake's sockets, recordings and fault, shared by the socket handlers and the control API. */
export interface FakeState {
  options: FakeGatewayOptions
  flavor: FakeGatewayFlavor
  protocol: 3 | 4
  maxPayload: number
  handshakeTimeoutMs: number
  hooks: FakeGatewayHooks
  /** The gateway's clock (with the configured offset). */
  now: () => number
  frames: FakeFrameRecord[]
  closes: Array<{ connId: number; code: number }>
  devices: Map<string, FakePairedDevice>
  conns: Set<Conn>
  muted: Set<string>
  /** When each actor's limited cron writes were made, per method (9.6, fake-limits.ts). */
  writeTimes: Map<string, number[]>
  timers: Set<NodeJS.Timeout>
  fault: FakeGatewayFault | undefined
  connCounter: number
  globalSeq: number
}

export function createFakeState(options: FakeGatewayOptions): FakeState {
  const flavor = options.flavor ?? '9.6'
  const clockOffsetMs = options.clockOffsetMs ?? 0
  return {
    options,
    flavor,
    protocol: flavor === '9.6' ? 4 : 3,
    maxPayload: options.maxPayload ?? 26_214_400,
    // The pre-auth deadline: 3 s fixed on 2026.3.13, 15 s (configurable) since 2026.5 (docs/testing.md §1.1).
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? (flavor === '3.13' ? 3000 : 15_000),
    hooks: options.hooks ?? {},
    now: (): number => Date.now() + clockOffsetMs,
    frames: [],
    closes: [],
    devices: new Map(),
    conns: new Set(),
    muted: new Set(),
    writeTimes: new Map(),
    timers: new Set(),
    fault: options.fault,
    connCounter: 0,
    globalSeq: 0,
  }
}

/** A timer that `close()` cancels. */
export function later(state: FakeState, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    state.timers.delete(t)
    fn()
  }, ms)
  state.timers.add(t)
}

/** The current fault when it is one of `kinds` (and for `method`, if it names one); counts down `times`. */
export function takeFault<K extends FakeGatewayFault['kind']>(
  state: FakeState,
  kinds: readonly K[],
  method?: string,
): Extract<FakeGatewayFault, { kind: K }> | undefined {
  const current = state.fault
  if (!current || !(kinds as readonly string[]).includes(current.kind)) return undefined
  const wanted = 'method' in current ? current.method : undefined
  if (wanted !== undefined && method !== undefined && wanted !== method) return undefined
  if (current.times !== undefined) {
    const left = current.times - 1
    state.fault = left > 0 ? { ...current, times: left } : undefined
  }
  return current as Extract<FakeGatewayFault, { kind: K }>
}

export function send(state: FakeState, conn: Conn, original: Record<string, unknown> | string): void {
  const { hooks } = state
  const frame =
    typeof original === 'string' || !hooks.rewriteOut ? original : hooks.rewriteOut(original, conn)
  const text = typeof frame === 'string' ? frame : JSON.stringify(frame)
  state.frames.push({
    connId: conn.id,
    direction: 'out',
    text,
    frame: typeof frame === 'string' ? undefined : frame,
  })
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text)
}

export function closeConn(conn: Conn, code: number, reason = ''): void {
  // The server truncates close reasons to fit the 123-byte limit (docs/protocol.md §5.4).
  const safe = Buffer.from(reason).length > 120 ? reason.slice(0, 100) : reason
  if (conn.ws.readyState === conn.ws.OPEN || conn.ws.readyState === conn.ws.CONNECTING)
    conn.ws.close(code, safe)
}

export function sendEvent(state: FakeState, conn: Conn, event: string, payload: unknown): void {
  // 3.13 uses one global counter (gaps are normal), later versions count per client (docs/protocol.md §1.2).
  const seq = state.flavor === '3.13' ? ++state.globalSeq : ++conn.seq
  send(state, conn, { type: 'event', event, payload, seq })
}

/**
 * Events about runs go only to operator connections that can read (read, write or admin), as on every real
 * release: a token-only socket on 3.13 (no scopes) or a pairing-only one gets none (docs/protocol.md §8).
 */
const READ_GUARDED_EVENTS = new Set(['cron', 'task', 'agent', 'chat'])
const READ_SCOPES = ['operator.read', 'operator.write', 'operator.admin']

export function broadcast(state: FakeState, event: string, payload?: unknown): void {
  if (state.muted.has(event)) return
  const guarded = READ_GUARDED_EVENTS.has(event)
  for (const conn of state.conns) {
    if (!conn.helloDone) continue
    if (guarded && !conn.scopes.some((s) => READ_SCOPES.includes(s))) continue
    sendEvent(state, conn, event, payload)
  }
}

/** Terminates every socket at once (no close handshake), stopping its timers. */
export function dropAll(state: FakeState): void {
  for (const conn of state.conns) {
    if (conn.tick) clearInterval(conn.tick)
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
    conn.ws.terminate()
  }
}
