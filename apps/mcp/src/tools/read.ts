import { deadlineSignal, getCronStatus, getJobRuns, listCronJobs } from '@clawlink/client'
import { describeCronSchedule } from '@clawlink/protocol'
import type { McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { TOOL_ICONS } from './icons.js'
import type { Gateways } from '../gateways.js'
import { type McpPolicy, whyNotRunnable } from '../policy.js'
import { guarded, iso } from '../present.js'

/** Dependencies of the read-only tools. */
export interface ReadToolDeps {
  /** The server's gateways: a tool's optional `gateway` argument picks one (default the first). */
  gateways: Gateways
  policy: McpPolicy
  callTimeoutMs: number
}

/** A job as tool results name it. */
export const jobShape = { id: z.string(), name: z.string().nullable() }
/** Annotations of the tools that only read. */
export const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const

/** Runs `fn` with a signal that ends at the per-call limit or when the MCP client cancels. */
export async function bounded<T>(
  deps: ReadToolDeps,
  what: string,
  outer: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = deadlineSignal(deps.callTimeoutMs, what)
  try {
    return await fn(AbortSignal.any([outer, deadline.signal]))
  } finally {
    deadline.clear()
  }
}

/** The connected session of the gateway a call names (default the first); connecting is bounded by `signal`. */
export function connectTo(deps: ReadToolDeps, gateway: string | undefined, signal: AbortSignal) {
  return deps.gateways.pick(gateway).getClient(signal)
}

/** Registers list_cron_jobs, get_cron_runs and cron_status. */
export function registerReadTools(server: McpServer, deps: ReadToolDeps): void {
  registerListTool(server, deps)
  registerRunsTool(server, deps)
  registerStatusTool(server, deps)
}

function registerListTool(server: McpServer, deps: ReadToolDeps): void {
  server.registerTool(
    'list_cron_jobs',
    {
      title: 'List OpenClaw cron jobs',
      icons: TOOL_ICONS,
      description:
        'Lists cron jobs with id, name, enabled, schedule and next run. Optional query filters by name.',
      inputSchema: {
        query: z.string().max(256).optional().describe('case-insensitive text to match in the job name'),
        includeDisabled: z.boolean().optional().describe('include disabled jobs (default false)'),
        ...deps.gateways.inputShape(),
      },
      outputSchema: {
        jobs: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            enabled: z.boolean(),
            schedule: z.string(),
            nextRunAt: z.string().nullable(),
            lastStatus: z.string().nullable(),
            runnable: z.boolean(),
            gateway: z.string().optional().describe('the context the job lives on (servers with several)'),
          }),
        ),
      },
      annotations: READ_ONLY,
    },
    ({ query, includeDisabled, gateway }, extra) =>
      guarded(() =>
        bounded(deps, 'list_cron_jobs', extra.mcpReq.signal, async (signal) => {
          const picked = deps.gateways.pick(gateway)
          const client = await picked.getClient(signal)
          const context = picked.name ?? undefined
          const label = deps.gateways.names.length > 1 ? { gateway: context } : {}
          const jobs = await listCronJobs(client, {
            includeDisabled: includeDisabled === true,
            ...(query ? { query } : {}),
            signal,
          })
          return {
            jobs: jobs.map((j) => ({
              id: j.id,
              name: j.name,
              enabled: j.enabled,
              schedule: describeCronSchedule(j.schedule),
              nextRunAt: iso(j.nextRunAtMs),
              lastStatus: j.lastStatus ?? null,
              runnable: whyNotRunnable(deps.policy, { ...j, context }) === null,
              ...label,
            })),
          }
        }),
      ),
  )
}

function registerRunsTool(server: McpServer, deps: ReadToolDeps): void {
  server.registerTool(
    'get_cron_runs',
    {
      title: 'Recent runs of an OpenClaw cron job',
      icons: TOOL_ICONS,
      description:
        'Returns the most recent runs of a job (by id or exact name), newest first, with status and summary.',
      inputSchema: {
        job: z.string().min(1).max(512).describe('job id or exact job name'),
        limit: z.number().int().min(1).max(200).optional().describe('how many runs (default 10)'),
        ...deps.gateways.inputShape(),
      },
      outputSchema: {
        job: z.object(jobShape),
        runs: z.array(
          z.object({
            startedAt: z.string().nullable(),
            status: z.string().nullable(),
            durationMs: z.number().nullable(),
            summary: z.string().nullable(),
            error: z.string().nullable(),
            runId: z.string().nullable(),
          }),
        ),
      },
      annotations: READ_ONLY,
    },
    ({ job, limit, gateway }, extra) =>
      guarded(() =>
        bounded(deps, 'get_cron_runs', extra.mcpReq.signal, async (signal) => {
          const { job: found, runs } = await getJobRuns(await connectTo(deps, gateway, signal), job, {
            limit: limit ?? 10,
            signal,
          })
          return {
            job: { id: found.id, name: found.name ?? null },
            runs: runs.map((r) => ({
              startedAt: iso(r.runAtMs ?? r.ts),
              status: r.status ?? r.completionStatus ?? null,
              durationMs: r.durationMs ?? null,
              summary: r.summary ?? null,
              error: r.error ?? null,
              runId: r.runId ?? null,
            })),
          }
        }),
      ),
  )
}

function registerStatusTool(server: McpServer, deps: ReadToolDeps): void {
  server.registerTool(
    'cron_status',
    {
      title: 'OpenClaw cron scheduler status',
      icons: TOOL_ICONS,
      description: 'Whether the scheduler is enabled, how many jobs it has and when it wakes next.',
      inputSchema: { ...deps.gateways.inputShape() },
      outputSchema: {
        enabled: z.boolean().nullable(),
        jobs: z.number().nullable(),
        nextWakeAt: z.string().nullable(),
        storage: z.string().nullable(),
      },
      annotations: READ_ONLY,
    },
    ({ gateway }, extra) =>
      guarded(() =>
        bounded(deps, 'cron_status', extra.mcpReq.signal, async (signal) => {
          const s = await getCronStatus(await connectTo(deps, gateway, signal), { signal })
          // null where the gateway said nothing: 3.13 and 5.7 do not name their storage.
          return {
            enabled: s.enabled ?? null,
            jobs: s.jobs ?? null,
            nextWakeAt: iso(s.nextWakeAtMs),
            storage: s.storage ?? null,
          }
        }),
      ),
  )
}
