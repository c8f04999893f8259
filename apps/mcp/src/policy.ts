import type { ResolvedJob } from '@clawlink/client'
import { looksLikeJobId } from '@clawlink/protocol'
import { noteAuditJob } from './audit.js'
import { ToolRefusal } from './present.js'

/** What the operator allows the assistant (flags and env of clawlink-mcp). */
export interface McpPolicy {
  /**
   * Job ids or exact names that may be run; empty = any job. `context:job` admits the job only on that context's
   * gateway (when `context` is one of {@link contexts}); a bare entry admits it on every gateway.
   */
  allowJobs: readonly string[]
  /** Hide run_cron_job (and the write tools) entirely. */
  readOnly: boolean
  /** Offer the write tools (`--allow-write`); never under read-only. */
  allowWrite?: boolean
  /** Let run_cron_job run a disabled job (`--allow-disabled`): a deliberate hand run. */
  allowDisabled?: boolean
  /** The server's contexts (`--context`), for `context:job` entries. */
  contexts?: readonly string[]
}

/** A job as the policy sees it; `context` is the gateway it lives on (its context name), when there are contexts. */
export type PolicyJob = { id: string; name: string | undefined; context?: string | undefined }

/** An allow-list entry split into its context (when it names one of the server's) and its job reference. */
export function splitEntry(
  policy: Pick<McpPolicy, 'contexts'>,
  entry: string,
): { context: string | undefined; ref: string } {
  const colon = entry.indexOf(':')
  const context = colon > 0 ? entry.slice(0, colon) : undefined
  if (context !== undefined && policy.contexts?.includes(context))
    return { context, ref: entry.slice(colon + 1) }
  return { context: undefined, ref: entry }
}

/**
 * Whether the allow-list admits a job: an entry equal to its id, or — for entries that are not id-shaped —
 * equal to its name. An entry written as an id never admits a job that merely carries that string as its name.
 * A name entry admits any job that has (or later gets) that name, so ids are the safer entries.
 */
export function isAllowed(policy: McpPolicy, job: PolicyJob): boolean {
  if (policy.allowJobs.length === 0) return true
  return policy.allowJobs.some((entry) => {
    const { context, ref } = splitEntry(policy, entry)
    if (context !== undefined && context !== job.context) return false
    return ref === job.id || (!looksLikeJobId(ref) && job.name !== undefined && ref === job.name)
  })
}

/** Why this server would not run `job` (read-only, not in the allow-list, disabled), or null when it would. */
export function whyNotRunnable(policy: McpPolicy, job: PolicyJob & { enabled?: boolean }): string | null {
  if (policy.readOnly) return 'this server is read-only'
  if (!isAllowed(policy, job)) return "the job is not in this server's allow-list"
  if (job.enabled === false && policy.allowDisabled !== true)
    return 'the job is disabled, and this server runs disabled jobs only with --allow-disabled'
  return null
}

const ADD_IT =
  "If it should be allowed, the user adds it to the --allow-job arguments (or CLAWLINK_MCP_ALLOW_JOBS) in the MCP client's configuration for clawlink-mcp."

/** Throws the refusal the assistant sees when the allow-list does not admit `job`, or it is disabled. */
export function assertAllowed(policy: McpPolicy, job: ResolvedJob, context?: string): void {
  noteAuditJob(job)
  const label = `"${job.name ?? job.id}" (${job.id})`
  if (!isAllowed(policy, { ...job, context }))
    throw new ToolRefusal(
      'NOT_ALLOWED',
      `Job ${label} is not in this server's allow-list, so it was not run. Allowed jobs: ${policy.allowJobs.join(', ')}.`,
      { remedy: ADD_IT.replace('allowed', 'runnable') },
    )
  if (job.job?.enabled === false && policy.allowDisabled !== true)
    throw new ToolRefusal('JOB_DISABLED', `Job ${label} is disabled, so it was not run.`, {
      remedy:
        "Ask the user to enable it (set_cron_job_enabled, or clawlink cron enable), or — for a deliberate hand run of a disabled job — to add --allow-disabled to the MCP client's configuration for clawlink-mcp.",
    })
}

/** Why this server would not write `job` (or the job as it `becomes`: created, renamed), or null when it would. */
export function whyNotWritable(
  policy: McpPolicy,
  job: PolicyJob | undefined,
  becomes?: PolicyJob,
): string | null {
  if (policy.readOnly) return 'this server is read-only'
  if (policy.allowWrite !== true) return 'this server does not write jobs (it runs without --allow-write)'
  if (job && !isAllowed(policy, job))
    return `job "${job.name ?? job.id}" (${job.id}) is not in this server's allow-list`
  if (becomes && !isAllowed(policy, becomes))
    return `the job would be named "${becomes.name ?? ''}", which this server's allow-list does not admit`
  return null
}

/**
 * Throws the refusal of a write the allow-list does not admit: the job as it is (`job`) and, for a create or a
 * rename, as it would be (`becomes`) — an id entry admits only its id, a name entry only a job of that name.
 */
export function assertWriteAllowed(
  policy: McpPolicy,
  verb: string,
  job: PolicyJob | undefined,
  becomes?: PolicyJob,
): void {
  if (job) noteAuditJob(job)
  const why = whyNotWritable(policy, job, becomes)
  if (why === null) return
  throw new ToolRefusal(
    'NOT_ALLOWED',
    `${why.charAt(0).toUpperCase()}${why.slice(1)}, so nothing was ${verb}. Allowed jobs: ${policy.allowJobs.join(', ')}. A created or renamed job must carry an allowed name (an id entry admits only that job).`,
    { remedy: ADD_IT },
  )
}
