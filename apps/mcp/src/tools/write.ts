import { addJob, type GatewayClient, removeJob, updateJob } from '@clawlink/client'
import { type CronJob, describeCronSchedule } from '@clawlink/protocol'
import type { McpServer } from '@modelcontextprotocol/server'
import type { ServerContext, ToolAnnotations } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { TOOL_ICONS } from './icons.js'
import { noteAuditChange, noteAuditJob } from '../audit.js'
import { askerOf, confirmWrite } from '../confirm.js'
import { describeChanges, diffFields, type FieldChange } from '../job-diff.js'
import { assertWriteAllowed } from '../policy.js'
import { guarded } from '../present.js'
import { planCreate, planRemove, planUpdate, type WriteAction, type WritePlan } from '../write-plan.js'
import { bounded, type ReadToolDeps } from './read.js'

/** Dependencies of the write tools: those of the read tools, and whether to ask the user first. */
export interface WriteToolDeps extends ReadToolDeps {
  confirm: boolean
}

const JOB_REF = z.string().min(1).max(512).describe('job id or exact job name (see list_cron_jobs)')
const DRY_RUN = z
  .boolean()
  .optional()
  .describe('only show what would change (the same diff preview_cron_job shows); write nothing')
const FIELDS = z.record(z.string(), z.unknown())

const CHANGE = z.object({ path: z.string(), before: z.unknown(), after: z.unknown() })
const OUTPUT = {
  action: z.enum(['create', 'update', 'enable', 'disable', 'remove']),
  written: z.boolean().describe('false for a dry run, or when nothing would change'),
  job: z.object({
    id: z.string().nullable(),
    name: z.string().nullable(),
    enabled: z.boolean().nullable(),
    schedule: z.string().nullable(),
  }),
  changes: z.array(CHANGE).describe('field-level diff: planned (dry run) or as the gateway answered'),
}

const VERB: Record<WriteAction, { past: string; ask: string }> = {
  create: { past: 'created', ask: 'Create' },
  update: { past: 'changed', ask: 'Change' },
  enable: { past: 'enabled', ask: 'Enable' },
  disable: { past: 'disabled', ask: 'Disable' },
  remove: { past: 'removed', ask: 'Remove' },
}

const annotations = (destructive: boolean, idempotent: boolean): ToolAnnotations => ({
  readOnlyHint: false,
  destructiveHint: destructive,
  idempotentHint: idempotent,
  openWorldHint: false,
})

/** The job as results name it. */
function jobView(job: CronJob | undefined, fallbackName?: string) {
  return {
    id: job?.id ?? null,
    name: job?.name ?? fallbackName ?? null,
    enabled: job?.enabled ?? null,
    schedule: job ? describeCronSchedule(job.schedule) : null,
  }
}

/** Does the write of `plan` and returns the job after it and what really changed. */
async function apply(
  client: GatewayClient,
  plan: WritePlan,
  signal: AbortSignal,
): Promise<{ job: CronJob | undefined; changes: FieldChange[] }> {
  if (plan.action === 'create') {
    const created = await addJob(client, plan.fields ?? {}, { signal })
    noteAuditJob(created)
    return { job: created, changes: plan.changes }
  }
  const found = plan.found!
  if (plan.action === 'remove') {
    await removeJob(client, found.id, { signal })
    return { job: found.job, changes: plan.changes }
  }
  const { before, after } = await updateJob(client, found.id, plan.fields ?? {}, { signal })
  return { job: after, changes: diffFields(before.raw, after.raw) }
}

/**
 * One write: plan (fields this gateway knows, the job, the diff), the allow-list, a dry run's answer, the
 * user's yes under --confirm, then the write. Every step before the write refuses with nothing written.
 */
function writeBody(
  server: McpServer,
  deps: WriteToolDeps,
  tool: string,
  args: { dryRun?: boolean | undefined; gateway?: string | undefined },
  plan: (client: GatewayClient, signal: AbortSignal) => Promise<WritePlan>,
) {
  const dryRun = args.dryRun
  return (ctx: ServerContext) =>
    guarded(() =>
      bounded(deps, tool, ctx.mcpReq.signal, async (signal) => {
        const picked = deps.gateways.pick(args.gateway)
        const client = await picked.getClient(signal)
        const context = picked.name ?? undefined
        const planned = await plan(client, signal)
        const verb = VERB[planned.action]
        const paths = planned.changes.map((c) => c.path)
        noteAuditChange({ action: planned.action, fields: paths })
        assertWriteAllowed(
          deps.policy,
          verb.past,
          planned.found && { ...planned.found, context },
          planned.becomes && { ...planned.becomes, context },
        )
        const name = planned.found?.job.name ?? planned.becomes?.name
        const view = { action: planned.action, written: false }
        // Nothing to change (already enabled, the same values): nothing is written, nothing asked.
        if (
          dryRun === true ||
          (planned.action !== 'create' && planned.action !== 'remove' && paths.length === 0)
        )
          return { ...view, job: jobView(planned.found?.job, name), changes: planned.changes }
        if (deps.confirm) {
          const label = name ?? planned.found?.id ?? '(no name)'
          confirmWrite(askerOf(server, ctx), {
            action: verb.ask,
            job: label,
            diff: describeChanges(planned.changes),
          })
        }
        const done = await apply(client, planned, signal)
        return { ...view, written: true, job: jobView(done.job, name), changes: done.changes }
      }),
    )
}

/**
 * Registers the write tools (only with --allow-write, never under read-only): create_cron_job,
 * update_cron_job, set_cron_job_enabled, remove_cron_job — presenters of the client's addJob, updateJob,
 * setJobEnabled and removeJob, with the allow-list, a field-level diff, --confirm and the audit line.
 */
export function registerWriteTools(server: McpServer, deps: WriteToolDeps): void {
  const guards =
    ' Bound by the allow-list (a created or renamed job must carry an allowed name); asks the user first when the server runs with --confirm; dryRun=true shows the diff and writes nothing. A field this gateway version does not know is refused by name.'
  server.registerTool(
    'create_cron_job',
    {
      title: 'Create an OpenClaw cron job',
      icons: TOOL_ICONS,
      description: `Creates a cron job from its fields in this gateway's job shape (name, schedule, payload, sessionTarget, …; see preview_cron_job for a job as the gateway keeps it).${guards}`,
      inputSchema: {
        job: z
          .object({ name: z.string().min(1).max(512) })
          .catchall(z.unknown())
          .describe('the job: name, schedule {kind, …}, payload {kind, …} and the other fields'),
        dryRun: DRY_RUN,
        ...deps.gateways.inputShape(),
      },
      outputSchema: OUTPUT,
      annotations: annotations(false, false),
    },
    ({ job, ...args }, extra) =>
      writeBody(server, deps, 'create_cron_job', args, (client) => planCreate(client, job))(extra),
  )
  server.registerTool(
    'update_cron_job',
    {
      title: 'Change an OpenClaw cron job',
      icons: TOOL_ICONS,
      description: `Changes the fields \`patch\` names of a job (by id or exact name); other fields stay as they are.${guards}`,
      inputSchema: {
        job: JOB_REF,
        patch: FIELDS.describe(
          'the fields to change, e.g. {"schedule": {"kind": "cron", "expr": "0 7 * * *"}}',
        ),
        dryRun: DRY_RUN,
        ...deps.gateways.inputShape(),
      },
      outputSchema: OUTPUT,
      annotations: annotations(false, true),
    },
    ({ job, patch, ...args }, extra) =>
      writeBody(server, deps, 'update_cron_job', args, (client, signal) =>
        planUpdate(client, job, patch, { signal }),
      )(extra),
  )
  server.registerTool(
    'set_cron_job_enabled',
    {
      title: 'Enable or disable an OpenClaw cron job',
      icons: TOOL_ICONS,
      description: `Enables or disables a job (by id or exact name); a job already so is left alone.${guards}`,
      inputSchema: { job: JOB_REF, enabled: z.boolean(), dryRun: DRY_RUN, ...deps.gateways.inputShape() },
      outputSchema: OUTPUT,
      annotations: annotations(false, true),
    },
    ({ job, enabled, ...args }, extra) =>
      writeBody(server, deps, 'set_cron_job_enabled', args, (client, signal) =>
        planUpdate(client, job, { enabled }, { signal }),
      )(extra),
  )
  server.registerTool(
    'remove_cron_job',
    {
      title: 'Remove an OpenClaw cron job',
      icons: TOOL_ICONS,
      description: `Removes a job (by id or exact name) for good, with its schedule and payload.${guards}`,
      inputSchema: { job: JOB_REF, dryRun: DRY_RUN, ...deps.gateways.inputShape() },
      outputSchema: OUTPUT,
      annotations: annotations(true, true),
    },
    ({ job, ...args }, extra) =>
      writeBody(server, deps, 'remove_cron_job', args, (client, signal) =>
        planRemove(client, job, { signal }),
      )(extra),
  )
}
