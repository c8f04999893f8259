import { matchCronRun } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { getJob, getRunsOf, type ResolvedJob } from './cron-jobs.js'
import type { RunOutcome } from './cron-run.js'
import { finishedRun } from './cron-wait.js'
import { isClientError } from './errors.js'

/** A run found again by its job and run id: finished (with its outcome), or not in the run history yet. */
export type RunLookup = { kind: 'pending'; job: ResolvedJob } | { kind: 'ended'; outcome: RunOutcome }

/**
 * Looks one run up on the gateway (one `cron.get` for the job's name, one `cron.runs`): what a caller that did not
 * start it (another process, a replica behind a load balancer) needs to report how it ended. A run that is not in
 * the history yet is `pending`; `notBeforeMs` (when it was started) matches a history entry without a run id.
 * @throws GatewayError
 */
export async function lookupRun(
  client: GatewayClient,
  ref: { jobId: string; runId: string; notBeforeMs?: number; signal?: AbortSignal },
): Promise<RunLookup> {
  const options = ref.signal ? { signal: ref.signal } : {}
  const found = await getJob(client, ref.jobId, options).catch((error: unknown) => {
    if (isClientError(error)) return undefined // a job removed since: its history may still say how the run ended
    throw error
  })
  const job: ResolvedJob = found ?? { id: ref.jobId, name: undefined, job: undefined }
  const runs = await getRunsOf(client, ref.jobId, { ...options, limit: 50 })
  const match = { jobId: ref.jobId, runId: ref.runId, notBeforeMs: ref.notBeforeMs }
  const entry = runs.find((run) => matchCronRun({ ...run, jobId: run.jobId ?? ref.jobId }, match))
  if (!entry) return { kind: 'pending', job }
  return { kind: 'ended', outcome: { kind: 'finished', job, ...finishedRun(entry, 'poll') } }
}
