import { parseCronEvent, parseCronRuns } from '@clawlink/protocol'
import type { CronEvent, CronRunEntry } from '@clawlink/protocol'
import type { CronRunRef, GatewayClient } from './client.js'
import { abortedError, ClientError } from './errors.js'

/** How a finished run was observed. */
export type CronRunOutcome = CronEvent & { source: 'event' | 'poll' }

export type WaitForCronRunOptions = {
  /** Overall deadline. @default 600000 */
  timeoutMs?: number
  /** Poll `cron.runs` this often when no `finished` event came. @default 2000 */
  pollIntervalMs?: number
  signal?: AbortSignal
}

function entryMatches(entry: CronRunEntry, ref: CronRunRef, sinceMs: number | undefined): boolean {
  if (entry.jobId !== undefined && entry.jobId !== ref.jobId) return false
  if (ref.runId !== undefined && entry.runId !== undefined) return entry.runId === ref.runId
  if (sinceMs === undefined) return true
  return (entry.runAtMs ?? entry.ts ?? 0) >= sinceMs - 1000
}

/**
 * Wait for a cron run to finish: the `cron` `finished` event when it comes, else the run log (`cron.runs`),
 * polled every `pollIntervalMs` — events are `dropIfSlow` on the gateway and a reconnect can lose them.
 * @throws ClientError REQUEST_TIMEOUT (deadline), ABORTED; GatewayError from `cron.runs`
 */
export async function waitForCronRun(
  client: GatewayClient,
  ref: CronRunRef,
  options: WaitForCronRunOptions = {},
): Promise<CronRunOutcome> {
  const timeoutMs = options.timeoutMs ?? 600_000
  const pollIntervalMs = options.pollIntervalMs ?? 2000
  const deadline = Date.now() + timeoutMs
  const stop = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal
  if (options.signal?.aborted) throw abortedError(options.signal, 'waiting for the cron run')
  const sinceMs = ref.sinceMs ?? client.cronRunSentAtMs(ref.jobId)
  const fullRef: CronRunRef = sinceMs === undefined ? ref : { ...ref, sinceMs }

  const viaEvent = client
    .waitForCronFinished(fullRef, { timeoutMs, signal })
    .then((event): CronRunOutcome => ({ ...event, source: 'event' }))

  const viaPoll = (async (): Promise<CronRunOutcome> => {
    for (;;) {
      const wait = Math.min(pollIntervalMs, Math.max(0, deadline - Date.now()))
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, wait)
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer)
            reject(abortedError(signal, 'polling cron.runs'))
          },
          { once: true },
        )
      })
      if (Date.now() >= deadline) {
        throw new ClientError(
          'REQUEST_TIMEOUT',
          `cron job ${ref.jobId} did not finish within ${timeoutMs} ms`,
          {
            remedy: 'The run may still be going; check `cron.runs` later.',
            retryable: true,
          },
        )
      }
      try {
        const payload = await client.request(
          'cron.runs',
          { id: ref.jobId, limit: 20 },
          {
            timeoutMs: Math.max(1000, Math.min(30_000, deadline - Date.now())),
            signal,
          },
        )
        const entry = parseCronRuns(payload).find((e) => entryMatches(e, ref, sinceMs))
        if (entry) {
          const event = parseCronEvent({ ...entry.raw, action: 'finished', jobId: ref.jobId })
          if (event) return { ...event, source: 'poll' }
        }
      } catch (error) {
        // Connection hiccups are retried on the next poll; everything else (scope, unknown job) is final.
        if (!(error instanceof ClientError) || !error.retryable || signal.aborted) throw error
      }
    }
  })()

  try {
    return await Promise.any([viaEvent, viaPoll])
  } catch (error) {
    const errors = error instanceof AggregateError ? error.errors : [error]
    const meaningful =
      errors.find((e: unknown) => !(e instanceof ClientError && e.code === 'ABORTED')) ?? errors[0]
    throw meaningful
  } finally {
    stop.abort()
  }
}
