import { isRecord } from './records.js'

/** What `cron.run` answered (docs/protocol.md §7.2). */
export interface CronRunResult {
  enqueued: boolean
  ran: boolean | undefined
  reason: string | undefined
  runId: string | undefined
  processInstanceId: string | undefined
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function optNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

// The range a JavaScript Date can hold; a time outside it is shown as unknown rather than crashing a caller.
const MAX_TIME_MS = 8.64e15

/** A millisecond timestamp, or undefined when it is missing, not a number or outside the Date range. */
export function optTimeMs(value: unknown): number | undefined {
  const n = optNumber(value)
  return n !== undefined && Math.abs(n) <= MAX_TIME_MS ? n : undefined
}

/** Parses a `cron.run` result: `{enqueued, runId}` or `{ran:false, reason}` (docs/protocol.md §7.2). */
export function parseCronRunResult(payload: unknown): CronRunResult {
  const p = isRecord(payload) ? payload : {}
  return {
    enqueued: p.enqueued === true,
    ran: typeof p.ran === 'boolean' ? p.ran : undefined,
    reason: optString(p.reason),
    runId: optString(p.runId),
    processInstanceId: optString(p.processInstanceId),
  }
}

/** A `cron` event (docs/protocol.md §7.3); `runId` is absent on 3.13. */
export interface CronEvent {
  jobId: string
  action: string
  runId: string | undefined
  status: string | undefined
  error: string | undefined
  summary: string | undefined
  durationMs: number | undefined
  runAtMs: number | undefined
  nextRunAtMs: number | undefined
  /** v4: `succeeded` | `failed`. */
  completionStatus: string | undefined
  /** The run's agent session (finished events of agent-turn runs). */
  sessionKey: string | undefined
}

/** Parses a `cron` event payload; undefined when it lacks a jobId or action. */
export function parseCronEvent(payload: unknown): CronEvent | undefined {
  if (!isRecord(payload)) return undefined
  const jobId = optString(payload.jobId)
  const action = optString(payload.action)
  if (!jobId || !action) return undefined
  return {
    jobId,
    action,
    runId: optString(payload.runId),
    status: optString(payload.status),
    error: optString(payload.error),
    summary: optString(payload.summary),
    durationMs: optNumber(payload.durationMs),
    runAtMs: optTimeMs(payload.runAtMs),
    nextRunAtMs: optTimeMs(payload.nextRunAtMs),
    completionStatus: optString(payload.completionStatus),
    sessionKey: optString(payload.sessionKey),
  }
}

/** A cron job as listed by `cron.list` (docs/protocol.md §7.2), with the fields clients show. */
export interface CronJob {
  id: string
  name: string
  enabled: boolean
  schedule: unknown
  nextRunAtMs: number | undefined
  lastRunAtMs: number | undefined
  lastStatus: string | undefined
  raw: Record<string, unknown>
}

/** Parses one job (a `cron.list` entry or the `cron.get` result, docs/protocol.md §7.2); undefined without an id. */
export function parseCronJob(value: unknown): CronJob | undefined {
  if (!isRecord(value)) return undefined
  const id = optString(value.id)
  if (!id) return undefined
  const state = isRecord(value.state) ? value.state : {}
  return {
    id,
    name: typeof value.name === 'string' ? value.name : '',
    enabled: value.enabled !== false,
    schedule: value.schedule,
    nextRunAtMs: optTimeMs(state.nextRunAtMs) ?? optTimeMs(value.nextRunAtMs),
    lastRunAtMs: optTimeMs(state.lastRunAtMs),
    lastStatus: optString(state.lastRunStatus) ?? optString(state.lastStatus),
    raw: value,
  }
}

/** Parses `cron.list` results (`{jobs: [...]}`), skipping entries without an id. */
export function parseCronJobs(payload: unknown): CronJob[] {
  const jobs = isRecord(payload) && Array.isArray(payload.jobs) ? payload.jobs : []
  const out: CronJob[] = []
  for (const j of jobs) {
    const job = parseCronJob(j)
    if (job) out.push(job)
  }
  return out
}

/** Paging fields of `cron.list` and `cron.runs` results (docs/protocol.md §7.2): the next offset, or undefined at the end. */
export function nextPageOffset(payload: unknown, offset: number): number | undefined {
  if (!isRecord(payload) || payload.hasMore !== true) return undefined
  const next = payload.nextOffset
  return typeof next === 'number' && Number.isInteger(next) && next > offset ? next : undefined
}

/** What `cron.status` says (docs/protocol.md §7.2); a field the gateway did not send stays undefined. */
export interface CronStatus {
  enabled: boolean | undefined
  jobs: number | undefined
  nextWakeAtMs: number | undefined
  storePath: string | undefined
  /** `sqlite` on 9.x; 3.13 and 5.7 do not say (they keep a JSON file). */
  storage: string | undefined
  raw: Record<string, unknown>
}

/** Parses a `cron.status` result without inventing what the gateway left out. */
export function parseCronStatus(payload: unknown): CronStatus {
  const p = isRecord(payload) ? payload : {}
  return {
    enabled: typeof p.enabled === 'boolean' ? p.enabled : undefined,
    jobs: optNumber(p.jobs),
    nextWakeAtMs: optTimeMs(p.nextWakeAtMs),
    storePath: optString(p.storePath),
    storage: optString(p.storage),
    raw: p,
  }
}

/** A `cron.runs` entry (docs/protocol.md §7.2). */
export interface CronRunEntry {
  ts: number | undefined
  jobId: string | undefined
  runId: string | undefined
  status: string | undefined
  completionStatus: string | undefined
  error: string | undefined
  summary: string | undefined
  runAtMs: number | undefined
  durationMs: number | undefined
  /** The run's agent session (agent-turn runs). */
  sessionKey: string | undefined
  raw: Record<string, unknown>
}

/** Parses `cron.runs` results (`{entries: [...]}`). */
export function parseCronRuns(payload: unknown): CronRunEntry[] {
  const entries = isRecord(payload) && Array.isArray(payload.entries) ? payload.entries : []
  return entries.filter(isRecord).map((e) => ({
    ts: optTimeMs(e.ts),
    jobId: optString(e.jobId),
    runId: optString(e.runId),
    status: optString(e.status),
    completionStatus: optString(e.completionStatus),
    error: optString(e.error),
    summary: optString(e.summary),
    runAtMs: optTimeMs(e.runAtMs),
    durationMs: optNumber(e.durationMs),
    sessionKey: optString(e.sessionKey),
    raw: e,
  }))
}

/** Whether a finished run succeeded: v4 `completionStatus`, else `status === 'ok'` (docs/protocol.md §7.2, §7.3). */
export function runSucceeded(run: {
  status?: string | undefined
  completionStatus?: string | undefined
}): boolean {
  if (run.completionStatus) return run.completionStatus === 'succeeded'
  return run.status === 'ok'
}

/** A cron schedule as people read it: `every 1h`, `cron 0 3 * * * (UTC)`, `at …` (docs/protocol.md §7.1 schedule kinds). */
export function describeCronSchedule(schedule: unknown): string {
  if (!isRecord(schedule)) return '-'
  const { kind, everyMs, expr, tz, at } = schedule
  if (kind === 'every' && typeof everyMs === 'number') {
    const [n, unit] =
      everyMs % 86_400_000 === 0
        ? [everyMs / 86_400_000, 'd']
        : everyMs % 3_600_000 === 0
          ? [everyMs / 3_600_000, 'h']
          : everyMs % 60_000 === 0
            ? [everyMs / 60_000, 'm']
            : [everyMs / 1000, 's']
    return `every ${n}${unit}`
  }
  if (kind === 'cron' && typeof expr === 'string')
    return `cron ${expr}${typeof tz === 'string' ? ` (${tz})` : ''}`
  if (kind === 'at' && typeof at === 'string') return `at ${at}`
  return typeof kind === 'string' ? kind : '-'
}
