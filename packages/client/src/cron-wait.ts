import {
  buildCronRunsParams,
  type CronEvent,
  type CronRunEntry,
  type CronRunRef,
  matchCronRun,
  parseCronEvent,
  parseCronRuns,
  runSucceeded,
  shouldRetry,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import type { ResolvedJob } from './cron-jobs.js'
import type { RunProgress } from './run-progress.js'
import { anySignal, raceSignal, sleep } from './deadline.js'
import { abortedError } from './errors.js'

/** A finished run as the gateway reported it (an event or a run-log entry, docs/protocol.md §7.2, §7.3). */
export type FinishedRun = {
  runId: string | undefined
  status: string | undefined
  /** v4: `succeeded` | `failed`. */
  completionStatus: string | undefined
  succeeded: boolean
  summary: string | undefined
  error: string | undefined
  durationMs: number | undefined
  /** When the run started, on the gateway's clock. */
  runAtMs: number | undefined
  observedBy: 'event' | 'poll'
  /** The run's agent session, when the gateway named it. */
  sessionKey: string | undefined
}

/** Options of {@link waitForRun}. */
export type WaitForRunOptions = {
  signal: AbortSignal
  /** @default 2000 */
  pollIntervalMs?: number | undefined
  onProgress?: (event: RunProgress) => void
  job: ResolvedJob
}

/** Follows one job's runs; `until(ref)` resolves with the run matching `ref`; `stop()` frees everything. */
export interface RunWaiter {
  until(ref: CronRunRef): Promise<FinishedRun>
  stop(): void
}

/** A finished run from a `finished` event or a `cron.runs` entry. */
export function finishedRun(run: CronEvent | CronRunEntry, observedBy: 'event' | 'poll'): FinishedRun {
  return {
    runId: run.runId,
    status: run.status,
    completionStatus: run.completionStatus,
    succeeded: runSucceeded(run),
    summary: run.summary,
    error: run.error,
    durationMs: run.durationMs,
    runAtMs: run.runAtMs,
    observedBy,
    sessionKey: run.sessionKey,
  }
}

/**
 * Starts listening to a job's cron events at once (so a run that finishes before `cron.run` is answered is not
 * missed); `until(ref)` then also polls `cron.runs` — events are dropped for slow clients and lost across a
 * reconnect — and polls at once after a reconnect.
 */
export function waitForRun(
  client: GatewayClient,
  target: { jobId: string },
  options: WaitForRunOptions,
): RunWaiter {
  const stop = new AbortController()
  const seen: CronEvent[] = []
  let deliver: ((event: CronEvent) => void) | undefined
  let nudge = new AbortController()
  const offEvent = client.on('cron', (frame) => {
    const event = parseCronEvent(frame.payload)
    if (!event || event.jobId !== target.jobId) return
    if (deliver) deliver(event)
    else if (seen.length < 100) seen.push(event)
  })
  const offConnection = client.onConnectionChange((change) => {
    if (change.kind === 'connected') nudge.abort()
    else options.onProgress?.({ kind: 'connection-lost', error: change.error })
  })
  const release = (): void => {
    stop.abort()
    offEvent()
    offConnection()
  }

  const until = (ref: CronRunRef): Promise<FinishedRun> => {
    const outcome = new Promise<FinishedRun>((resolve, reject) => {
      let started = false
      deliver = (event) => {
        if (!matchCronRun(event, ref)) return
        if (event.action === 'started' && !started) {
          started = true
          options.onProgress?.({ kind: 'started', job: options.job, runId: event.runId ?? ref.runId })
        } else if (event.action === 'finished') resolve(finishedRun(event, 'event'))
      }
      for (const event of seen.splice(0)) deliver(event)
      poll(ref).then(resolve, reject)
    })
    return raceSignal(outcome, options.signal, 'waiting for the cron run')
  }

  const poll = async (ref: CronRunRef): Promise<FinishedRun> => {
    const interval = options.pollIntervalMs ?? 2000
    const params = buildCronRunsParams({ id: ref.jobId, limit: 20, sortDir: 'desc' })
    for (let attempt = 1; ; attempt++) {
      try {
        await sleep(interval, anySignal(stop.signal, options.signal, nudge.signal))
      } catch {
        if (stop.signal.aborted || options.signal.aborted)
          throw abortedError(options.signal, 'polling cron.runs')
        nudge = new AbortController() // woken by a reconnect: poll now
      }
      options.onProgress?.({ kind: 'polling', attempt })
      try {
        const runs = parseCronRuns(
          await client.request('cron.runs', params, {
            signal: anySignal(stop.signal, options.signal) as AbortSignal,
          }),
        )
        const mine = runs.find((entry) => matchCronRun(entry, ref))
        if (mine) return finishedRun(mine, 'poll')
      } catch (error) {
        if (stop.signal.aborted || options.signal.aborted)
          throw abortedError(options.signal, 'polling cron.runs')
        // A dropped connection or a gateway restart is retried on the next poll; a refusal is final.
        if (!shouldRetry(error)) throw error
      }
    }
  }

  return { until, stop: release }
}
