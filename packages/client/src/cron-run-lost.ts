import {
  buildCronRunsParams,
  type CronRunEntry,
  type CronRunRef,
  GatewayError,
  matchCronRun,
  parseCronJob,
  parseCronRuns,
  shouldRetry,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { listCronJobs } from './cron-jobs.js'
import { sleep } from './deadline.js'
import { abortedError, ClientError } from './errors.js'

/** What the gateway says about a `cron.run` whose answer was lost with the connection. */
export type LostRunAnswer =
  | { kind: 'finished'; entry: CronRunEntry }
  | { kind: 'running'; runAtMs: number }
  | { kind: 'not-started' }

// Errors that end a request without the gateway's answer: whether it ran is unknown until asked.
const LOST_ANSWER = new Set(['CONNECTION_CLOSED', 'TICK_TIMEOUT', 'SHUTDOWN', 'REQUEST_TIMEOUT'])

// Rounding between the gateway's run time and our estimate of its clock (as matchCronRun allows).
const SLACK_MS = 1000
// How often the gateway is asked while no run has shown up.
const LOOK_EVERY_MS = 2000

/** True when `error` ended a request without its answer (a drop, a stall, a restart), not a refusal. */
export function answerLost(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted || error instanceof GatewayError) return false
  return error instanceof ClientError && LOST_ANSWER.has(error.code)
}

/**
 * After a drop between sending `cron.run` and its answer: reconnects (any request does) and asks the gateway
 * whether a run of the job started since `ref.notBeforeMs` (the gateway's clock): a finished one in `cron.runs`,
 * or one running now in the job's state (`runningAtMs`). A gateway whose run slots are all busy queues the run
 * and shows nothing of it, so it keeps asking every 2 s for `graceMs` before saying it did not start. Never sends
 * `cron.run`. Requests that fail for a transient reason are asked again until `signal`.
 */
export async function askAfterLostAnswer(
  client: GatewayClient,
  ref: CronRunRef,
  signal: AbortSignal,
  graceMs: number,
): Promise<LostRunAnswer> {
  const until = Date.now() + graceMs
  for (;;) {
    const answer = await retrying(signal, () => lookOnce(client, ref, signal))
    if (answer.kind !== 'not-started' || Date.now() >= until) return answer
    await sleep(Math.min(LOOK_EVERY_MS, Math.max(0, until - Date.now())), signal).catch(() => {
      throw abortedError(signal, 'asking whether the run started')
    })
  }
}

async function lookOnce(client: GatewayClient, ref: CronRunRef, signal: AbortSignal): Promise<LostRunAnswer> {
  const runs = parseCronRuns(
    await client.request('cron.runs', buildCronRunsParams({ id: ref.jobId, limit: 20, sortDir: 'desc' }), {
      signal,
    }),
  )
  const entry = runs.find((run) => matchCronRun(run, ref))
  if (entry) return { kind: 'finished', entry }
  const runningAtMs = await runningSince(client, ref.jobId, signal)
  const notBefore = (ref.notBeforeMs ?? 0) - SLACK_MS
  if (runningAtMs !== undefined && runningAtMs >= notBefore) return { kind: 'running', runAtMs: runningAtMs }
  return { kind: 'not-started' }
}

/** The job's `state.runningAtMs` (when a run of it is running now), from `cron.get` or `cron.list`. */
async function runningSince(
  client: GatewayClient,
  jobId: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const job = client.hasMethod('cron.get')
    ? parseCronJob(await client.request('cron.get', { id: jobId }, { signal }))
    : (await listCronJobs(client, { signal })).find((j) => j.id === jobId)
  const state = job?.raw.state as { runningAtMs?: unknown } | undefined
  return typeof state?.runningAtMs === 'number' ? state.runningAtMs : undefined
}

/** Runs `fn` until it answers, a refusal, or `signal`; a transient failure (drop, restart) waits 1 s. */
async function retrying<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn()
    } catch (error) {
      if (signal.aborted) throw abortedError(signal, 'asking whether the run started')
      if (!shouldRetry(error)) throw error
    }
    await sleep(1000, signal).catch(() => {
      throw abortedError(signal, 'asking whether the run started')
    })
  }
}
