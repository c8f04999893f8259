import { randomUUID } from 'node:crypto'
import { type FakeAgentResult, type FakeAgentRun, playAgentRun } from './fake-stream.js'

/** Which real release the fake imitates (hello-ok shape, error shapes, cron event fields). */
export type FakeGatewayFlavor = '3.13' | '5.7' | '9.6'

/** A wire error as the gateway sends it (docs/protocol.md §1.2). */
export type FakeWireError = {
  code: string
  message: string
  details?: Record<string, unknown>
  retryable?: boolean
  retryAfterMs?: number
}

/** A cron job as stored by the fake (a subset of the real CronJob, docs/protocol.md §7.2). */
export type FakeCronJob = {
  id: string
  name: string
  enabled: boolean
  schedule: Record<string, unknown>
  payload: Record<string, unknown>
  /** Outcome of a run: `ok` (default) or `error`. */
  outcome?: 'ok' | 'error'
  /** How long a run takes before `finished` is broadcast. @default 20 */
  runDurationMs?: number
  nextRunAtMs?: number
  running?: boolean
  /** Play this agent turn's live stream for each run (fake-stream.ts); the run ends when it does. */
  agent?: FakeAgentRun
}

/** What the cron part of the fake needs from the server around it. */
export interface FakeCronDeps {
  flavor: FakeGatewayFlavor
  /** The gateway's clock (with the configured offset). */
  now: () => number
  later: (ms: number, fn: () => void) => void
  broadcast: (event: string, payload: unknown) => void
}

type Result = { payload?: unknown; error?: FakeWireError }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function intParam(value: unknown, fallback: number, min: number, max: number): number | undefined {
  if (value === undefined) return fallback
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : undefined
}

function invalid(method: string, what: string): Result {
  return { error: { code: 'INVALID_REQUEST', message: `invalid ${method} params: ${what}` } }
}

/** One page of `items` the way the gateway pages (docs/protocol.md §7.2). */
function page<T>(items: T[], params: Record<string, unknown>, method: string, key: string): Result {
  const limit = intParam(params.limit, 50, 1, 200)
  const offset = intParam(params.offset, 0, 0, Number.MAX_SAFE_INTEGER)
  if (limit === undefined) return invalid(method, 'limit must be an integer from 1 to 200')
  if (offset === undefined) return invalid(method, 'offset must be a non-negative integer')
  const slice = items.slice(offset, offset + limit)
  const hasMore = offset + slice.length < items.length
  return {
    payload: {
      [key]: slice,
      total: items.length,
      offset,
      limit,
      hasMore,
      nextOffset: hasMore ? offset + slice.length : null,
    },
  }
}

/** The cron store, shared by the method handlers below. */
interface CronState {
  deps: FakeCronDeps
  protocol: 3 | 4
  jobs: Map<string, FakeCronJob>
  runs: Array<Record<string, unknown>>
  runCounter: number
}

function addJob(state: CronState, input: Partial<FakeCronJob> & { name: string }): FakeCronJob {
  const job: FakeCronJob = {
    id: input.id ?? randomUUID(),
    name: input.name,
    enabled: input.enabled ?? true,
    schedule: input.schedule ?? { kind: 'every', everyMs: 3_600_000 },
    payload: input.payload ?? { kind: 'systemEvent', text: `hello from ${input.name}` },
    outcome: input.outcome ?? 'ok',
    runDurationMs: input.runDurationMs ?? 20,
    nextRunAtMs: input.nextRunAtMs ?? state.deps.now() + 3_600_000,
    running: false,
    ...(input.agent ? { agent: input.agent } : {}),
  }
  state.jobs.set(job.id, job)
  return job
}

function jobView(state: CronState, job: FakeCronJob): Record<string, unknown> {
  return {
    id: job.id,
    name: job.name,
    enabled: job.enabled,
    createdAtMs: 0,
    updatedAtMs: 0,
    schedule: job.schedule,
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: job.payload,
    state: { nextRunAtMs: job.nextRunAtMs, ...(job.running ? { runningAtMs: state.deps.now() } : {}) },
  }
}

function unknownJob(state: CronState, jobId: string, verb = 'Automation not found'): FakeWireError {
  // docs/protocol.md §7.2
  return state.protocol === 3
    ? { code: 'UNAVAILABLE', message: `Error: unknown cron job id: ${jobId}` }
    : {
        code: 'INVALID_REQUEST',
        message: `${verb}: ${jobId}. List automations and retry with a current job id.`,
        details: { code: 'CRON_JOB_NOT_FOUND', jobId },
      }
}

/** Ends a run: records it and broadcasts `finished` (docs/protocol.md §7.3). */
function finishRun(
  state: CronState,
  job: FakeCronJob,
  runId: string,
  runAtMs: number,
  agent?: FakeAgentResult,
): void {
  const { flavor, now, broadcast } = state.deps
  job.running = false
  const ok = agent ? agent.ok : job.outcome !== 'error'
  const summary = agent?.summary ?? String(job.payload.text ?? 'ok')
  const finished: Record<string, unknown> = {
    jobId: job.id,
    action: 'finished',
    status: ok ? 'ok' : 'error',
    ...(ok ? { summary } : { error: agent?.error ?? 'fake run failed' }),
    runAtMs,
    durationMs: agent ? now() - runAtMs : (job.runDurationMs ?? 20),
    nextRunAtMs: job.nextRunAtMs,
    ...(agent ? { sessionKey: agent.sessionKey, ...agent.extra } : {}),
  }
  // docs/protocol.md §7.3: 3.13 finished events carry no runId.
  if (flavor !== '3.13') finished.runId = runId
  if (flavor === '9.6') finished.completionStatus = ok ? 'succeeded' : 'failed'
  state.runs.unshift({ ts: now(), ...finished, jobName: job.name })
  broadcast('cron', finished)
}

function startRun(state: CronState, job: FakeCronJob, runId: string): void {
  const { flavor, now, later, broadcast } = state.deps
  job.running = true
  const runAtMs = now()
  later(1, () => {
    broadcast('cron', {
      jobId: job.id,
      action: 'started',
      runAtMs,
      ...(flavor === '3.13' ? {} : { job: jobView(state, job) }),
    })
    const agent = job.agent
    if (!agent) later(job.runDurationMs ?? 20, () => finishRun(state, job, runId, runAtMs))
    else
      void playAgentRun(state.deps, agent, { jobId: job.id, cronRunId: runId }).then((result) =>
        finishRun(state, job, runId, runAtMs, result),
      )
  })
}

function list(state: CronState, params: Record<string, unknown>): Result {
  const { flavor } = state.deps
  const query = typeof params.query === 'string' ? params.query.toLowerCase() : ''
  // 3.13 and 5.7 match the query against names only; 9.x also against ids (verified on real gateways).
  const hit = (j: FakeCronJob) =>
    !query || j.name.toLowerCase().includes(query) || (flavor === '9.6' && j.id.toLowerCase().includes(query))
  const all = [...state.jobs.values()].filter((j) => (j.enabled || params.includeDisabled === true) && hit(j))
  if (params.sortBy === 'name') all.sort((a, b) => a.name.localeCompare(b.name))
  if (params.sortDir === 'desc') all.reverse()
  return page(
    all.map((j) => jobView(state, j)),
    params,
    'cron.list',
    'jobs',
  )
}

function runHistory(state: CronState, params: Record<string, unknown>): Result {
  const id = (params.id ?? params.jobId) as string | undefined
  const entries = state.runs.filter((r) => id === undefined || r.jobId === id)
  if (params.sortDir === 'asc') entries.reverse()
  return page(entries, params, 'cron.runs', 'entries')
}

function run(state: CronState, params: Record<string, unknown>): Result {
  const { flavor, now } = state.deps
  const mode = params.mode ?? 'force'
  const allowed = new Set(['id', 'jobId', 'mode', 'expectedProcessInstanceId'])
  const hasId = typeof params.id === 'string'
  if (
    hasId === (typeof params.jobId === 'string') ||
    Object.keys(params).some((k) => !allowed.has(k)) ||
    !['force', 'due', 'if-enabled'].includes(String(mode))
  )
    return invalid('cron.run', 'must match a schema in anyOf')
  const jobId = String(params.id ?? params.jobId)
  const job = state.jobs.get(jobId)
  if (!job) return { error: unknownJob(state, jobId) }
  if (job.running) return { payload: { ok: true, ran: false, reason: 'already-running' } }
  if (mode === 'due' && (job.nextRunAtMs ?? Number.POSITIVE_INFINITY) > now())
    return { payload: { ok: true, ran: false, reason: 'not-due' } }
  const runId = `manual:${job.id}:${now()}:${++state.runCounter}`
  startRun(state, job, runId)
  return {
    payload: {
      ok: true,
      enqueued: true,
      runId,
      ...(flavor === '9.6' ? { processInstanceId: 'fake-process' } : {}),
    },
  }
}

function status(state: CronState): Result {
  const base = { enabled: true, storePath: '/fake/cron/jobs.json', jobs: state.jobs.size, nextWakeAtMs: null }
  return {
    payload:
      state.deps.flavor === '9.6'
        ? {
            ...base,
            triggersEnabled: true,
            storePath: '/fake/state/openclaw.sqlite',
            storage: 'sqlite',
            sqlitePath: '/fake/state/openclaw.sqlite',
          }
        : base,
  }
}

function add(state: CronState, params: Record<string, unknown>): Result {
  if (typeof params.name !== 'string') return invalid('cron.add', "must have required property 'name'")
  const job = addJob(state, {
    name: params.name,
    ...(isRecord(params.schedule) ? { schedule: params.schedule } : {}),
    ...(isRecord(params.payload) ? { payload: params.payload } : {}),
    ...(typeof params.enabled === 'boolean' ? { enabled: params.enabled } : {}),
  })
  state.deps.broadcast('cron', { jobId: job.id, action: 'added', nextRunAtMs: job.nextRunAtMs })
  return { payload: jobView(state, job) }
}

/** `cron.update {id, patch}`: name, enabled and schedule replace; payload fields merge (docs/protocol.md §7.8). */
function update(state: CronState, params: Record<string, unknown>): Result {
  const id = String(params.id ?? params.jobId)
  const job = state.jobs.get(id)
  if (!job) return { error: unknownJob(state, id) }
  if (!isRecord(params.patch)) return invalid('cron.update', "must have required property 'patch'")
  const { name, enabled, schedule, payload } = params.patch
  if (typeof name === 'string') job.name = name
  if (typeof enabled === 'boolean') job.enabled = enabled
  if (isRecord(schedule)) job.schedule = schedule
  if (isRecord(payload)) job.payload = { ...job.payload, ...payload }
  state.deps.broadcast('cron', { jobId: id, action: 'updated', nextRunAtMs: job.nextRunAtMs })
  return { payload: jobView(state, job) }
}

function remove(state: CronState, params: Record<string, unknown>): Result {
  const id = String(params.id ?? params.jobId)
  const removed = state.jobs.delete(id)
  if (removed) state.deps.broadcast('cron', { jobId: id, action: 'removed' })
  return { payload: { ok: true, removed } }
}

function get(state: CronState, params: Record<string, unknown>): Result | undefined {
  if (state.deps.flavor !== '9.6') return undefined
  const id = String(params.id ?? params.jobId)
  const job = state.jobs.get(id)
  return job ? { payload: jobView(state, job) } : { error: unknownJob(state, id, 'cron job not found') }
}

/** The cron methods; a handler returns undefined when its method does not exist on this flavor. */
const CRON_METHODS: Record<
  string,
  (state: CronState, params: Record<string, unknown>) => Result | undefined
> = {
  'cron.list': list,
  'cron.status': status,
  'cron.runs': runHistory,
  'cron.add': add,
  'cron.update': update,
  'cron.run': run,
  'cron.remove': remove,
  'cron.get': get,
}

/**
 * The fake's cron store and methods: jobs, runs with `started`/`finished` events on the gateway's clock, paging
 * with limit/offset/hasMore, `query`, `sortDir`, and `cron.get` on the 9.6 flavor.
 */
export function createFakeCron(deps: FakeCronDeps) {
  const state: CronState = {
    deps,
    protocol: deps.flavor === '9.6' ? 4 : 3,
    jobs: new Map<string, FakeCronJob>(),
    runs: [],
    runCounter: 0,
  }
  return {
    jobs: state.jobs,
    runs: state.runs,
    addJob: (input: Partial<FakeCronJob> & { name: string }): FakeCronJob => addJob(state, input),
    /** Handles a cron method; undefined when `method` is not one of them (or not on this flavor). */
    handle: (method: string, params: Record<string, unknown>): Result | undefined =>
      Object.hasOwn(CRON_METHODS, method) ? CRON_METHODS[method]?.(state, params) : undefined,
  }
}
