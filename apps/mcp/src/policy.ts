import type { ResolvedJob } from '@clawlink/client'
import { looksLikeJobId } from '@clawlink/protocol'
import { noteAuditJob } from './audit.js'
import { ToolRefusal } from './present.js'

/** What the operator allows the assistant (flags and env of clawlink-mcp). */
export interface McpPolicy {
  /** Job ids or exact names that may be run; empty = any job. */
  allowJobs: readonly string[]
  /** Hide run_cron_job entirely. */
  readOnly: boolean
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
