import { type CronJob, matchCronJob, parseCronEvent, parseCronJob } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { type ListBudget, listCronJobs, type ResolvedJob, resolvedFromMatch } from './cron-jobs.js'

/** Options of {@link createJobCache}. */
export type JobCacheOptions = ListBudget & {
  /** Re-list at the latest after this long, whatever the events said. @default 30000 */
  ttlMs?: number
}

/** A job list kept fresh by cron events, for long-lived callers resolving names often (the MCP server). */
export interface JobCache {
  /** Resolves an id or exact name from the cached list, listing when it is stale. */
  resolve(ref: string, options?: { signal?: AbortSignal }): Promise<ResolvedJob>
  /** Forget the list (e.g. after `cron.run` said the resolved id no longer exists). */
  invalidate(): void
  /** Stop listening to events. */
  close(): void
}

/**
 * A job list that follows the gateway's `cron` events (docs/protocol.md §7.3): `removed` drops a job, `added` and
 * `updated` with a `job` (5.7+) replace it, anything it cannot apply (3.13 sends no job with its events) marks the
 * list stale, as does a reconnect (events may have been lost) and the TTL. A warm name lookup costs no request.
 */
export function createJobCache(client: GatewayClient, options: JobCacheOptions = {}): JobCache {
  const ttlMs = options.ttlMs ?? 30_000
  let jobs: Map<string, CronJob> | undefined
  let listedAt = 0
  let listing: Promise<Map<string, CronJob>> | undefined

  const offEvent = client.on('cron', (frame) => {
    const event = parseCronEvent(frame.payload)
    if (!event || !jobs) return
    if (event.action === 'removed') jobs.delete(event.jobId)
    else if (event.action === 'added' || event.action === 'updated') {
      const job = parseCronJob((frame.payload as { job?: unknown }).job)
      if (job && job.id === event.jobId) jobs.set(job.id, job)
      else jobs = undefined // 3.13: no job in the event; list again when next asked
    }
  })
  const offConnection = client.onConnectionChange((change) => {
    if (change.kind === 'disconnected') jobs = undefined
  })

  async function current(signal?: AbortSignal): Promise<Map<string, CronJob>> {
    if (jobs && Date.now() - listedAt < ttlMs) return jobs
    listing ??= listCronJobs(client, { ...options, ...(signal ? { signal } : {}) })
      .then((list) => {
        jobs = new Map(list.map((j) => [j.id, j]))
        listedAt = Date.now()
        return jobs
      })
      .finally(() => {
        listing = undefined
      })
    return listing
  }

  return {
    async resolve(ref, resolveOptions = {}) {
      const fresh = jobs === undefined || Date.now() - listedAt >= ttlMs
      let match = matchCronJob([...(await current(resolveOptions.signal)).values()], ref)
      if (match.kind === 'none' && !fresh) {
        // Not in a list we did not just fetch: it may be newer than our list (3.13 events carry no job).
        jobs = undefined
        match = matchCronJob([...(await current(resolveOptions.signal)).values()], ref)
      }
      return resolvedFromMatch(ref, match)
    },
    invalidate() {
      jobs = undefined
    },
    close() {
      offEvent()
      offConnection()
    },
  }
}
