import { ProtocolError } from './errors.js'

/** `cron.run` modes; `if-enabled` exists on v4 gateways only (PROTOCOL.md §7.1). */
export const CRON_RUN_MODES = ['force', 'due', 'if-enabled'] as const
export type CronRunMode = (typeof CRON_RUN_MODES)[number]

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function bad(message: string): never {
  throw new ProtocolError('INVALID_PARAMS', message)
}

// Ids match `^[^/\\]+$` on the gateway (§7.1, cron.runs); refuse the rest before sending.
function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) bad(`${field} must be a non-empty string`)
  if (/[/\\]/.test(value)) bad(`${field} must not contain "/" or "\\"`)
  return value
}

function idParams(options: Record<string, unknown>, method: string): { id: string } | { jobId: string } {
  if ('name' in options) bad(`${method} takes a job id, never a name: resolve the name with cron.list first`)
  const hasId = options.id !== undefined
  const hasJobId = options.jobId !== undefined
  if (hasId && hasJobId) bad(`${method} takes id or jobId, not both`)
  if (!hasId && !hasJobId) bad(`${method} needs a job id`)
  return hasId ? { id: checkId(options.id, 'id') } : { jobId: checkId(options.jobId, 'jobId') }
}

/** Options of {@link buildCronRunParams}. */
export interface CronRunOptions {
  id?: string
  jobId?: string
  /** @default 'force' (the gateway's default too) */
  mode?: CronRunMode
}

/**
 * `cron.run` params: `{id}` or `{jobId}` (never both, never a name) and an optional mode (§7.1, §12.2 #16).
 * @throws ProtocolError INVALID_PARAMS
 */
export function buildCronRunParams(options: CronRunOptions): {
  id?: string
  jobId?: string
  mode: CronRunMode
} {
  const params = idParams(options as Record<string, unknown>, 'cron.run')
  const mode = options.mode ?? 'force'
  if (!(CRON_RUN_MODES as readonly string[]).includes(mode)) {
    bad(`invalid cron.run mode "${String(mode)}"; allowed: ${CRON_RUN_MODES.join(', ')}`)
  }
  return { ...params, mode }
}

/** Options of {@link buildCronListParams} (§7.1). */
export interface CronListOptions {
  includeDisabled?: boolean
  limit?: number
  offset?: number
  query?: string
  enabled?: 'all' | 'enabled' | 'disabled'
  sortBy?: 'nextRunAtMs' | 'updatedAtMs' | 'name'
  sortDir?: 'asc' | 'desc'
}

function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${field} must be an integer from ${min} to ${max}`)
  }
  return value
}

/** `cron.list` params; limit 1..200 (§7.1). @throws ProtocolError INVALID_PARAMS */
export function buildCronListParams(options: CronListOptions = {}): CronListOptions {
  const out: CronListOptions = {}
  if (options.includeDisabled !== undefined) out.includeDisabled = options.includeDisabled === true
  if (options.limit !== undefined) out.limit = checkInt(options.limit, 'limit', 1, 200)
  if (options.offset !== undefined)
    out.offset = checkInt(options.offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (options.query !== undefined) out.query = String(options.query)
  if (options.enabled !== undefined) {
    if (!['all', 'enabled', 'disabled'].includes(options.enabled))
      bad('enabled must be all, enabled or disabled')
    out.enabled = options.enabled
  }
  if (options.sortBy !== undefined) {
    if (!['nextRunAtMs', 'updatedAtMs', 'name'].includes(options.sortBy))
      bad('sortBy must be nextRunAtMs, updatedAtMs or name')
    out.sortBy = options.sortBy
  }
  if (options.sortDir !== undefined) {
    if (options.sortDir !== 'asc' && options.sortDir !== 'desc') bad('sortDir must be asc or desc')
    out.sortDir = options.sortDir
  }
  return out
}

/** Options of {@link buildCronRunsParams} (§7.1). */
export interface CronRunsOptions {
  id?: string
  jobId?: string
  limit?: number
  offset?: number
  status?: 'all' | 'ok' | 'error' | 'skipped'
  sortDir?: 'asc' | 'desc'
}

/** `cron.runs` params for one job, or for all jobs when no id is given (§7.1). */
export function buildCronRunsParams(options: CronRunsOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> =
    options.id === undefined && options.jobId === undefined
      ? {}
      : idParams(options as Record<string, unknown>, 'cron.runs')
  if (options.limit !== undefined) out.limit = checkInt(options.limit, 'limit', 1, 200)
  if (options.offset !== undefined)
    out.offset = checkInt(options.offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (options.status !== undefined) {
    if (!['all', 'ok', 'error', 'skipped'].includes(options.status))
      bad('status must be all, ok, error or skipped')
    out.status = options.status
  }
  if (options.sortDir !== undefined) {
    if (options.sortDir !== 'asc' && options.sortDir !== 'desc') bad('sortDir must be asc or desc')
    out.sortDir = options.sortDir
  }
  return out
}

/** `cron.status` takes an empty object (§7.1). */
export function buildCronStatusParams(): Record<string, never> {
  return {}
}

/** What `cron.run` answered (§7.2). */
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

/** Parses a `cron.run` result: `{enqueued, runId}` or `{ran:false, reason}` (§7.2). */
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

/** A `cron` event (§7.3); `runId` is absent on 3.13. */
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
    runAtMs: optNumber(payload.runAtMs),
    nextRunAtMs: optNumber(payload.nextRunAtMs),
    completionStatus: optString(payload.completionStatus),
  }
}

/** A cron job as listed by `cron.list` (§7.2), with the fields clients show. */
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

/** Parses `cron.list` results (`{jobs: [...]}`), skipping entries without an id. */
export function parseCronJobs(payload: unknown): CronJob[] {
  const jobs = isRecord(payload) && Array.isArray(payload.jobs) ? payload.jobs : []
  const out: CronJob[] = []
  for (const j of jobs) {
    if (!isRecord(j)) continue
    const id = optString(j.id)
    if (!id) continue
    const state = isRecord(j.state) ? j.state : {}
    out.push({
      id,
      name: typeof j.name === 'string' ? j.name : '',
      enabled: j.enabled !== false,
      schedule: j.schedule,
      nextRunAtMs: optNumber(state.nextRunAtMs) ?? optNumber(j.nextRunAtMs),
      lastRunAtMs: optNumber(state.lastRunAtMs),
      lastStatus: optString(state.lastRunStatus) ?? optString(state.lastStatus),
      raw: j,
    })
  }
  return out
}

/** A `cron.runs` entry (§7.2). */
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
  raw: Record<string, unknown>
}

/** Parses `cron.runs` results (`{entries: [...]}`). */
export function parseCronRuns(payload: unknown): CronRunEntry[] {
  const entries = isRecord(payload) && Array.isArray(payload.entries) ? payload.entries : []
  return entries.filter(isRecord).map((e) => ({
    ts: optNumber(e.ts),
    jobId: optString(e.jobId),
    runId: optString(e.runId),
    status: optString(e.status),
    completionStatus: optString(e.completionStatus),
    error: optString(e.error),
    summary: optString(e.summary),
    runAtMs: optNumber(e.runAtMs),
    durationMs: optNumber(e.durationMs),
    raw: e,
  }))
}

/** Whether a finished run succeeded: v4 `completionStatus`, else `status === 'ok'` (§7.2, §7.3). */
export function runSucceeded(run: {
  status?: string | undefined
  completionStatus?: string | undefined
}): boolean {
  if (run.completionStatus) return run.completionStatus === 'succeeded'
  return run.status === 'ok'
}

/** Outcome of {@link matchCronJob}. */
export type CronJobMatch =
  | { kind: 'found'; job: CronJob; by: 'id' | 'name' }
  | { kind: 'ambiguous'; matches: CronJob[] }
  | { kind: 'none'; suggestions: CronJob[] }

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/**
 * Resolves a job reference the way users type it: an exact id, else an exact name (`cron.run` takes ids
 * only, §7.1). No match → up to 3 closest names (edit distance, case-insensitive; substrings first).
 */
export function matchCronJob(jobs: readonly CronJob[], ref: string): CronJobMatch {
  const byId = jobs.find((j) => j.id === ref)
  if (byId) return { kind: 'found', job: byId, by: 'id' }
  const byName = jobs.filter((j) => j.name === ref)
  if (byName.length === 1) return { kind: 'found', job: byName[0]!, by: 'name' }
  if (byName.length > 1) return { kind: 'ambiguous', matches: byName }
  const needle = ref.toLowerCase()
  const scored = jobs
    .map((job) => {
      const name = job.name.toLowerCase()
      const contains = name.includes(needle) || (name.length > 0 && needle.includes(name))
      return { job, score: contains ? 0 : editDistance(needle, name) }
    })
    .filter((s) => s.score <= Math.max(3, Math.floor(needle.length / 2)))
    .sort((a, b) => a.score - b.score || a.job.name.localeCompare(b.job.name))
  return { kind: 'none', suggestions: scored.slice(0, 3).map((s) => s.job) }
}

/** A cron schedule as people read it: `every 1h`, `cron 0 3 * * * (UTC)`, `at …` (§7.1 schedule kinds). */
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
