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
import { createFakeCron } from './fake-cron.js'
import { createFakeHandshake } from './fake-handshake.js'
import { listen } from './fake-listen.js'
import { createFakePairing } from './fake-pairing.js'
import { type FakeServer, methodsFor, onConnection } from './fake-requests.js'
import {
  broadcast,
  closeConn,
  createFakeState,
  dropAll,
  type FakeState,
  later,
  send,
  sendEvent,
  takeFault,
} from './fake-server.js'
import type { FakeContext, FakeFrameRecord, FakeGateway, FakeGatewayOptions } from './fake-types.js'

export type { FakeCronJob, FakeGatewayFlavor, FakeWireError } from './fake-cron.js'
export type { FakeAgentRun, FakeAgentStep } from './fake-stream.js'
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

type Listener = Awaited<ReturnType<typeof listen>>

/** What the handshake needs from the server, bound to this fake's state. */
function handshakeContext(state: FakeState, server: Pick<FakeServer, 'methods' | 'pairing'>): FakeContext {
  const { flavor, options } = state
  return {
    flavor,
    protocol: state.protocol,
    version: flavor === '3.13' ? '2026.3.13' : flavor === '5.7' ? '2026.5.7' : '2026.9.6',
    options,
    sharedToken: 'token' in options ? options.token : 'fake-shared-token',
    now: state.now,
    devices: state.devices,
    pairingRequest: server.pairing.requestFor,
    methods: server.methods,
    takeFault: (kinds, method) => takeFault(state, kinds, method),
    send: (conn, frame) => send(state, conn, frame),
    sendEvent: (conn, event, payload) => sendEvent(state, conn, event, payload),
    closeConn,
  }
}

/** The requests received, optionally only those of one method. */
function requestsIn(frames: FakeFrameRecord[], method?: string): Array<Record<string, unknown>> {
  return frames
    .filter(
      (f) =>
        f.direction === 'in' &&
        f.frame?.type === 'req' &&
        (method === undefined || f.frame.method === method),
    )
    .map((f) => f.frame as Record<string, unknown>)
}

/** `event shutdown`, then 1012 to every socket (docs/protocol.md §8). */
function shutdownAll(state: FakeState): void {
  for (const conn of state.conns) {
    if (conn.helloDone)
      sendEvent(
        state,
        conn,
        'shutdown',
        state.flavor === '9.6'
          ? { reason: 'gateway stopping' }
          : { reason: 'gateway stopping', restartExpectedMs: null },
      )
    closeConn(conn, 1012, 'service restart')
  }
}

/** The test-facing side of a running fake. */
function fakeGatewayApi(server: FakeServer, ctx: FakeContext, listener: Listener): FakeGateway {
  const { state, cron, pairing } = server
  const { options, conns } = state
  const port = listener.port
  const gateway: FakeGateway = {
    url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    port,
    flavor: state.flavor,
    protocol: state.protocol,
    get token() {
      return ctx.sharedToken
    },
    frames: state.frames,
    closes: state.closes,
    jobs: cron.jobs,
    devices: state.devices,
    get connectionCount() {
      return state.connCounter
    },
    get openConnections() {
      return conns.size
    },
    requests: (method?: string) => requestsIn(state.frames, method),
    setFault(next) {
      state.fault = next
    },
    addJob: cron.addJob,
    broadcast: (event, payload) => broadcast(state, event, payload),
    shutdown: () => shutdownAll(state),
    dropConnections(code = 1001, reason = 'going away') {
      for (const conn of conns) closeConn(conn, code, reason)
    },
    rotateSharedToken(next) {
      ctx.sharedToken = next
      // 9.x: every shared-auth client is closed and reconnects (docs/gateway/configuration/hot-reload.md).
      for (const conn of conns) if (conn.helloDone) closeConn(conn, 4001, 'gateway auth changed')
    },
    pendingRequests: pairing.list,
    approve(requestId) {
      pairing.approve(requestId)
    },
    reject: pairing.reject,
    revokeDeviceTokens() {
      for (const device of state.devices.values()) device.tokens.clear()
    },
    muteEvents(events) {
      state.muted.clear()
      for (const e of events) state.muted.add(e)
    },
    async restart(downMs = 200) {
      gateway.shutdown()
      await new Promise((r) => setTimeout(r, 20))
      // Down without giving the port up (fake-listen.ts): connections are reset until it is back.
      listener.down(true)
      dropAll(state)
      await new Promise((r) => setTimeout(r, downMs))
      listener.down(false)
    },
    async close() {
      pairing.close()
      for (const t of state.timers) clearTimeout(t)
      state.timers.clear()
      dropAll(state)
      await listener.close()
    },
  }
  return gateway
}

/** Start a fake gateway on 127.0.0.1 with a free port. */
export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const state = createFakeState(options)
  const cron = createFakeCron({
    flavor: state.flavor,
    now: state.now,
    later: (ms, fn) => later(state, ms, fn),
    broadcast: (event, payload) => broadcast(state, event, payload),
  })
  for (const job of options.jobs ?? []) cron.addJob(job)
  const methods = methodsFor(state.flavor)
  const pairing = createFakePairing({
    now: state.now,
    devices: state.devices,
    ttlMs: options.pairingTtlMs ?? 300_000,
  })
  const ctx = handshakeContext(state, { methods, pairing })
  const server: FakeServer = { state, methods, cron, pairing, handshake: createFakeHandshake(ctx) }
  const listener = await listen(options, options.port ?? 0, state.maxPayload, (ws) =>
    onConnection(server, ws),
  )
  return fakeGatewayApi(server, ctx, listener)
}
