import {
  ClientError,
  deadlineSignal,
  type GatewayClient,
  type JobCache,
  judgeRun,
  type RunOutcome,
  runJob,
} from '@clawlink/client'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { confirmRun } from '../confirm.js'
import { assertAllowed } from '../policy.js'
import { failure, resultOf, ToolRefusal } from '../present.js'
import { progressNotifier } from '../progress.js'
import { type CancellableTaskStore, runOptionalTaskToolsDirectly, startTask } from '../tasks.js'
import { jobShape, type ReadToolDeps } from './read.js'

/** Dependencies of the run tool: those of the read tools, and more. */
export interface RunToolDeps extends ReadToolDeps {
  /** The job list of the gateway client the call uses. */
  getJobs: (client: GatewayClient) => JobCache
  /** Ask the user (MCP elicitation) before every run. */
  confirm: boolean
  tasks: CancellableTaskStore
}

const INPUT = {
  job: z.string().min(1).max(512).describe('job id or exact job name (see list_cron_jobs)'),
  mode: z.enum(['force', 'due']).optional().describe('force (default) or due'),
  wait: z.boolean().optional().describe('wait for the run to finish'),
  timeoutSeconds: z.number().int().min(1).max(3600).optional().describe('how long to wait when wait=true'),
}
type RunArgs = {
  job: string
  mode?: 'force' | 'due' | undefined
  wait?: boolean | undefined
  timeoutSeconds?: number | undefined
}

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
  if (cancelled && !(error instanceof ToolRefusal)) {
    const what = details.enqueued
      ? 'the run itself goes on on the gateway'
      : details.sent
        ? 'cron.run had been sent, so the run may have started'
        : 'nothing was run'
    return new ToolRefusal(
      `The wait was cancelled; ${what} (the job itself was not touched).${follow}`,
      'CANCELLED',
    )
  }
  if (error instanceof ClientError && error.code === 'WAIT_TIMEOUT')
    return new ToolRefusal(`${error.message}.${follow}`, error.code)
  return error
}

/** The tool body: policy, confirmation, runJob, the verdict. Shared by plain calls and tasks. */
async function runBody(
  server: McpServer,
  deps: RunToolDeps,
  args: RunArgs,
  signal: AbortSignal,
  report: ReturnType<typeof progressNotifier>,
): Promise<CallToolResult> {
  const timeoutMs = Math.min(deps.callTimeoutMs, (args.timeoutSeconds ?? deps.callTimeoutMs / 1000) * 1000)
  // Connecting counts against the call's limit too: a gateway that stalls or says "starting" forever must not
  // hold the call past it.
  const connectDeadline = deadlineSignal(timeoutMs, 'run_cron_job')
  try {
    const client = await deps.getClient(AbortSignal.any([signal, connectDeadline.signal]))
    const outcome = await runJob(client, {
      ref: args.job,
      mode: args.mode ?? 'force',
      wait: args.wait === true,
      timeoutMs,
      signal,
      jobs: deps.getJobs(client),
      onProgress: report.report,
      authorize: async (job) => {
        assertAllowed(deps.policy, job)
        if (deps.confirm) await confirmRun(server, job, signal)
      },
    })
    const verdict = judgeRun(outcome)
    report.done(verdict.ok ? `${outcome.kind}` : verdict.message)
    if (verdict.ok) return resultOf(outcomeContent(outcome))
    const facts = JSON.stringify(outcomeContent(outcome))
    return failure(new ToolRefusal(`${verdict.message}. ${verdict.remedy} Details: ${facts}`, verdict.code))
  } catch (error) {
    return failure(explain(error, signal.aborted))
  } finally {
    connectDeadline.clear()
  }
}

/**
 * Registers `run_cron_job`: a presenter of the client's runJob, with policy and confirmation checked before
 * `cron.run`, progress notifications, the caller's cancellation, and task-augmented calls (spec 2025-11-25).
 */
export function registerRunTool(server: McpServer, deps: RunToolDeps): void {
  server.experimental.tasks.registerToolTask(
    'run_cron_job',
    {
      title: 'Run an OpenClaw cron job',
      description:
        'Runs an OpenClaw cron job now, by id or exact name. mode "force" (default) runs it regardless of schedule; "due" only if it is due. With wait=true, waits for the run to finish and returns its status and summary. Supports progress notifications, cancellation and task-augmented calls.',
      inputSchema: INPUT,
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
      execution: { taskSupport: 'optional' },
    },
    {
      createTask: (args, extra) => {
        let stage = 'nothing was run'
        return startTask(
          deps.tasks,
          extra,
          (signal, status) =>
            runBody(server, deps, args, signal, {
              report: (event) => {
                if (event.kind === 'enqueued') {
                  stage = `the run ${event.runId ?? ''} goes on on the gateway; get_cron_runs shows how it ends`
                  status(`run ${event.runId ?? ''} enqueued`)
                } else if (event.kind === 'started') status('run started')
              },
              done: () => undefined,
            }),
          () => stage,
        )
      },
      getTask: (_args, extra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args, extra) =>
        (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    },
  )
  runOptionalTaskToolsDirectly(server, {
    run_cron_job: (args, extra) =>
      runBody(server, deps, args as RunArgs, extra.signal, progressNotifier(extra)),
  })
}
