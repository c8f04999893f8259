import { listCronJobs, type GatewayClient, waitForCronRun } from '@clawlink/client'
import {
  buildCronRunParams,
  buildCronRunsParams,
  type CronJob,
  describeCronSchedule,
  GatewayError,
  matchCronJob,
  parseCronRunResult,
  parseCronRuns,
  runSucceeded,
} from '@clawlink/protocol'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

/** Options of {@link createClawlinkMcpServer}. */
export interface ClawlinkMcpOptions {
  /** Opens (once) and returns the persistent gateway session. */
  getClient: () => Promise<GatewayClient>
  /** Job ids or names that may be run; empty = any job. */
  allowJobs: readonly string[]
  /** Hide run_cron_job entirely. */
  readOnly: boolean
  /** Upper bound of any one tool call, and of `timeoutSeconds`. */
  callTimeoutMs: number
  version: string
}

/** Thrown inside a tool to return an isError result whose text tells the assistant what to do. */
class ToolRefusal extends Error {}

function errorText(error: unknown): string {
  if (error instanceof ToolRefusal) return error.message
  const e = error as { name?: string; code?: string; message?: string; remedy?: string; requestId?: string }
  if (e && typeof e.code === 'string' && typeof e.remedy === 'string') {
    const pairing =
      error instanceof GatewayError && e.requestId
        ? ` The operator must approve it on the gateway host: openclaw devices approve ${e.requestId}.`
        : ''
    return `${e.message} [${e.code}] What to do: ${e.remedy}.${pairing}`
  }
  return `unexpected error: ${e?.message ?? String(error)}`
}

async function guarded(fn: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    const structuredContent = await fn()
    return {
      content: [{ type: 'text', text: JSON.stringify(structuredContent, null, 2) }],
      structuredContent,
    }
  } catch (error) {
    return { isError: true, content: [{ type: 'text', text: errorText(error) }] }
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString()
}

function resolve(jobs: CronJob[], ref: string): CronJob {
  const match = matchCronJob(jobs, ref)
  if (match.kind === 'found') return match.job
  if (match.kind === 'ambiguous') {
    throw new ToolRefusal(
      `Several jobs are named "${ref}" (${match.matches.map((j) => j.id).join(', ')}). Call again with the job id.`,
    )
  }
  const close = match.suggestions.map((j) => `"${j.name}" (${j.id})`).join(', ')
  throw new ToolRefusal(
    `No cron job with id or name "${ref}". ${close ? `Closest names: ${close}.` : 'Use list_cron_jobs to see the jobs.'}`,
  )
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ToolRefusal(
            `${what} did not finish within ${Math.round(ms / 1000)} s (the per-call limit). It may still complete on the gateway; check get_cron_runs.`,
          ),
        ),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const jobShape = { id: z.string(), name: z.string() }

/**
 * The clawlink MCP server: cron tools over one persistent gateway session, with an allow-list, a read-only
 * switch and a per-call timeout for operators who hand it to an assistant (DESIGN.md "MCP server").
 */
export function createClawlinkMcpServer(options: ClawlinkMcpOptions): McpServer {
  const server = new McpServer({ name: 'clawlink-mcp', version: options.version })
  const allowed = new Set(options.allowJobs)

  if (!options.readOnly) {
    server.registerTool(
      'run_cron_job',
      {
        title: 'Run an OpenClaw cron job',
        description:
          'Runs an OpenClaw cron job now, by id or exact name. mode "force" (default) runs it regardless of schedule; "due" only if it is due. With wait=true, waits for the run to finish and returns its status and summary.',
        inputSchema: {
          job: z.string().min(1).describe('job id or exact job name (see list_cron_jobs)'),
          mode: z.enum(['force', 'due']).optional().describe('force (default) or due'),
          wait: z.boolean().optional().describe('wait for the run to finish'),
          timeoutSeconds: z
            .number()
            .int()
            .min(1)
            .max(3600)
            .optional()
            .describe('how long to wait when wait=true'),
        },
        outputSchema: {
          job: z.object(jobShape),
          enqueued: z.boolean(),
          runId: z.string().nullable(),
          ran: z.boolean().optional(),
          reason: z.string().optional(),
          status: z.string().nullable().optional(),
          summary: z.string().nullable().optional(),
          error: z.string().nullable().optional(),
          durationMs: z.number().nullable().optional(),
        },
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: false,
        },
      },
      ({ job, mode, wait, timeoutSeconds }) =>
        guarded(async () => {
          const limitMs = Math.min(
            options.callTimeoutMs,
            (timeoutSeconds ?? options.callTimeoutMs / 1000) * 1000,
          )
          return withTimeout(
            (async () => {
              const client = await options.getClient()
              const target = resolve(await listCronJobs(client), job)
              if (allowed.size > 0 && !allowed.has(target.id) && !allowed.has(target.name)) {
                throw new ToolRefusal(
                  `Job "${target.name}" is not in this server's allow-list, so it was not run. Allowed jobs: ${[...allowed].join(', ')}. Ask the user to add it with --allow-job if it should be runnable.`,
                )
              }
              const sentAt = Date.now()
              const result = parseCronRunResult(
                await client.request(
                  'cron.run',
                  buildCronRunParams({ id: target.id, mode: mode ?? 'force' }),
                ),
              )
              const base = {
                job: { id: target.id, name: target.name },
                enqueued: result.enqueued,
                runId: result.runId ?? null,
              }
              if (!result.enqueued) return { ...base, ran: false, reason: result.reason ?? 'not enqueued' }
              if (!wait) return base
              const outcome = await waitForCronRun(
                client,
                { jobId: target.id, sinceMs: sentAt, ...(result.runId ? { runId: result.runId } : {}) },
                { timeoutMs: limitMs },
              )
              return {
                ...base,
                status: outcome.status ?? (runSucceeded(outcome) ? 'ok' : 'error'),
                summary: outcome.summary ?? null,
                error: outcome.error ?? null,
                durationMs: outcome.durationMs ?? null,
              }
            })(),
            limitMs,
            `run_cron_job ${job}`,
          )
        }),
    )
  }

  server.registerTool(
    'list_cron_jobs',
    {
      title: 'List OpenClaw cron jobs',
      description:
        'Lists cron jobs with id, name, enabled, schedule and next run. Optional query filters by name.',
      inputSchema: {
        query: z.string().optional().describe('case-insensitive text to match in the job name'),
        includeDisabled: z.boolean().optional().describe('include disabled jobs (default false)'),
      },
      outputSchema: {
        jobs: z.array(
          z.object({
            ...jobShape,
            enabled: z.boolean(),
            schedule: z.string(),
            nextRunAt: z.string().nullable(),
            lastStatus: z.string().nullable(),
            runnable: z.boolean(),
          }),
        ),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, includeDisabled }) =>
      guarded(async () =>
        withTimeout(
          (async () => {
            const client = await options.getClient()
            const needle = query?.toLowerCase()
            const jobs = (await listCronJobs(client, { includeDisabled: includeDisabled === true })).filter(
              (j) => !needle || j.name.toLowerCase().includes(needle),
            )
            return {
              jobs: jobs.map((j) => ({
                id: j.id,
                name: j.name,
                enabled: j.enabled,
                schedule: describeCronSchedule(j.schedule),
                nextRunAt: iso(j.nextRunAtMs),
                lastStatus: j.lastStatus ?? null,
                runnable:
                  !options.readOnly && (allowed.size === 0 || allowed.has(j.id) || allowed.has(j.name)),
              })),
            }
          })(),
          options.callTimeoutMs,
          'list_cron_jobs',
        ),
      ),
  )

  server.registerTool(
    'get_cron_runs',
    {
      title: 'Recent runs of an OpenClaw cron job',
      description:
        'Returns the most recent runs of a job (by id or exact name), newest first, with status and summary.',
      inputSchema: {
        job: z.string().min(1).describe('job id or exact job name'),
        limit: z.number().int().min(1).max(200).optional().describe('how many runs (default 10)'),
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
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ job, limit }) =>
      guarded(async () =>
        withTimeout(
          (async () => {
            const client = await options.getClient()
            const target = resolve(await listCronJobs(client), job)
            const runs = parseCronRuns(
              await client.request(
                'cron.runs',
                buildCronRunsParams({ id: target.id, limit: limit ?? 10, sortDir: 'desc' }),
              ),
            )
            return {
              job: { id: target.id, name: target.name },
              runs: runs.map((r) => ({
                startedAt: iso(r.runAtMs ?? r.ts),
                status: r.status ?? r.completionStatus ?? null,
                durationMs: r.durationMs ?? null,
                summary: r.summary ?? null,
                error: r.error ?? null,
                runId: r.runId ?? null,
              })),
            }
          })(),
          options.callTimeoutMs,
          'get_cron_runs',
        ),
      ),
  )

  server.registerTool(
    'cron_status',
    {
      title: 'OpenClaw cron scheduler status',
      description: 'Whether the scheduler is enabled, how many jobs it has and when it wakes next.',
      inputSchema: {},
      outputSchema: {
        enabled: z.boolean(),
        jobs: z.number().nullable(),
        nextWakeAt: z.string().nullable(),
        storage: z.string().nullable(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      guarded(async () =>
        withTimeout(
          (async () => {
            const client = await options.getClient()
            const s = (await client.request('cron.status', {})) as Record<string, unknown>
            return {
              enabled: s.enabled !== false,
              jobs: typeof s.jobs === 'number' ? s.jobs : null,
              nextWakeAt: typeof s.nextWakeAtMs === 'number' ? iso(s.nextWakeAtMs) : null,
              storage: typeof s.storage === 'string' ? s.storage : 'json',
            }
          })(),
          options.callTimeoutMs,
          'cron_status',
        ),
      ),
  )
  return server
}
