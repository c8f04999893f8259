import {
  buildCronGetParams,
  buildCronListParams,
  buildCronRunsParams,
  type CronJob,
  type CronJobMatch,
  type CronRunEntry,
  type CronStatus,
  GatewayError,
  matchCronJob,
  nextPageOffset,
  parseCronJob,
  parseCronJobs,
  parseCronRuns,
  parseCronStatus,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { ClientError } from './errors.js'

/** Bounds on what a gateway can make us hold while paging (a hostile `hasMore` never ends). */
export type ListBudget = {
  /** @default 10000 */
  maxJobs?: number
  /** Sum of response frame sizes. @default 16 MiB */
  maxBytes?: number
}

/** Options of {@link listCronJobs}. */
export type ListCronJobsOptions = ListBudget & {
  includeDisabled?: boolean
  /** The gateway's own filter (case-insensitive substring of the name on every version; 9.x also ids). */
  query?: string
  signal?: AbortSignal
}

const PAGE = 200 // the gateway's maximum page (docs/protocol.md §7.1)

/**
 * Every cron job (matching `query`), following `hasMore` pages (docs/protocol.md §7.1, §7.2), within a count and
 * a byte budget.
 * @throws ClientError RESPONSE_TOO_LARGE when the budget runs out; GatewayError; ClientError from the request
 */
export async function listCronJobs(
  client: GatewayClient,
  options: ListCronJobsOptions = {},
): Promise<CronJob[]> {
  const maxJobs = options.maxJobs ?? 10_000
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024
  const jobs: CronJob[] = []
  let bytes = 0
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const params = buildCronListParams({
      includeDisabled: options.includeDisabled ?? true,
      limit: PAGE,
      offset,
      ...(options.query ? { query: options.query } : {}),
    })
    const page = await client.request('cron.list', params, {
      ...(options.signal ? { signal: options.signal } : {}),
      onResponseBytes: (n) => {
        bytes += n
      },
    })
    jobs.push(...parseCronJobs(page))
    if (jobs.length > maxJobs || bytes > maxBytes) {
      throw new ClientError(
        'RESPONSE_TOO_LARGE',
        `the gateway listed more than ${jobs.length > maxJobs ? `${maxJobs} jobs` : `${Math.round(maxBytes / 1048576)} MiB of jobs`} and says there are more; stopped`,
        {
          remedy: 'Narrow the listing with a query (a part of the job name), or use the job id directly.',
          details: { jobs: jobs.length, bytes },
        },
      )
    }
    offset = nextPageOffset(page, offset)
  }
  return jobs
}

/** A job as the run path knows it: always an id; the name and the full entry when they were fetched. */
export type ResolvedJob = { id: string; name: string | undefined; job: CronJob | undefined }

function resolved(job: CronJob): ResolvedJob {
  return { id: job.id, name: job.name, job }
}

/** `cron.get` (9.x) for an id: the job, or undefined when the gateway has no job with that id. */
async function getById(
  client: GatewayClient,
  id: string,
  signal?: AbortSignal,
): Promise<CronJob | undefined> {
  try {
    return parseCronJob(await client.request('cron.get', buildCronGetParams(id), signal ? { signal } : {}))
  } catch (error) {
    if (error instanceof GatewayError && (error.code === 'JOB_NOT_FOUND' || /not found/i.test(error.message)))
      return undefined
    if (error instanceof GatewayError && error.code === 'INVALID_PARAMS') return undefined // not id-shaped
    throw error
  }
}

/**
 * Resolves a job reference the way users type it — an id, else an exact name — with one small request whatever
 * the number of jobs: the gateway's own `query` filter (names on every version, ids too on 9.x). Only an id on
 * 3.13/5.7 (whose `query` ignores ids) and a reference that matched nothing fall back to the full listing,
 * which also yields the closest names.
 * @throws ClientError JOB_NOT_FOUND (with the closest names) or JOB_AMBIGUOUS (with the candidates)
 */
export async function resolveJob(
  client: GatewayClient,
  ref: string,
  options: ListBudget & { signal?: AbortSignal } = {},
): Promise<ResolvedJob> {
  let match = matchCronJob(await listCronJobs(client, { ...options, query: ref }), ref)
  if (match.kind === 'none') match = matchCronJob(await listCronJobs(client, options), ref)
  return resolvedFromMatch(ref, match)
}

/**
 * The job a match found, or the error a user sees for none or several.
 * @throws ClientError JOB_NOT_FOUND (with the closest names) or JOB_AMBIGUOUS (with the candidates)
 */
export function resolvedFromMatch(ref: string, match: CronJobMatch): ResolvedJob {
  if (match.kind === 'found') return resolved(match.job)
  if (match.kind === 'ambiguous') throw jobAmbiguous(ref, match.matches)
  throw jobNotFound(ref, match.suggestions)
}

/** The error for a name that several jobs carry, listing their ids. */
export function jobAmbiguous(ref: string, matches: readonly CronJob[]): ClientError {
  return new ClientError(
    'JOB_AMBIGUOUS',
    `${matches.length} jobs are named "${ref}": ${matches.map((j) => j.id).join(', ')}`,
    {
      remedy: 'Pass the job id instead of the name.',
      details: { ref, matches: matches.map((j) => ({ id: j.id, name: j.name })) },
    },
  )
}

/**
 * The full entry of a job: `cron.get` where the gateway has it (9.x), else the `cron.list` entry
 * (docs/protocol.md §7.1).
 * @throws ClientError JOB_NOT_FOUND, JOB_AMBIGUOUS
 */
export async function getJob(
  client: GatewayClient,
  ref: string,
  options: ListBudget & { signal?: AbortSignal } = {},
): Promise<ResolvedJob & { job: CronJob }> {
  const found = await resolveJob(client, ref, options)
  if (client.hasMethod('cron.get')) {
    const full = await getById(client, found.id, options.signal)
    if (full) return resolved(full) as ResolvedJob & { job: CronJob }
  }
  return found as ResolvedJob & { job: CronJob }
}

/** The error for a job that does not exist, with up to three close names. */
export function jobNotFound(ref: string, suggestions: readonly CronJob[] = []): ClientError {
  const hint =
    suggestions.length > 0
      ? `Did you mean ${suggestions.map((j) => `"${j.name}"`).join(', ')}?`
      : 'List the jobs to see their ids and names.'
  return new ClientError('JOB_NOT_FOUND', `no cron job with id or name "${ref}"`, {
    remedy: hint,
    details: { ref, suggestions: suggestions.map((j) => ({ id: j.id, name: j.name })) },
  })
}

/**
 * The most recent runs of a job (by id or exact name), newest first (docs/protocol.md §7.1).
 * @throws ClientError JOB_NOT_FOUND, JOB_AMBIGUOUS; GatewayError
 */
export async function getJobRuns(
  client: GatewayClient,
  ref: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<{ job: ResolvedJob; runs: CronRunEntry[] }> {
  const job = await resolveJob(client, ref, options.signal ? { signal: options.signal } : {})
  return { job, runs: await getRunsOf(client, job.id, options) }
}

/** The most recent runs of the job with this id (already resolved), newest first: one `cron.runs`. */
export async function getRunsOf(
  client: GatewayClient,
  jobId: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<CronRunEntry[]> {
  const params = buildCronRunsParams({ id: jobId, limit: options.limit ?? 20, sortDir: 'desc' })
  return parseCronRuns(
    await client.request('cron.runs', params, options.signal ? { signal: options.signal } : {}),
  )
}

/** The scheduler's status, without inventing what the gateway did not say (docs/protocol.md §7.2). */
export async function getCronStatus(
  client: GatewayClient,
  options: { signal?: AbortSignal } = {},
): Promise<CronStatus> {
  return parseCronStatus(
    await client.request('cron.status', {}, options.signal ? { signal: options.signal } : {}),
  )
}
