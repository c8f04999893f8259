import {
  buildCronRunParams,
  type CronRunRef,
  GatewayError,
  looksLikeJobId,
  parseCronRunResult,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import type { JobCache } from './cron-cache.js'
import { type ResolvedJob, resolveJob } from './cron-jobs.js'
import { answerLost, askAfterLostAnswer } from './cron-run-lost.js'
import { type FinishedRun, finishedRun, type RunWaiter, waitForRun } from './cron-wait.js'
import type { RunProgress } from './run-progress.js'
import { anySignal, deadlineSignal, formatMs } from './deadline.js'
import { ClientError } from './errors.js'
import { followRun, type RunFollower } from './run-follow.js'

/** How `runJob` ended. Every presenter (CLI text, `--json`, MCP) shows one of these. */
export type RunOutcome =
  | { kind: 'enqueued'; job: ResolvedJob; runId: string | undefined }
  | { kind: 'not-run'; job: ResolvedJob; reason: string }
  | ({ kind: 'finished'; job: ResolvedJob } & FinishedRun)

/** What a run had done so far, for errors that end it early. */
type RunState = {
  job?: ResolvedJob
  runId?: string | undefined
  sent: boolean
  enqueued: boolean
  /** While waiting: the live stream (whether the run started, its agent session). */
  follower?: RunFollower
}

/** Options of {@link runJob}. */
export type RunJobOptions = {
  /** Job id or exact name. */
  ref: string
  /** `force` runs regardless of schedule; `due` only when due; `if-enabled` (9.x) when enabled (docs/protocol.md §7.1). @default 'force' */
  mode?: 'force' | 'due' | 'if-enabled'
  /** Follow the run to its end. @default false */
  wait?: boolean
  /** Deadline of the whole call (resolve, run, wait). @default 600000 */
  timeoutMs?: number
  signal?: AbortSignal
  onProgress?: (event: RunProgress) => void
  /**
   * Called with the resolved job before `cron.run`; throw to refuse (allow-lists, a user's confirmation). When
   * given, the job is always resolved first, so the decision sees its id and name.
   */
  authorize?: (job: ResolvedJob) => void | Promise<void>
  /** How often `cron.runs` is polled while waiting. @default 2000 */
  pollIntervalMs?: number
  /** Resolve names from this job list instead of asking the gateway each time (long-lived callers). */
  jobs?: JobCache
  /** With `wait`: a `heartbeat` progress event after this long without any other. @default 5000 */
  heartbeatMs?: number
  /**
   * When the connection drops before `cron.run` is answered: how long to keep looking for the run on the gateway
   * (a gateway with every run slot busy queues it unseen) before reporting that it did not start. @default 30 s;
   * with `wait`, half the call's time limit, between 30 s and 2 min (the caller asked to wait: look longer)
   */
  lostAnswerGraceMs?: number
}

/** How long to look for a run whose `cron.run` answer was lost, when the caller did not say. */
function defaultLostAnswerGraceMs(options: RunJobOptions): number {
  if (!options.wait) return 30_000
  return Math.min(120_000, Math.max(30_000, (options.timeoutMs ?? 600_000) / 2))
}

/**
 * The cron use-case both apps share (docs/architecture.md "The client"): resolve the job, send `cron.run`, and with `wait`
 * follow the run to its end — cron events subscribed before `cron.run` is sent, `cron.runs` polled as the
 * fallback, "my run" matched on the gateway's clock. An id goes straight to `cron.run`.
 * @throws ClientError JOB_NOT_FOUND, JOB_AMBIGUOUS, WAIT_TIMEOUT (with the runId), DEADLINE_EXCEEDED, …;
 *   GatewayError; whatever `authorize` throws
 */
export async function runJob(client: GatewayClient, options: RunJobOptions): Promise<RunOutcome> {
  const timeoutMs = options.timeoutMs ?? 600_000
  const state: RunState = { enqueued: false, sent: false }
  const deadline = deadlineSignal(timeoutMs, 'cron run', () => timeoutError(options.ref, state, timeoutMs))
  const signal = anySignal(options.signal, deadline.signal) as AbortSignal
  const progress = (event: RunProgress): void => {
    try {
      options.onProgress?.(event)
    } catch {
      // A presenter's bug must not break the run.
    }
  }
  try {
    if (!client.hello) await client.connect({ signal })
    if (!options.authorize && looksLikeJobId(options.ref)) {
      const job: ResolvedJob = { id: options.ref, name: undefined, job: undefined }
      state.job = job
      try {
        return await runResolved(client, job, options, signal, state, progress)
      } catch (error) {
        const unknownId = error instanceof GatewayError && error.code === 'JOB_NOT_FOUND'
        if (!unknownId || state.enqueued) throw error
        // An id-shaped reference that is no job's id may still be a job's name: resolve it as one below.
      }
    }
    return await resolveAndRun(client, options, signal, state, progress)
  } catch (error) {
    // A cancelled call says what it had done: presenters tell the user whether a run goes on.
    if (error instanceof ClientError && error.code === 'ABORTED') {
      throw new ClientError('ABORTED', error.message, {
        remedy: error.remedy,
        cause: error,
        details: {
          jobId: state.job?.id,
          jobName: state.job?.name,
          runId: state.runId,
          sent: state.sent,
          enqueued: state.enqueued,
          started: state.follower?.started ?? false,
          sessionKey: state.follower?.sessionKey,
        },
      })
    }
    throw error
  } finally {
    deadline.clear()
  }
}

async function resolveAndRun(
  client: GatewayClient,
  options: RunJobOptions,
  signal: AbortSignal,
  state: RunState,
  progress: (event: RunProgress) => void,
): Promise<RunOutcome> {
  const resolve = () =>
    options.jobs ? options.jobs.resolve(options.ref, { signal }) : resolveJob(client, options.ref, { signal })
  let job = await resolve()
  for (let attempt = 0; ; attempt++) {
    state.job = job
    progress({ kind: 'resolved', job })
    await options.authorize?.(job)
    try {
      return await runResolved(client, job, options, signal, state, progress)
    } catch (error) {
      // A cached list can be out of date: when the id it gave is gone, resolve once more from a fresh list.
      const gone = error instanceof GatewayError && error.code === 'JOB_NOT_FOUND'
      if (!gone || !options.jobs || attempt > 0 || state.enqueued) throw error
      options.jobs.invalidate()
      const again = await resolve()
      if (again.id === job.id) throw error
      job = again
    }
  }
}

async function runResolved(
  client: GatewayClient,
  job: ResolvedJob,
  options: RunJobOptions,
  signal: AbortSignal,
  state: RunState,
  progress: (event: RunProgress) => void,
): Promise<RunOutcome> {
  // Subscribe BEFORE sending cron.run: a fast job finishes before the answer to cron.run arrives.
  const follower = options.wait
    ? followRun(client, { jobId: job.id, onProgress: progress, heartbeatMs: options.heartbeatMs })
    : undefined
  state.follower = follower
  const waiter = follower
    ? waitForRun(
        client,
        { jobId: job.id },
        { signal, pollIntervalMs: options.pollIntervalMs, onProgress: (e) => follower.report(e), job },
      )
    : undefined
  try {
    const notBeforeMs = client.gatewayNow()
    state.sent = true
    const [answer, named] = await Promise.all([
      client.request('cron.run', buildCronRunParams({ id: job.id, mode: options.mode ?? 'force' }), {
        signal,
      }),
      job.name === undefined ? nameOf(client, job.id, signal) : Promise.resolve(job.name),
    ]).catch((error: unknown) => {
      if (answerLost(error, signal)) return [LOST, undefined] as const
      throw error
    })
    if (answer === LOST) {
      const graceMs = options.lostAnswerGraceMs ?? defaultLostAnswerGraceMs(options)
      const lost = { job, notBeforeMs, signal, state, progress, waiter, follower, graceMs }
      return await afterLostAnswer(client, lost)
    }
    const result = parseCronRunResult(answer)
    if (named !== undefined) job.name = named
    if (!result.enqueued) return { kind: 'not-run', job, reason: result.reason ?? 'not enqueued' }
    state.enqueued = true
    state.runId = result.runId
    progress({ kind: 'enqueued', job, runId: result.runId })
    if (!waiter || !follower) return { kind: 'enqueued', job, runId: result.runId }
    follower.setRunId(result.runId)
    const ref: CronRunRef = { jobId: job.id, runId: result.runId, notBeforeMs }
    const finished = await waiter.until(ref)
    return {
      kind: 'finished',
      job,
      ...finished,
      runId: finished.runId ?? result.runId,
      sessionKey: finished.sessionKey ?? follower.sessionKey,
    }
  } finally {
    waiter?.stop()
    follower?.stop()
  }
}

const LOST = Symbol('answer lost')

/**
 * The connection dropped after `cron.run` was sent and before its answer: ask the gateway whether the run
 * started (never send `cron.run` again), then follow it, report how it ended, or say plainly it did not start.
 */
async function afterLostAnswer(
  client: GatewayClient,
  lost: {
    job: ResolvedJob
    notBeforeMs: number
    signal: AbortSignal
    state: RunState
    progress: (event: RunProgress) => void
    waiter: RunWaiter | undefined
    follower: RunFollower | undefined
    graceMs: number
  },
): Promise<RunOutcome> {
  const { job, notBeforeMs, state, waiter, follower } = lost
  if (job.name === undefined) job.name = await nameOf(client, job.id, lost.signal)
  const ref: CronRunRef = { jobId: job.id, notBeforeMs }
  const answer = await askAfterLostAnswer(client, ref, lost.signal, lost.graceMs)
  if (answer.kind === 'not-started') return { kind: 'not-run', job, reason: 'not-started' }
  state.enqueued = true
  if (answer.kind === 'finished') {
    const run = answer.entry
    state.runId = run.runId
    lost.progress({ kind: 'enqueued', job, runId: run.runId })
    return {
      kind: 'finished',
      job,
      ...finishedRun(run, 'poll'),
      sessionKey: run.sessionKey ?? follower?.sessionKey,
    }
  }
  lost.progress({ kind: 'enqueued', job, runId: undefined })
  if (!waiter || !follower) return { kind: 'enqueued', job, runId: undefined }
  follower.markStarted()
  const finished = await waiter.until(ref)
  state.runId = finished.runId
  return { kind: 'finished', job, ...finished, sessionKey: finished.sessionKey ?? follower.sessionKey }
}

/** The job's name from `cron.get` on gateways that have it (to show it for a run started by id); else undefined. */
async function nameOf(client: GatewayClient, id: string, signal: AbortSignal): Promise<string | undefined> {
  if (!client.hasMethod('cron.get')) return undefined
  try {
    const job = (await client.request('cron.get', { id }, { signal })) as { name?: unknown }
    return typeof job?.name === 'string' ? job.name : undefined
  } catch {
    return undefined // the name is a nicety; cron.run's own answer decides
  }
}

function timeoutError(ref: string, state: RunState, timeoutMs: number): ClientError {
  const name = state.job?.name ?? ref
  const details = {
    jobId: state.job?.id,
    jobName: state.job?.name,
    runId: state.runId,
    enqueued: state.enqueued,
    started: state.follower?.started ?? false,
    sessionKey: state.follower?.sessionKey,
  }
  if (state.enqueued) {
    return new ClientError(
      'WAIT_TIMEOUT',
      `run ${state.runId ?? '(no run id)'} of "${name}" did not finish within ${formatMs(timeoutMs)}; it goes on on the gateway`,
      { remedy: `Look at its outcome later in the job's run history.`, retryable: true, details },
    )
  }
  return new ClientError(
    'DEADLINE_EXCEEDED',
    `cron run "${name}" did not get going within ${formatMs(timeoutMs)}`,
    {
      remedy: 'Check that the gateway is reachable and not overloaded; nothing is known to have run.',
      retryable: true,
      details,
    },
  )
}

/** Whether an outcome is a success for the caller; both apps decide exit codes and `isError` from this. */
export type RunVerdict =
  | { ok: true }
  | { ok: false; code: 'RUN_FAILED' | 'ALREADY_RUNNING' | 'NOT_RUN'; message: string; remedy: string }

/**
 * The one judgement of a run outcome: a finished run that did not succeed is a failure; "already running" is a
 * failure (no new run started); "not due" (with mode due) is a success that ran nothing; any other reason the
 * gateway gives for not running is a failure.
 */
export function judgeRun(outcome: RunOutcome): RunVerdict {
  const name = outcome.job.name ?? outcome.job.id
  if (outcome.kind === 'enqueued') return { ok: true }
  if (outcome.kind === 'finished') {
    if (outcome.succeeded) return { ok: true }
    const status = outcome.status ?? outcome.completionStatus ?? 'unknown'
    return {
      ok: false,
      code: 'RUN_FAILED',
      message: `${outcome.runId ? `run ${outcome.runId}` : 'the run'} of "${name}" finished with status ${status}${outcome.error ? `: ${outcome.error}` : ''}`,
      remedy: "Look at the job's run history and the gateway log for the cause.",
    }
  }
  if (outcome.reason === 'not-due') return { ok: true }
  if (outcome.reason === 'not-started') {
    return {
      ok: false,
      code: 'NOT_RUN',
      message: `the connection dropped before the gateway answered cron.run, and no run of "${name}" started on the gateway since: it did not start`,
      remedy:
        "Run it again once the connection is steady (clawlink never repeats cron.run on its own); a gateway whose run slots were all busy may still start it late: check the job's run history first.",
    }
  }
  if (outcome.reason === 'already-running') {
    return {
      ok: false,
      code: 'ALREADY_RUNNING',
      message: `job "${name}" is already running; no new run was started`,
      remedy: 'Wait for the current run to finish, then run it again.',
    }
  }
  return {
    ok: false,
    code: 'NOT_RUN',
    message: `the gateway did not run "${name}": ${outcome.reason}`,
    remedy: 'Check the job definition (its session target and schedule) on the gateway.',
  }
}
