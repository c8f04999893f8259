import { getJob, getRunsOf } from '@clawlink/client'
import { describeCronSchedule } from '@clawlink/protocol'
import type { McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { TOOL_ICONS } from './icons.js'
import { whyNotRunnable, whyNotWritable } from '../policy.js'
import { guarded, iso } from '../present.js'
import { planRemove, planUpdate } from '../write-plan.js'
import { bounded, READ_ONLY, type ReadToolDeps } from './read.js'

const EXCERPT = 500

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/** What a job's payload will do, in a few words: its kind and the start of its text or message. */
function payloadOf(raw: Record<string, unknown>): {
  kind: string | null
  text: string | null
  truncated: boolean
} {
  const payload = record(raw.payload)
  const text = [payload.text, payload.message, payload.command].find(
    (v): v is string => typeof v === 'string',
  )
  return {
    kind: typeof payload.kind === 'string' ? payload.kind : null,
    text: text === undefined ? null : text.slice(0, EXCERPT),
    truncated: text !== undefined && text.length > EXCERPT,
  }
}

/** Registers `preview_cron_job`: what a job will do, before anyone runs it (read-only). */
export function registerPreviewTool(server: McpServer, deps: ReadToolDeps): void {
  server.registerTool(
    'preview_cron_job',
    {
      title: 'Preview an OpenClaw cron job',
      icons: TOOL_ICONS,
      description:
        'Shows what a job will do before anyone runs it: schedule, payload kind and text (excerpt), session target, its last runs, and whether this server may run it. Given a proposed change (patch, or remove=true), also the field-level diff it would make and whether this server may write it. Read-only: nothing is written.',
      inputSchema: {
        job: z.string().min(1).max(512).describe('job id or exact job name'),
        patch: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('a proposed change (the fields update_cron_job would send, e.g. {"enabled": false})'),
        remove: z.boolean().optional().describe('preview removing the job'),
        ...deps.gateways.inputShape(),
      },
      outputSchema: {
        job: z.object({ id: z.string(), name: z.string(), enabled: z.boolean() }),
        schedule: z.string(),
        nextRunAt: z.string().nullable(),
        sessionTarget: z.string().nullable(),
        payload: z.object({
          kind: z.string().nullable(),
          text: z.string().nullable(),
          truncated: z.boolean(),
        }),
        lastRuns: z.array(
          z.object({
            startedAt: z.string().nullable(),
            status: z.string().nullable(),
            runId: z.string().nullable(),
          }),
        ),
        runnable: z.boolean(),
        whyNot: z.string().nullable(),
        change: z
          .object({
            action: z.enum(['update', 'enable', 'disable', 'remove']),
            changes: z.array(z.object({ path: z.string(), before: z.unknown(), after: z.unknown() })),
            writable: z.boolean(),
            whyNot: z.string().nullable(),
          })
          .nullable()
          .describe('the proposed change, when one was given; nothing is written'),
      },
      annotations: READ_ONLY,
    },
    ({ job, patch, remove, gateway }, extra) =>
      guarded(() =>
        bounded(deps, 'preview_cron_job', extra.mcpReq.signal, async (signal) => {
          const picked = deps.gateways.pick(gateway)
          const client = await picked.getClient(signal)
          const context = picked.name ?? undefined
          const plan =
            remove === true
              ? await planRemove(client, job, { signal })
              : patch
                ? await planUpdate(client, job, patch, { signal })
                : undefined
          const cantWrite =
            plan &&
            whyNotWritable(
              deps.policy,
              plan.found && { ...plan.found, context },
              plan.becomes && { ...plan.becomes, context },
            )
          // cron.get where the gateway has it (9.x), else the cron.list entry.
          const found = await getJob(client, job, { signal })
          const runs = await getRunsOf(client, found.id, { limit: 5, signal })
          const whyNot = whyNotRunnable(deps.policy, { ...found, context, enabled: found.job.enabled })
          return {
            job: { id: found.job.id, name: found.job.name, enabled: found.job.enabled },
            schedule: describeCronSchedule(found.job.schedule),
            nextRunAt: iso(found.job.nextRunAtMs),
            sessionTarget:
              typeof found.job.raw.sessionTarget === 'string' ? found.job.raw.sessionTarget : null,
            payload: payloadOf(found.job.raw),
            lastRuns: runs.map((r) => ({
              startedAt: iso(r.runAtMs ?? r.ts),
              status: r.status ?? r.completionStatus ?? null,
              runId: r.runId ?? null,
            })),
            runnable: whyNot === null,
            whyNot,
            change: plan
              ? {
                  action: plan.action,
                  changes: plan.changes,
                  writable: cantWrite === null,
                  whyNot: cantWrite ?? null,
                }
              : null,
          }
        }),
      ),
  )
}
