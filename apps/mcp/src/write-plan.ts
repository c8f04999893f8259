import { cronTarget, type GatewayClient, getJob, type ResolvedJob } from '@clawlink/client'
import { checkCronJobFields, type CronJob } from '@clawlink/protocol'
import { creationChanges, diffFields, type FieldChange, plannedChanges } from './job-diff.js'
import { ToolRefusal } from './present.js'

/** A write tool's action. */
export type WriteAction = 'create' | 'update' | 'enable' | 'disable' | 'remove'

/** What a write will do, before it is done: the job (as it is, and as it becomes) and the field-level diff. */
export interface WritePlan {
  action: WriteAction
  /** The job as it is; none for a create. */
  found?: ResolvedJob & { job: CronJob }
  /** The job's identity after the write, when a create or a rename gives it a new name. */
  becomes?: { id: string; name: string | undefined }
  /** The fields sent: the job (create) or the patch (update, enable, disable). */
  fields?: Record<string, unknown>
  changes: FieldChange[]
}

type Signal = { signal: AbortSignal }

/**
 * Refuses, by name, every field of `fields` this gateway version does not know (or sets itself), before
 * anything is asked or written. @throws ToolRefusal UNKNOWN_FIELD
 */
async function checkFields(client: GatewayClient, fields: unknown, kind: 'add' | 'patch'): Promise<void> {
  const problems = checkCronJobFields(fields, await cronTarget(client), kind)
  if (problems.length === 0) return
  const named = problems.map((p) => p.message).join(', ')
  throw new ToolRefusal(
    'UNKNOWN_FIELD',
    `This gateway does not take the job as given: ${named}. Nothing was written.`,
    {
      remedy: "Leave the field out, or write it the way preview_cron_job shows this gateway's jobs.",
    },
  )
}

/** A create: every leaf of the new job is a change from nothing. */
export async function planCreate(client: GatewayClient, job: Record<string, unknown>): Promise<WritePlan> {
  await checkFields(client, job, 'add')
  const name = typeof job.name === 'string' ? job.name : undefined
  return { action: 'create', becomes: { id: '', name }, fields: job, changes: creationChanges(job) }
}

/** An update (or enable/disable: a patch of `enabled`): the job by id or name, and the leaves the patch changes. */
export async function planUpdate(
  client: GatewayClient,
  ref: string,
  patch: Record<string, unknown>,
  options: Signal,
): Promise<WritePlan> {
  await checkFields(client, patch, 'patch')
  const found = await getJob(client, ref, options)
  const keys = Object.keys(patch)
  const action: WriteAction =
    keys.length === 1 && typeof patch.enabled === 'boolean'
      ? patch.enabled
        ? 'enable'
        : 'disable'
      : 'update'
  const renamed = typeof patch.name === 'string' && patch.name !== found.job.name
  return {
    action,
    found,
    ...(renamed ? { becomes: { id: found.id, name: patch.name as string } } : {}),
    fields: patch,
    changes: plannedChanges(found.job, patch),
  }
}

/** A remove: every leaf of the job goes. */
export async function planRemove(client: GatewayClient, ref: string, options: Signal): Promise<WritePlan> {
  const found = await getJob(client, ref, options)
  return { action: 'remove', found, changes: diffFields(found.job.raw, {}) }
}
