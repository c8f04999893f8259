/**
 * A scriptable fake OpenClaw gateway: a real `ws` server on 127.0.0.1 that speaks the v3 (3.13 / 5.7) or v4 (9.6)
 * handshake, verifies device signatures, keeps cron jobs in memory and injects every fault a client must survive.
 * It verifies signatures with its own payload builder and node:crypto (only the client id/mode enums come from
 * `@clawlink/protocol`), so a client test against it also cross-checks the protocol package.
 *
 * ```ts
 * const gw = await startFakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly' }] })
 * // point the client / CLI / MCP server at gw.url with token gw.token
 * gw.setFault({ kind: 'gateway-starting', times: 2, retryAfterMs: 20 }) // next two connects get 1013
 * gw.requests('cron.run') // what the client sent
 * await gw.close()
 * ```
 */
import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { createFakeCron, type FakeWireError } from './fake-cron.js'
import { createFakeHandshake } from './fake-handshake.js'
import { listen, PREAUTH_MAX_BYTES } from './fake-listen.js'
import { createFakePairing } from './fake-pairing.js'
import {
  type Conn,
  errorFrame,
  type FakeContext,
  type FakeFrameRecord,
  type FakeGateway,
  type FakeGatewayFault,
  type FakeGatewayOptions,
  type FakePairedDevice,
  scopeSatisfied,
} from './fake-types.js'

export type { FakeCronJob, FakeGatewayFlavor, FakeWireError } from './fake-cron.js'
export type {
  Conn as FakeConn,
  FakeFrameRecord,
  FakeGateway,
  FakeGatewayFault,
  FakeGatewayHooks,
  FakeGatewayOptions,
  FakePairedDevice,
  FakeRequest,
  FakePendingRequest,
} from './fake-types.js'

// docs/protocol.md §7.4 (the part the fake serves); anything unlisted needs operator.admin.
const METHOD_SCOPES: Record<string, string | null> = {
  health: null,
  'cron.list': 'operator.read',
  'cron.status': 'operator.read',
  'cron.runs': 'operator.read',
  'cron.get': 'operator.read',
  status: 'operator.read',
  echo: 'operator.read',
  wake: 'operator.write',
  'cron.add': 'operator.admin',
  'cron.update': 'operator.admin',
  'cron.remove': 'operator.admin',
  'cron.run': 'operator.admin',
  'device.pair.list': 'operator.pairing',
  // 9.6 only (REMOTE-FACTS.md): no scope, but a paired device.
  'device.scopes.requestUpgrade': null,
  'device.scopes.waitUpgrade': null,
}
const NINE_SIX_ONLY = new Set(['cron.get', 'device.scopes.requestUpgrade', 'device.scopes.waitUpgrade'])

function missingScopeError(protocol: 3 | 4, scope: string): FakeWireError {
  // docs/protocol.md §5.7: v3 INVALID_REQUEST text, v4 FORBIDDEN + MISSING_SCOPE.
  return protocol === 3
    ? { code: 'INVALID_REQUEST', message: `missing scope: ${scope}` }
    : {
        code: 'FORBIDDEN',
        message: `missing scope: ${scope}`,
        details: { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [scope] },
      }
}

/** Start a fake gateway on 127.0.0.1 with a free port. */
export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const flavor = options.flavor ?? '9.6'
  const protocol: 3 | 4 = flavor === '9.6' ? 4 : 3
  const maxPayload = options.maxPayload ?? 26_214_400
  const clockOffsetMs = options.clockOffsetMs ?? 0
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000
  const frames: FakeFrameRecord[] = []
  const devices = new Map<string, FakePairedDevice>()
  const conns = new Set<Conn>()
  const muted = new Set<string>()
  let fault: FakeGatewayFault | undefined = options.fault
  let connCounter = 0
  let globalSeq = 0
  const timers = new Set<NodeJS.Timeout>()
  const hooks = options.hooks ?? {}
  const now = (): number => Date.now() + clockOffsetMs

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }

  function takeFault<K extends FakeGatewayFault['kind']>(
    kinds: readonly K[],
    method?: string,
  ): Extract<FakeGatewayFault, { kind: K }> | undefined {
    const current = fault
    if (!current || !(kinds as readonly string[]).includes(current.kind)) return undefined
    const wanted = 'method' in current ? current.method : undefined
    if (wanted !== undefined && method !== undefined && wanted !== method) return undefined
    if (current.times !== undefined) {
      const left = current.times - 1
      fault = left > 0 ? { ...current, times: left } : undefined
    }
    return current as Extract<FakeGatewayFault, { kind: K }>
  }

  function send(conn: Conn, original: Record<string, unknown> | string): void {
    const frame =
      typeof original === 'string' || !hooks.rewriteOut ? original : hooks.rewriteOut(original, conn)
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame)
    frames.push({
      connId: conn.id,
      direction: 'out',
      text,
      frame: typeof frame === 'string' ? undefined : frame,
    })
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text)
  }

  function closeConn(conn: Conn, code: number, reason = ''): void {
    // The server truncates close reasons to fit the 123-byte limit (docs/protocol.md §5.4).
    const safe = Buffer.from(reason).length > 120 ? reason.slice(0, 100) : reason
    if (conn.ws.readyState === conn.ws.OPEN || conn.ws.readyState === conn.ws.CONNECTING)
      conn.ws.close(code, safe)
  }

  function sendEvent(conn: Conn, event: string, payload: unknown): void {
    // 3.13 uses one global counter (gaps are normal), later versions count per client (docs/protocol.md §1.2).
    send(conn, { type: 'event', event, payload, seq: flavor === '3.13' ? ++globalSeq : ++conn.seq })
  }

  function broadcast(event: string, payload?: unknown): void {
    if (muted.has(event)) return
    for (const conn of conns) if (conn.helloDone) sendEvent(conn, event, payload)
  }

  const cron = createFakeCron({ flavor, now, later, broadcast })
  for (const job of options.jobs ?? []) cron.addJob(job)
  const methods = Object.keys(METHOD_SCOPES).filter((m) => !NINE_SIX_ONLY.has(m) || flavor === '9.6')
  const pairing = createFakePairing({ now, devices, ttlMs: options.pairingTtlMs ?? 300_000 })
  const ctx: FakeContext = {
    flavor,
    protocol,
    version: flavor === '3.13' ? '2026.3.13' : flavor === '5.7' ? '2026.5.7' : '2026.9.6',
    options,
    sharedToken: 'token' in options ? options.token : 'fake-shared-token',
    now,
    devices,
    pairingRequest: pairing.requestFor,
    methods,
    takeFault,
    send,
    sendEvent,
    closeConn,
  }
  const handshake = createFakeHandshake(ctx)

  function handleMethod(
    method: string,
    params: Record<string, unknown>,
  ): { payload?: unknown; error?: FakeWireError } {
    if (method === 'health') return { payload: { ok: true, ts: now() } }
    if (method === 'echo') return { payload: params }
    if (method === 'status') return { payload: { ok: true } }
    return (
      cron.handle(method, params) ?? {
        error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` },
      }
    )
  }

  /** Request faults that answer instead of the method; true when the request is fully handled. */
  function requestFault(conn: Conn, id: string, method: string): boolean {
    const f = takeFault(
      [
        'rate-limited',
        'no-response',
        'close-mid-request',
        'interim-accepted',
        'malformed-json',
        'unknown-frame',
        'oversized-frame',
      ],
      method,
    )
    if (!f) return false
    switch (f.kind) {
      case 'no-response':
        return true
      case 'close-mid-request':
        closeConn(conn, f.code ?? 1011, f.reason ?? 'internal error')
        return true
      case 'oversized-frame':
        send(conn, { type: 'event', event: 'bulk', payload: 'x'.repeat(f.bytes) })
        return true
      case 'rate-limited': {
        const retryAfterMs = f.retryAfterMs ?? 58_451
        send(
          conn,
          errorFrame(id, {
            code: 'UNAVAILABLE',
            message: `rate limit exceeded for ${method}; retry after ${Math.ceil(retryAfterMs / 1000)}s`,
            retryable: true,
            retryAfterMs,
            details: { method, limit: '30 per 60s' },
          }),
        )
        return true
      }
      case 'malformed-json':
        send(conn, '{"type":"res", this is not json')
        return false
      case 'unknown-frame':
        send(conn, { type: 'mystery', id, hello: true })
        return false
      case 'interim-accepted':
        send(conn, { type: 'res', id, ok: true, payload: { status: 'accepted' } })
        return false
    }
  }

  function handleRequest(conn: Conn, frame: Record<string, unknown>): void {
    const id = String(frame.id)
    const method = String(frame.method)
    const params = (frame.params ?? {}) as Record<string, unknown>
    if (method === 'connect') {
      send(
        conn,
        errorFrame(id, { code: 'INVALID_REQUEST', message: 'connect is only valid as the first request' }),
      )
      return
    }
    // docs/protocol.md §5.7: health is always allowed; unclassified methods need admin.
    const needed = method in METHOD_SCOPES ? METHOD_SCOPES[method] : 'operator.admin'
    if (needed && !scopeSatisfied(conn.scopes, needed)) {
      send(conn, errorFrame(id, missingScopeError(protocol, needed)))
      return
    }
    if (hooks.onRequest?.(conn, { id, method, params }, (frame) => send(conn, frame))) return
    if (requestFault(conn, id, method)) return
    if (!methods.includes(method) && method in METHOD_SCOPES) {
      send(conn, errorFrame(id, { code: 'INVALID_REQUEST', message: `unknown method: ${method}` }))
      return
    }
    const reply = (r: { payload?: unknown; error?: FakeWireError }): void =>
      send(
        conn,
        r.error ? errorFrame(id, r.error) : { type: 'res', id, ok: true, payload: r.payload ?? null },
      )
    if (pairing.handle(method, params, conn.deviceId, reply)) return
    const result = handleMethod(method, params)
    send(
      conn,
      result.error
        ? errorFrame(id, result.error)
        : { type: 'res', id, ok: true, payload: result.payload ?? null },
    )
  }

  function preHello(conn: Conn, text: string, frame: Record<string, unknown> | undefined): void {
    // docs/protocol.md §2.5 step 1: the ws maxPayload closes oversize pre-auth frames with 1009.
    if (Buffer.byteLength(text) > PREAUTH_MAX_BYTES) closeConn(conn, 1009, '')
    else if (frame?.type !== 'req') closeConn(conn, 1000, '')
    else if (frame.method !== 'connect') {
      const message = 'invalid handshake: first request must be connect'
      send(conn, errorFrame(String(frame.id), { code: 'INVALID_REQUEST', message }))
      closeConn(conn, 1008, message)
    } else handshake.handleConnect(conn, frame)
  }

  function onMessage(conn: Conn, text: string): void {
    let frame: Record<string, unknown> | undefined
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        frame = parsed as Record<string, unknown>
    } catch {
      frame = undefined
    }
    frames.push({ connId: conn.id, direction: 'in', text, frame })
    if (!conn.helloDone) {
      preHello(conn, text, frame)
      return
    }
    if (Buffer.byteLength(text) > maxPayload) {
      closeConn(conn, 1009, '')
      return
    }
    if (frame?.type !== 'req' || typeof frame.id !== 'string') {
      send(conn, errorFrame('', { code: 'INVALID_REQUEST', message: 'invalid request frame' }))
      return
    }
    handleRequest(conn, frame)
  }

  function onConnection(ws: WebSocket): void {
    const conn: Conn = { id: ++connCounter, ws, nonce: randomUUID(), helloDone: false, scopes: [], seq: 0 }
    conns.add(conn)
    ws.on('close', () => {
      conns.delete(conn)
      if (conn.tick) clearInterval(conn.tick)
      if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
    })
    ws.on('error', () => {})
    const record = (text: string): void => {
      frames.push({ connId: conn.id, direction: 'in', text, frame: undefined })
    }
    if (hooks.onConnection?.(conn, record)) return
    conn.handshakeTimer = setTimeout(() => closeConn(conn, 1000, ''), handshakeTimeoutMs)
    if (!takeFault(['no-challenge'])) {
      const payload: Record<string, unknown> = { nonce: conn.nonce }
      if (!options.omitChallengeTs) payload.ts = now()
      if (flavor === '9.6') payload.capabilities = ['model-catalog-snapshot']
      send(conn, { type: 'event', event: 'connect.challenge', payload })
    }
    ws.on('message', (data, isBinary) => onMessage(conn, isBinary ? '' : data.toString()))
  }

  let server = await listen(options, options.port ?? 0, maxPayload, onConnection)
  const port = server.port

  function dropAll(): void {
    for (const conn of conns) {
      if (conn.tick) clearInterval(conn.tick)
      if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
      conn.ws.terminate()
    }
  }

  const gateway: FakeGateway = {
    url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    port,
    flavor,
    protocol,
    token: ctx.sharedToken,
    frames,
    jobs: cron.jobs,
    devices,
    get connectionCount() {
      return connCounter
    },
    get openConnections() {
      return conns.size
    },
    requests(method?: string) {
      return frames
        .filter(
          (f) =>
            f.direction === 'in' &&
            f.frame?.type === 'req' &&
            (method === undefined || f.frame.method === method),
        )
        .map((f) => f.frame as Record<string, unknown>)
    },
    setFault(next) {
      fault = next
    },
    addJob: cron.addJob,
    broadcast,
    shutdown() {
      for (const conn of conns) {
        if (conn.helloDone)
          sendEvent(
            conn,
            'shutdown',
            flavor === '9.6'
              ? { reason: 'gateway stopping' }
              : { reason: 'gateway stopping', restartExpectedMs: null },
          )
        closeConn(conn, 1012, 'service restart')
      }
    },
    dropConnections(code = 1001, reason = 'going away') {
      for (const conn of conns) closeConn(conn, code, reason)
    },
    pendingRequests: pairing.list,
    approve(requestId) {
      pairing.approve(requestId)
    },
    reject: pairing.reject,
    revokeDeviceTokens() {
      for (const device of devices.values()) device.tokens.clear()
    },
    muteEvents(events) {
      muted.clear()
      for (const e of events) muted.add(e)
    },
    async restart(downMs = 200) {
      gateway.shutdown()
      await new Promise((r) => setTimeout(r, 20))
      dropAll()
      await server.close()
      await new Promise((r) => setTimeout(r, downMs))
      server = await listen(options, port, maxPayload, onConnection)
    },
    async close() {
      pairing.close()
      for (const t of timers) clearTimeout(t)
      timers.clear()
      dropAll()
      await server.close()
    },
  }
  return gateway
}
