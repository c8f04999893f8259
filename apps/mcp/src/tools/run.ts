import {
  deadlineSignal,
  describeOutcome,
  describeStop,
  type GatewayClient,
  type JobCache,
  type RunReport,
  runJob,
} from '@clawlink/client'
import type {
  CallToolResult,
  InputRequiredResult,
  McpServer,
  ServerContext,
} from '@modelcontextprotocol/server'
import { z } from 'zod'
import { askerOf, confirmRun } from '../confirm.js'
import { assertAllowed } from '../policy.js'
import { ConfirmationNeeded, errorCode, failure, resultOf, sentence, ToolRefusal } from '../present.js'
import { notificationSink, progressNotifier, type RunNotifier, runNotifier } from '../progress.js'
import { RELATED_TASK, type TaskRegistry } from '../tasks.js'
import { TOOL_ICONS } from './icons.js'
import type { ReadToolDeps } from './read.js'

/** Dependencies of the run tool: those of the read tools, and more. */
export interface RunToolDeps extends ReadToolDeps {
  /** The job list of the gateway client the call uses (`key`: its context). */
  getJobs: (client: GatewayClient, key?: string) => JobCache
  /** Ask the user (MCP elicitation) before every run. */
  confirm: boolean
  tasks: TaskRegistry
}

const INPUT_BASE = {
  job: z.string().min(1).max(512).describe('job id or exact job name (see list_cron_jobs)'),
  mode: z.enum(['force', 'due']).optional().describe('force (default) or due'),
  wait: z.boolean().optional().describe('wait for the run to finish'),
  timeoutSeconds: z.number().int().min(1).max(3600).optional().describe('how long to wait when wait=true'),
}
const nullableString = z.string().nullable()
/** The run's record (the client's RunRecord) plus the verdict: the same shape on success and on isError. */
const OUTPUT = {
  ok: z.boolean(),
  job: z.object({ id: nullableString, name: nullableString }),
  outcome: z.enum(['enqueued', 'not-run', 'finished', 'timeout', 'interrupted']),
  enqueued: z.boolean(),
  runId: nullableString,
  status: nullableString,
  completionStatus: nullableString,
  succeeded: z.boolean().nullable(),
  summary: nullableString,
  error: nullableString.describe("the run's own error text, as the gateway said it"),
  durationMs: z.number().nullable(),
  observedBy: z.enum(['event', 'poll']).nullable(),
  sessionKey: nullableString,
  reason: nullableString.describe('why the gateway did not run it (outcome not-run)'),
  code: nullableString.describe(
    'the failure code (RUN_FAILED, ALREADY_RUNNING, WAIT_TIMEOUT, …); null on success',
  ),
  message: z.string(),
  remedy: nullableString,
}
type RunArgs = {
  job: string
  mode?: 'force' | 'due' | undefined
  wait?: boolean | undefined
  timeoutSeconds?: number | undefined
  gateway?: string | undefined
}

/** The structured content of every run result, success or isError: the client's RunRecord and the verdict. */
export function runContent(report: RunReport): Record<string, unknown> {
  return {
    ok: report.ok,
    ...report.record,
    code: report.code ?? null,
    message: report.message,
    remedy: report.remedy ?? null,
  }
}

/** A run's report as a tools/call result: its facts, and on failure (isError) what happened, what to do, the code. */
export function reportResult(report: RunReport): CallToolResult {
  return report.ok ? resultOf(runContent(report)) : reportFailure(report)
}

/** The isError result of a report: what happened, what to do, where to follow the run, the code; and the facts. */
function reportFailure(report: RunReport): CallToolResult {
  const jobId = report.record.job.id
  const follow =
    jobId && report.record.enqueued ? ` Call get_cron_runs with job "${jobId}" to see how it ends.` : ''
  const text = `${sentence(report.message)}${report.remedy ? ` ${sentence(report.remedy)}` : ''}${follow}`
  return failure(new ToolRefusal(report.code ?? 'RUN_FAILED', text, { remedy: '' }), runContent(report))
}

/**
 * How long a call may wait for its run: the caller's `timeoutSeconds` when given (up to 3600, whatever
 * --call-timeout says), else --call-timeout. Connecting is bounded by the smaller of the two.
 */
export function waitLimits(callTimeoutMs: number, args: RunArgs): { waitMs: number; connectMs: number } {
  const asked =
    args.wait === true && args.timeoutSeconds !== undefined ? args.timeoutSeconds * 1000 : undefined
  const waitMs = asked ?? callTimeoutMs
  return { waitMs, connectMs: Math.min(waitMs, callTimeoutMs) }
}

/**
 * The `cron.run` mode: `due` as asked; `force` becomes `if-enabled` where the gateway has it (9.x), so a job
 * disabled after the server's job list was read is still not run — except with --allow-disabled, where running a
 * disabled job is the operator's deliberate choice.
 */
export function runMode(
  mode: 'force' | 'due' | undefined,
  allowDisabled: boolean,
  protocol: number | undefined,
): 'force' | 'due' | 'if-enabled' {
  if (mode === 'due') return 'due'
  return !allowDisabled && protocol === 4 ? 'if-enabled' : 'force'
}

/** The tool body: policy, confirmation, runJob, the verdict. Plain calls and tasks share it. */
async function runBody(
  server: McpServer,
  deps: RunToolDeps,
  args: RunArgs,
  ctx: ServerContext,
  notifier: RunNotifier,
): Promise<CallToolResult | InputRequiredResult> {
  const signal = ctx.mcpReq.signal
  const { waitMs, connectMs } = waitLimits(deps.callTimeoutMs, args)
  // Connecting counts against the call's limit too: a gateway that stalls or says "starting" forever must not
  // hold the call past it.
  const connectDeadline = deadlineSignal(connectMs, 'run_cron_job')
  try {
    const picked = deps.gateways.pick(args.gateway)
    const client = await picked.getClient(AbortSignal.any([signal, connectDeadline.signal]))
    connectDeadline.clear()
    const context = picked.name ?? undefined
    const outcome = await runJob(client, {
      ref: args.job,
      mode: runMode(args.mode, deps.policy.allowDisabled === true, client.protocol),
      wait: args.wait === true,
      timeoutMs: waitMs,
      signal,
      jobs: deps.getJobs(client, context),
      onProgress: notifier.report,
      authorize: async (job) => {
        assertAllowed(deps.policy, job, context)
        if (deps.confirm) confirmRun(askerOf(server, ctx), job)
      },
    })
    const report = describeOutcome(outcome)
    await notifier.done(report.message)
    return reportResult(report)
  } catch (error) {
    if (error instanceof ConfirmationNeeded) return error.result
    const cancelled = signal.aborted && !(error instanceof ToolRefusal)
    const report = describeStop(error, { interrupted: cancelled })
    await notifier.done(report?.message ?? `failed: ${errorCode(error)}`)
    return report ? reportFailure(report) : failure(error)
  } finally {
    notifier.stop()
    connectDeadline.clear()
  }
}

/** The task a call runs for (spec 2025-11-25 tasks, served by tasks.ts), if any. */
function taskIdOf(ctx: ServerContext): string | undefined {
  const related = ctx.mcpReq._meta?.[RELATED_TASK] as { taskId?: unknown } | undefined
  return typeof related?.taskId === 'string' ? related.taskId : undefined
}

/**
 * Registers `run_cron_job`: a presenter of the client's runJob, with policy and confirmation checked before
 * `cron.run`, progress notifications, the caller's cancellation, and task-augmented calls (tasks.ts).
 */
export function registerRunTool(server: McpServer, deps: RunToolDeps): void {
  server.registerTool(
    'run_cron_job',
    {
      title: 'Run an OpenClaw cron job',
      description:
        'Runs an OpenClaw cron job now, by id or exact name. mode "force" (default) runs it regardless of schedule; "due" only if it is due. With wait=true, waits for the run to finish and returns its status and summary; the wait lasts at most timeoutSeconds (up to 3600), or the server\'s --call-timeout (default 120 s) when timeoutSeconds is not given, so pass timeoutSeconds for agent runs that take minutes. When the wait runs out, the run goes on on the gateway (get_cron_runs shows how it ends). While waiting it sends progress notifications at least every 5 s (model calls, tools, retries, text written), so a client that resets its timeout on progress never times out; it supports cancellation and task-augmented calls. Every result, failures included, carries the run\'s facts as structuredContent.',
      inputSchema: z.object({ ...INPUT_BASE, ...deps.gateways.inputShape() }),
      outputSchema: z.object(OUTPUT),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      icons: TOOL_ICONS,
    },
    (args, ctx) => {
      const taskId = taskIdOf(ctx)
      if (!taskId) return runBody(server, deps, args, ctx, progressNotifier(ctx))
      // In a task, every progress line is also the task's status message (and a notification when asked for).
      const notify = notificationSink(ctx)
      const notifier = runNotifier(async (progress, message) => {
        deps.tasks.noteStatus(taskId, message)
        await notify?.(progress, message)
      })
      return runBody(server, deps, args, ctx, {
        ...notifier,
        report: (event) => {
          if (event.kind === 'enqueued')
            deps.tasks.noteStage(
              taskId,
              `the run ${event.runId ?? ''} goes on on the gateway; get_cron_runs shows how it ends`,
            )
          notifier.report(event)
        },
      })
    },
  )
}
