import type { ResolvedJob } from '@clawlink/client'
import { looksLikeJobId } from '@clawlink/protocol'
import { noteAuditJob } from './audit.js'
import { ToolRefusal } from './present.js'

/** What the operator allows the assistant (flags and env of clawlink-mcp). */
export interface McpPolicy {
  /** Job ids or exact names that may be run; empty = any job. */
  allowJobs: readonly string[]
  /** Hide run_cron_job (and the write tools) entirely. */
  readOnly: boolean
  /** Offer the write tools (`--allow-write`); never under read-only. */
  allowWrite?: boolean
}

/**
 * Whether the allow-list admits a job: an entry equal to its id, or — for entries that are not id-shaped —
 * equal to its name. An entry written as an id never admits a job that merely carries that string as its name.
 */
export function isAllowed(policy: McpPolicy, job: { id: string; name: string | undefined }): boolean {
  if (policy.allowJobs.length === 0) return true
  return policy.allowJobs.some(
    (entry) => entry === job.id || (!looksLikeJobId(entry) && job.name !== undefined && entry === job.name),
  )
}

/** Why this server would not run `job` (read-only, or not in the allow-list), or null when it would. */
export function whyNotRunnable(
  policy: McpPolicy,
  job: { id: string; name: string | undefined },
): string | null {
  if (policy.readOnly) return 'this server is read-only'
  return isAllowed(policy, job) ? null : "the job is not in this server's allow-list"
}

/** Throws the refusal the assistant sees when the allow-list does not admit `job`. */
export function assertAllowed(policy: McpPolicy, job: ResolvedJob): void {
  noteAuditJob(job)
  if (isAllowed(policy, job)) return
  throw new ToolRefusal(
    `Job "${job.name ?? job.id}" (${job.id}) is not in this server's allow-list, so it was not run. Allowed jobs: ${policy.allowJobs.join(', ')}. If it should be runnable, the user adds it to the --allow-job arguments (or CLAWLINK_MCP_ALLOW_JOBS) in the MCP client's configuration for clawlink-mcp.`,
    'NOT_ALLOWED',
  )
}

/** Why this server would not write `job` (or the job as it `becomes`: created, renamed), or null when it would. */
export function whyNotWritable(
  policy: McpPolicy,
  job: { id: string; name: string | undefined } | undefined,
  becomes?: { id: string; name: string | undefined },
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
  job: { id: string; name: string | undefined } | undefined,
  becomes?: { id: string; name: string | undefined },
): void {
  if (job) noteAuditJob(job)
  const why = whyNotWritable(policy, job, becomes)
  if (why === null) return
  throw new ToolRefusal(
    `${why.charAt(0).toUpperCase()}${why.slice(1)}, so nothing was ${verb}. Allowed jobs: ${policy.allowJobs.join(', ')}. A created or renamed job must carry an allowed name (an id entry admits only that job). If it should be allowed, the user adds it to the --allow-job arguments (or CLAWLINK_MCP_ALLOW_JOBS) in the MCP client's configuration for clawlink-mcp.`,
    'NOT_ALLOWED',
  )
}
