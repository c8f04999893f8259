import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { createFakeCron, FakeWireError } from './fake-cron.js'
import { cronWriteLimit } from './fake-limits.js'
import type { createFakeHandshake } from './fake-handshake.js'
import { PREAUTH_MAX_BYTES } from './fake-listen.js'
import { requestFrameHasExtraKeys } from './fake-schema.js'
import type { createFakePairing } from './fake-pairing.js'
import { closeConn, type FakeState, send, takeFault } from './fake-server.js'
import { type Conn, errorFrame, type FakeGatewayFault, scopeSatisfied } from './fake-types.js'

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
  'device.pair.reject': 'operator.pairing',
  // 9.6 only (REMOTE-FACTS.md): no scope, but a paired device.
  'device.scopes.requestUpgrade': null,
  'device.scopes.waitUpgrade': null,
}
const NINE_SIX_ONLY = new Set(['cron.get', 'device.scopes.requestUpgrade', 'device.scopes.waitUpgrade'])

/** The methods hello-ok announces for this flavor. */
export function methodsFor(flavor: FakeState['flavor']): string[] {
  return Object.keys(METHOD_SCOPES).filter((m) => !NINE_SIX_ONLY.has(m) || flavor === '9.6')
}

/** The fake's state and the parts that answer after the socket is read. */
export interface FakeServer {
  state: FakeState
  methods: string[]
  cron: ReturnType<typeof createFakeCron>
  pairing: ReturnType<typeof createFakePairing>
  handshake: ReturnType<typeof createFakeHandshake>
}

type Result = { payload?: unknown; error?: FakeWireError }

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

function handleMethod(server: FakeServer, method: string, params: Record<string, unknown>): Result {
  if (method === 'health') return { payload: { ok: true, ts: server.state.now() } }
  if (method === 'echo') return { payload: params }
  if (method === 'status') return { payload: { ok: true } }
  return (
    server.cron.handle(method, params) ?? {
      error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` },
    }
  )
}

type RequestFaultKind =
  | 'rate-limited'
  | 'no-response'
  | 'close-mid-request'
  | 'interim-accepted'
  | 'malformed-json'
  | 'unknown-frame'
  | 'oversized-frame'
type RequestFault<K extends RequestFaultKind = RequestFaultKind> = Extract<FakeGatewayFault, { kind: K }>
type FaultedRequest = { state: FakeState; conn: Conn; id: string; method: string }

/** What each request fault does; true when that is the whole answer, false when the method still runs. */
const REQUEST_FAULTS: { [K in RequestFaultKind]: (f: RequestFault<K>, req: FaultedRequest) => boolean } = {
  'no-response': () => true,
  'close-mid-request': (f, { conn }) => {
    closeConn(conn, f.code ?? 1011, f.reason ?? 'internal error')
    return true
  },
  'oversized-frame': (f, { state, conn }) => {
    send(state, conn, { type: 'event', event: 'bulk', payload: 'x'.repeat(f.bytes) })
    return true
  },
  'rate-limited': (f, { state, conn, id, method }) => {
    const retryAfterMs = f.retryAfterMs ?? 58_451
    send(
      state,
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
  },
  'malformed-json': (_f, { state, conn }) => {
    send(state, conn, '{"type":"res", this is not json')
    return false
  },
  'unknown-frame': (_f, { state, conn, id }) => {
    send(state, conn, { type: 'mystery', id, hello: true })
    return false
  },
  'interim-accepted': (_f, { state, conn, id }) => {
    send(state, conn, { type: 'res', id, ok: true, payload: { status: 'accepted' } })
    return false
  },
}
const REQUEST_FAULT_KINDS = Object.keys(REQUEST_FAULTS) as RequestFaultKind[]

/** Request faults that answer instead of the method; true when the request is fully handled. */
function requestFault(state: FakeState, conn: Conn, id: string, method: string): boolean {
  const f = takeFault(state, REQUEST_FAULT_KINDS, method)
  if (!f) return false
  // The table is keyed by kind, so the entry for f.kind takes f.
  const act = REQUEST_FAULTS[f.kind] as (f: RequestFault, req: FaultedRequest) => boolean
  return act(f, { state, conn, id, method })
}

function handleRequest(server: FakeServer, conn: Conn, frame: Record<string, unknown>): void {
  const { state } = server
  const id = String(frame.id)
  const method = String(frame.method)
  const params = (frame.params ?? {}) as Record<string, unknown>
  const reply = (r: Result): void =>
    send(
      state,
      conn,
      r.error ? errorFrame(id, r.error) : { type: 'res', id, ok: true, payload: r.payload ?? null },
    )
  if (method === 'connect') {
    reply({ error: { code: 'INVALID_REQUEST', message: 'connect is only valid as the first request' } })
    return
  }
  // docs/protocol.md §5.7: health is always allowed; unclassified methods need admin.
  const needed = method in METHOD_SCOPES ? METHOD_SCOPES[method] : 'operator.admin'
  if (needed && !scopeSatisfied(conn.scopes, needed)) {
    reply({ error: missingScopeError(state.protocol, needed) })
    return
  }
  if (state.hooks.onRequest?.(conn, { id, method, params }, (frame) => send(state, conn, frame))) return
  if (requestFault(state, conn, id, method)) return
  if (!server.methods.includes(method) && method in METHOD_SCOPES) {
    reply({ error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` } })
    return
  }
  if (server.pairing.handle(method, params, conn.deviceId, reply)) return
  const limited = cronWriteLimit(state, conn, method)
  if (limited) {
    reply({ error: limited })
    return
  }
  reply(handleMethod(server, method, params))
}

function preHello(
  server: FakeServer,
  conn: Conn,
  text: string,
  frame: Record<string, unknown> | undefined,
): void {
  // docs/protocol.md §2.5 step 1: the ws maxPayload closes oversize pre-auth frames with 1009.
  if (Buffer.byteLength(text) > PREAUTH_MAX_BYTES) closeConn(conn, 1009, '')
  else if (frame?.type !== 'req') closeConn(conn, 1000, '')
  else if (requestFrameHasExtraKeys(frame, server.state.protocol)) {
    const message = 'invalid request frame'
    send(server.state, conn, errorFrame(String(frame.id), { code: 'INVALID_REQUEST', message }))
    closeConn(conn, 1008, message)
  } else if (frame.method !== 'connect') {
    const message = 'invalid handshake: first request must be connect'
    send(server.state, conn, errorFrame(String(frame.id), { code: 'INVALID_REQUEST', message }))
    closeConn(conn, 1008, message)
  } else server.handshake.handleConnect(conn, frame)
}

function parseFrame(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
  } catch {}
  return undefined
}

function onMessage(server: FakeServer, conn: Conn, text: string): void {
  const { state } = server
  const frame = parseFrame(text)
  state.frames.push({ connId: conn.id, direction: 'in', text, frame })
  if (!conn.helloDone) {
    preHello(server, conn, text, frame)
    return
  }
  if (Buffer.byteLength(text) > state.maxPayload) {
    closeConn(conn, 1009, '')
    return
  }
  if (
    frame?.type !== 'req' ||
    typeof frame.id !== 'string' ||
    requestFrameHasExtraKeys(frame, state.protocol)
  ) {
    send(state, conn, errorFrame('', { code: 'INVALID_REQUEST', message: 'invalid request frame' }))
    return
  }
  handleRequest(server, conn, frame)
}

/** A new socket: challenge it (unless a hook owns it or a fault says not to), then read its frames. */
export function onConnection(server: FakeServer, ws: WebSocket): void {
  const { state } = server
  const conn: Conn = {
    id: ++state.connCounter,
    ws,
    nonce: randomUUID(),
    helloDone: false,
    scopes: [],
    seq: 0,
  }
  state.conns.add(conn)
  ws.on('close', (code) => {
    state.closes.push({ connId: conn.id, code })
    state.conns.delete(conn)
    if (conn.tick) clearInterval(conn.tick)
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
  })
  ws.on('error', () => {})
  const record = (text: string): void => {
    state.frames.push({ connId: conn.id, direction: 'in', text, frame: undefined })
  }
  if (state.hooks.onConnection?.(conn, record)) return
  conn.handshakeTimer = setTimeout(() => closeConn(conn, 1000, ''), state.handshakeTimeoutMs)
  if (!takeFault(state, ['no-challenge'])) {
    const payload: Record<string, unknown> = { nonce: conn.nonce }
    if (!state.options.omitChallengeTs) payload.ts = state.now()
    if (state.flavor === '9.6') payload.capabilities = ['model-catalog-snapshot']
    send(state, conn, { type: 'event', event: 'connect.challenge', payload })
  }
  ws.on('message', (data, isBinary) => onMessage(server, conn, isBinary ? '' : data.toString()))
}
