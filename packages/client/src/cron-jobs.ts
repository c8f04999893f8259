import { buildCronListParams, type CronJob, parseCronJobs } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'

/** Every cron job, following `hasMore` pages of the gateway's maximum 200 (PROTOCOL.md §7.1, §7.2). */
export async function listCronJobs(
  client: GatewayClient,
  options: { includeDisabled?: boolean; query?: string } = {},
): Promise<CronJob[]> {
  const jobs: CronJob[] = []
  for (let offset = 0; offset < 100_000; ) {
    const params = buildCronListParams({
      includeDisabled: options.includeDisabled ?? true,
      limit: 200,
      offset,
      ...(options.query ? { query: options.query } : {}),
    })
    const page = (await client.request('cron.list', params)) as
      | { hasMore?: boolean; nextOffset?: number | null }
      | undefined
    jobs.push(...parseCronJobs(page))
    if (!page?.hasMore || typeof page.nextOffset !== 'number' || page.nextOffset <= offset) break
    offset = page.nextOffset
  }
  return jobs
}
