import {
  ClientError,
  deadlineSignal,
  type GatewayClient,
  judgeRun,
  type RunOutcome,
  runJob,
} from '@clawlink/client'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import { assertAllowed, type McpPolicy } from '../policy.js'
import { failure, resultOf, ToolRefusal } from '../present.js'

/** Dependencies of the run tool. */
export interface RunToolDeps {
  /** The connected session; connecting is bounded by `signal` (the call's limit). */
  getClient: (signal?: AbortSignal) => Promise<GatewayClient>
  policy: McpPolicy
  callTimeoutMs: number
}

const jobShape = { id: z.string(), name: z.string().nullable() }

/** The structured content of every run outcome (the same facts the CLI prints with --json). */
export function outcomeContent(outcome: RunOutcome): Record<string, unknown> {
  const base = {
    job: { id: outcome.job.id, name: outcome.job.name ?? null },
    outcome: outcome.kind,
    enqueued: outcome.kind !== 'not-run',
    runId: outcome.kind === 'not-run' ? null : (outcome.runId ?? null),
  }
  if (outcome.kind === 'not-run') return { ...base, ran: false, reason: outcome.reason }
  if (outcome.kind === 'enqueued') return base
  return {
    ...base,
    status: outcome.status ?? null,
    succeeded: outcome.succeeded,
    summary: outcome.summary ?? null,
    error: outcome.error ?? null,
    durationMs: outcome.durationMs ?? null,
  }
}

/** Errors of a wait that ended early say what became of the run and how to follow it. */
function explain(error: unknown, cancelled: boolean): unknown {
  const details = error instanceof ClientError ? error.details : {}
  const follow = details.jobId
    ? ` Call get_cron_runs with job "${String(details.jobId)}" to see how it ends.`
    : ''
  if (cancelled) {
    const what =
      details.runId !== undefined || details.jobId
        ? 'the run itself goes on on the gateway'
        : 'nothing was run'
    return new ToolRefusal(`The wait was cancelled; ${what} (the job was not touched).${follow}`, 'CANCELLED')
  }
  if (error instanceof ClientError && error.code === 'WAIT_TIMEOUT') {
    return new ToolRefusal(`${error.message}.${follow}`, error.code)
  }
  return error
}

/** Registers `run_cron_job` (a presenter of the client's runJob; policy is checked before cron.run). */
export function registerRunTool(server: McpServer, deps: RunToolDeps): void {
  server.registerTool(
    'run_cron_job',
    {
      title: 'Run an OpenClaw cron job',
      description:
        'Runs an OpenClaw cron job now, by id or exact name. mode "force" (default) runs it regardless of schedule; "due" only if it is due. With wait=true, waits for the run to finish and returns its status and summary.',
      inputSchema: {
        job: z.string().min(1).max(512).describe('job id or exact job name (see list_cron_jobs)'),
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
        outcome: z.enum(['enqueued', 'not-run', 'finished']),
        enqueued: z.boolean(),
        runId: z.string().nullable(),
        ran: z.boolean().optional(),
        reason: z.string().optional(),
        status: z.string().nullable().optional(),
        succeeded: z.boolean().optional(),
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
    async ({ job, mode, wait, timeoutSeconds }, extra) => {
      const timeoutMs = Math.min(deps.callTimeoutMs, (timeoutSeconds ?? deps.callTimeoutMs / 1000) * 1000)
      // Connecting counts against the call's limit too: a gateway that stalls or says "starting" forever
      // must not hold the call past it.
      const connectDeadline = deadlineSignal(timeoutMs, 'run_cron_job')
      try {
        const client = await deps.getClient(AbortSignal.any([extra.signal, connectDeadline.signal]))
        const outcome = await runJob(client, {
          ref: job,
          mode: mode ?? 'force',
          wait: wait === true,
          timeoutMs,
          signal: extra.signal,
          authorize: (resolved) => assertAllowed(deps.policy, resolved),
        })
        const verdict = judgeRun(outcome)
        if (verdict.ok) return resultOf(outcomeContent(outcome))
        const facts = JSON.stringify(outcomeContent(outcome))
        return failure(
          new ToolRefusal(`${verdict.message}. ${verdict.remedy} Details: ${facts}`, verdict.code),
        )
      } catch (error) {
        return failure(explain(error, extra.signal.aborted))
      } finally {
        connectDeadline.clear()
      }
    },
  )
}
