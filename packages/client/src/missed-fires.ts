import {
  buildCronRunsParams,
  type CronJob,
  describeCronSchedule,
  GatewayError,
  matchCronJob,
  nextPageOffset,
  optTimeMs,
  parseCronRuns,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { listCronJobs, resolvedFromMatch } from './cron-jobs.js'
import { evaluateSchedule, type FireMark, type RunAt } from './fire-schedule.js'

/** Options of {@link checkMissedFires}. */
export type CheckMissedFiresOptions = {
  /** Job ids or exact names; all enabled jobs when absent or empty. */
  jobs?: readonly string[]
  /** Start of the window, on the gateway's clock (ms). */
  sinceMs: number
  /** The gateway's now (ms). @default client.gatewayNow() */
  now?: number
  /** How late after its slot a run still counts as on time. @default 60000 */
  graceMs?: number
  /** Bound on the run entries read in the page-walk. @default 200000 */
  maxRuns?: number
  /** Bound on the bytes of run pages read. @default 64 MiB */
  maxBytes?: number
  signal?: AbortSignal
}

/** One job's verdict: its judged fires, or why its schedule could not be evaluated. */
export type JobFireCheck = {
  id: string
  name: string
  schedule: string
  fires: FireMark[]
  missed: number
  late: number
  /** The job's most recent run on the gateway's clock (any time), if known. */
  lastRunAtMs: number | undefined
  /** Why the schedule was not checked (then `fires` is empty). */
  error: string | undefined
  notes: string[]
}

/** What {@link checkMissedFires} found. */
export type MissedFiresReport = {
  sinceMs: number
  nowMs: number
  /**
   * Where the fires were judged from: later than `sinceMs` when the history read's budget ran out or the gateway
   * keeps less history than the window (9.x: 7 days).
   */
  checkedFromMs: number
  /** Why `checkedFromMs` is later than `sinceMs`: the gateway's history retention, or the read's budget. */
  limitedBy?: 'retention' | 'budget'
  jobs: JobFireCheck[]
  missed: number
  late: number
  /** Jobs whose schedule could not be evaluated. */
  unchecked: number
  runsRead: number
  requests: number
}

const PAGE = 200

/**
 * How far back a gateway keeps run history: 2026.9.x keeps terminal runs 7 days (its docs:
 * automation/cron-jobs/managing-jobs.md), so an older fire with no run says nothing about the fire. Protocol 4
 * gateways are judged by that window; 3.13/5.7 prune their run logs by size and line count only.
 */
export const V4_RUN_RETENTION_MS = 7 * 24 * 3_600_000

/** The newest rows a gateway keeps per job (9.x: 2000; 3.13/5.7's default `runLog.keepLines` is of that order). */
export const RUN_HISTORY_CEILING = 2000

type History = { byJob: Map<string, RunAt[]>; reachedMs: number; runs: number; requests: number }

/**
 * Missed fires: for every enabled job (or the named ones), the fire times its schedule implied since `sinceMs`
 * against its run history, read in one page-walk of `cron.runs` (newest first, all jobs at once; per job when
 * the gateway refuses `scope: "all"` or only a few jobs are asked for). Runs and slots are on the gateway's
 * clock. A schedule that cannot be evaluated is reported on its job; the others are checked.
 * @throws ClientError JOB_NOT_FOUND, JOB_AMBIGUOUS; GatewayError; ClientError from the requests
 */
export async function checkMissedFires(
  client: GatewayClient,
  options: CheckMissedFiresOptions,
): Promise<MissedFiresReport> {
  const signal = options.signal
  if (!client.hello) await client.connect(signal ? { signal } : {})
  const nowMs = options.now ?? client.gatewayNow()
  const all = await listCronJobs(client, { includeDisabled: true, ...(signal ? { signal } : {}) })
  const refs = options.jobs ?? []
  const chosen =
    refs.length > 0
      ? refs.map((ref) => resolvedFromMatch(ref, matchCronJob(all, ref)).job as CronJob)
      : all.filter((j) => j.enabled)
  const jobs = [...new Map(chosen.filter((j) => j.enabled).map((j) => [j.id, j])).values()]
  const history = await readHistory(client, jobs, refs.length > 0, options)
  const retainedFromMs = client.protocol === 4 ? nowMs - V4_RUN_RETENTION_MS : -Infinity
  const checkedFromMs = Math.max(options.sinceMs, history.reachedMs, retainedFromMs)
  const slotCache = new Map<string, number[]>()
  const checks = jobs.map((job) => {
    const runs = history.byJob.get(job.id) ?? []
    // A job at the gateway's row ceiling has lost its older runs: judge it only from its oldest kept run.
    const fromMs =
      runs.length >= RUN_HISTORY_CEILING
        ? Math.max(checkedFromMs, Math.min(...runs.map((r) => r.runAtMs)))
        : checkedFromMs
    const check = checkJob(job, runs, { fromMs, nowMs, slotCache }, options)
    if (fromMs > checkedFromMs)
      check.notes.push(
        `the gateway keeps its newest ${RUN_HISTORY_CEILING} runs: checked from ${new Date(fromMs).toISOString()}`,
      )
    return check
  })
  return {
    sinceMs: options.sinceMs,
    nowMs,
    checkedFromMs,
    ...(checkedFromMs > options.sinceMs
      ? { limitedBy: checkedFromMs === retainedFromMs ? ('retention' as const) : ('budget' as const) }
      : {}),
    jobs: checks,
    missed: checks.reduce((n, c) => n + c.missed, 0),
    late: checks.reduce((n, c) => n + c.late, 0),
    unchecked: checks.filter((c) => c.error !== undefined).length,
    runsRead: history.runs,
    requests: history.requests,
  }
}

function checkJob(
  job: CronJob,
  runs: RunAt[],
  window: { fromMs: number; nowMs: number; slotCache: Map<string, number[]> },
  options: CheckMissedFiresOptions,
): JobFireCheck {
  const verdict = evaluateSchedule(job.schedule, runs, {
    ...window,
    createdAtMs: optTimeMs(job.raw.createdAtMs),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
  })
  const latest = runs.reduce<number | undefined>(
    (m, r) => (m === undefined || r.runAtMs > m ? r.runAtMs : m),
    undefined,
  )
  const base = {
    id: job.id,
    name: job.name,
    schedule: describeCronSchedule(job.schedule),
    // A run still going (or not yet in the history) counts too: --run-missed must not start a second one.
    lastRunAtMs: latestOf(latest, job.lastRunAtMs, optTimeMs(stateOf(job).runningAtMs)),
  }
  if (!verdict.ok) return { ...base, fires: [], missed: 0, late: 0, error: verdict.reason, notes: [] }
  return {
    ...base,
    fires: verdict.fires,
    missed: verdict.fires.filter((f) => f.status === 'missed').length,
    late: verdict.fires.filter((f) => f.status === 'late').length,
    error: undefined,
    notes: verdict.notes,
  }
}

function latestOf(...times: (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined)
  return known.length > 0 ? Math.max(...known) : undefined
}

function stateOf(job: CronJob): Record<string, unknown> {
  const state = job.raw.state
  return typeof state === 'object' && state !== null ? (state as Record<string, unknown>) : {}
}

/** The run history since `sinceMs`, grouped by job: one walk over all jobs, or one per job. */
async function readHistory(
  client: GatewayClient,
  jobs: CronJob[],
  named: boolean,
  options: CheckMissedFiresOptions,
): Promise<History> {
  const history: History = { byJob: new Map(), reachedMs: options.sinceMs, runs: 0, requests: 0 }
  if (jobs.length === 0) return history
  if (!named || jobs.length > 10) {
    try {
      await walkRuns(client, undefined, history, options)
      return history
    } catch (error) {
      // A gateway without `scope: "all"` says so as a params error: read each job's history instead.
      if (!(error instanceof GatewayError && error.code === 'INVALID_PARAMS')) throw error
      history.byJob.clear()
    }
  }
  for (const job of jobs) await walkRuns(client, job.id, history, options)
  return history
}

/** Pages `cron.runs` newest first until a run older than `sinceMs`, the end, or the budget. */
async function walkRuns(
  client: GatewayClient,
  jobId: string | undefined,
  history: History,
  options: CheckMissedFiresOptions,
): Promise<void> {
  const maxRuns = options.maxRuns ?? 200_000
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  let bytes = 0
  let read = 0
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const params: Record<string, unknown> = {
      ...(jobId === undefined ? { scope: 'all' } : {}),
      ...buildCronRunsParams({ ...(jobId ? { id: jobId } : {}), limit: PAGE, offset, sortDir: 'desc' }),
    }
    const page: unknown = await client.request('cron.runs', params, {
      ...(options.signal ? { signal: options.signal } : {}),
      onResponseBytes: (n) => {
        bytes += n
      },
    })
    history.requests++
    let older = false
    for (const run of parseCronRuns(page)) {
      const at = run.runAtMs ?? run.ts
      const id = run.jobId ?? jobId
      if (at === undefined || id === undefined) continue
      if (at < options.sinceMs) older = true
      const list = history.byJob.get(id) ?? []
      list.push({ runAtMs: at, runId: run.runId })
      history.byJob.set(id, list)
      read++
      history.runs++
    }
    offset = older ? undefined : nextPageOffset(page, offset)
    if (offset !== undefined && (read >= maxRuns || bytes >= maxBytes)) {
      // Out of budget before the window's start: only what the history covers is judged.
      let reached = Number.POSITIVE_INFINITY
      for (const list of history.byJob.values()) for (const r of list) reached = Math.min(reached, r.runAtMs)
      if (Number.isFinite(reached)) history.reachedMs = Math.max(history.reachedMs, reached)
      return
    }
  }
}
