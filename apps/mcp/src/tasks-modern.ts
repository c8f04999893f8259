import {
  deadlineSignal,
  describeOutcome,
  type GatewayClient,
  type JobCache,
  lookupRun,
  type RunReport,
  runJob,
} from '@clawlink/client'
import type { AuditEntry, AuditLog } from './audit.js'
import { assertAllowed, type McpPolicy } from './policy.js'
import { errorCode, failure, resultOf, sentence, ToolRefusal } from './present.js'
import type { TaskHandleCodec } from './task-handle.js'
import { runContent, runMode } from './tools/run.js'

/**
 * Tasks for 2026-07-28 clients: the `io.modelcontextprotocol/tasks` extension, served statelessly. A client that
 * declares the extension and calls `run_cron_job` with `wait: true` gets a task at once; the task id IS the run
 * (gateway, job id, run id), signed with the --task-secret-file key (task-handle.ts). `tasks/get` on any replica
 * holding that key decodes the id and asks the gateway how the run stands: nothing is kept between requests.
 * A handle that is malformed, forged, expired or signed by another key is refused (-32602) with why, and audited.
 */

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks'
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities'
const INVALID_PARAMS = -32602
const POLL_MS = 2000
const GATEWAY_MS = 30_000

/** Options of {@link modernTasks}. */
export interface ModernTasksOptions {
  codec: TaskHandleCodec
  /** The gateway the replicas share (its URL): every handle names it, and a handle for another is refused. */
  gateway: string
  /** Its context name (--context), when the server has contexts: a call naming another gateway is no task. */
  contextName?: string | undefined
  getClient: (signal?: AbortSignal) => Promise<GatewayClient>
  getJobs: (client: GatewayClient) => JobCache
  policy: McpPolicy
  /** With --confirm runs go through the tool itself (it asks first): no tasks then. */
  confirm: boolean
  audit: AuditLog | undefined
  /** How long a handle stays valid (default 24 h). */
  ttlMs?: number
}

type Body = { id?: string | number; method?: string; params?: Record<string, unknown> }
type Answer = Record<string, unknown>

/** The 2026-07-28 task methods; `answer` returns the JSON-RPC response, or undefined to leave the request to the SDK. */
export interface ModernTasks {
  answer(body: unknown, headers: Headers): Promise<Answer | undefined>
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const iso = (ms: number) => new Date(ms).toISOString()

/** Whether the request's `_meta` declares the tasks extension among the client's capabilities. */
function wantsTasks(params: Record<string, unknown>): boolean {
  const meta = params._meta
  const caps = isObject(meta) ? meta[CAPABILITIES] : undefined
  const ext = isObject(caps) ? caps.extensions : undefined
  return isObject(ext) && isObject(ext[TASKS_EXTENSION])
}

/** The arguments of a run that becomes a task, or undefined when the call is not one (the SDK serves it). */
function taskRun(
  body: Body,
  contextName: string | undefined,
): { job: string; mode: 'force' | 'due'; args: Record<string, unknown> } | undefined {
  const params = body.params
  if (body.method !== 'tools/call' || !params || params.name !== 'run_cron_job' || !wantsTasks(params))
    return undefined
  const args = params.arguments
  if (!isObject(args) || args.wait !== true) return undefined
  // A run on another context's gateway is served by the tool itself (tasks run on the default gateway).
  if (args.gateway !== undefined && args.gateway !== contextName) return undefined
  const { job, mode } = args
  if (typeof job !== 'string' || job.length === 0 || job.length > 512) return undefined
  if (mode !== undefined && mode !== 'force' && mode !== 'due') return undefined
  return { job, mode: mode ?? 'force', args }
}

/** A report as a complete tools/call result (the same content the plain call returns). */
function reportResult(report: RunReport): Answer {
  if (report.ok) return { ...resultOf(runContent(report)), resultType: 'complete' }
  const text = `${sentence(report.message)}${report.remedy ? ` ${sentence(report.remedy)}` : ''}`
  return {
    ...failure(new ToolRefusal(report.code ?? 'RUN_FAILED', text, { remedy: '' }), runContent(report)),
    resultType: 'complete',
  }
}

export function modernTasks(options: ModernTasksOptions): ModernTasks {
  const ttlMs = options.ttlMs ?? 86_400_000
  const audit = (entry: Partial<AuditEntry> & Pick<AuditEntry, 'tool' | 'outcome'>, started: number) =>
    options.audit?.record({
      time: iso(started),
      arguments: {},
      job: null,
      client: null,
      transport: 'http',
      code: null,
      runId: null,
      durationMs: Date.now() - started,
      ...entry,
    })
  const client = async (): Promise<GatewayClient> => {
    const deadline = deadlineSignal(GATEWAY_MS, 'connecting to the gateway')
    try {
      return await options.getClient(deadline.signal)
    } finally {
      deadline.clear()
    }
  }

  /** tools/call run_cron_job with wait: starts the run, answers with its task (or the result, when it did not start). */
  const start = async (run: NonNullable<ReturnType<typeof taskRun>>, started: number): Promise<Answer> => {
    let job: { id: string; name: string | null } | null = null
    try {
      const gateway = await client()
      const outcome = await runJob(gateway, {
        ref: run.job,
        mode: runMode(run.mode, options.policy.allowDisabled === true, gateway.protocol),
        wait: false,
        timeoutMs: GATEWAY_MS,
        jobs: options.getJobs(gateway),
        authorize: (resolved) => {
          job = { id: resolved.id, name: resolved.name ?? null }
          assertAllowed(options.policy, resolved, options.contextName)
        },
      })
      const report = describeOutcome(outcome)
      const runId = report.record.runId
      if (outcome.kind !== 'enqueued' || !runId) {
        audit(
          {
            tool: 'run_cron_job',
            arguments: run.args,
            job,
            outcome: report.ok ? 'ok' : 'error',
            code: report.code ?? null,
          },
          started,
        )
        return reportResult(report)
      }
      const now = Date.now()
      const taskId = options.codec.encode({
        gateway: options.gateway,
        jobId: outcome.job.id,
        runId,
        issuedAt: now,
        expiresAt: now + ttlMs,
      })
      audit({ tool: 'run_cron_job', arguments: run.args, job, outcome: 'ok', runId, taskId }, started)
      return {
        resultType: 'task',
        taskId,
        status: 'working',
        statusMessage: `${report.message}: run ${runId} goes on on the gateway`,
        createdAt: iso(now),
        lastUpdatedAt: iso(now),
        ttlMs,
        pollIntervalMs: POLL_MS,
      }
    } catch (error) {
      const code = errorCode(error)
      audit(
        {
          tool: 'run_cron_job',
          arguments: run.args,
          job,
          outcome: code === 'NOT_ALLOWED' ? 'refused' : 'error',
          code,
        },
        started,
      )
      return { ...failure(error), resultType: 'complete' }
    }
  }

  /** tasks/get: the run's real state, from the gateway. */
  const get = async (taskId: string, method: string, started: number): Promise<Answer> => {
    const decoded = options.codec.decode(taskId)
    if (!decoded.ok) {
      audit(
        {
          tool: method,
          arguments: { taskId: taskId.slice(0, 64) },
          outcome: 'refused',
          code: `TASK_${decoded.reason.toUpperCase().replace('-', '_')}`,
        },
        started,
      )
      throw new TaskRefusal(`Task refused: ${decoded.message}`, decoded.reason)
    }
    const { run } = decoded
    if (run.gateway !== options.gateway) {
      audit(
        {
          tool: method,
          arguments: { taskId: taskId.slice(0, 64) },
          outcome: 'refused',
          code: 'TASK_OTHER_GATEWAY',
        },
        started,
      )
      throw new TaskRefusal(
        `Task refused: it is a run on ${run.gateway}, this server serves ${options.gateway}`,
        'other-gateway',
      )
    }
    const base = {
      taskId,
      createdAt: iso(run.issuedAt),
      lastUpdatedAt: iso(Date.now()),
      ttlMs,
      pollIntervalMs: POLL_MS,
    }
    if (method === 'tasks/cancel') {
      audit(
        {
          tool: method,
          arguments: { taskId: taskId.slice(0, 64) },
          outcome: 'refused',
          code: 'NOT_CANCELLABLE',
          runId: run.runId,
        },
        started,
      )
      throw new TaskRefusal(
        `Task not cancelled: run ${run.runId} goes on on the gateway (a run is never stopped by a cancel); poll tasks/get for its outcome`,
        'not-cancellable',
      )
    }
    const found = await lookupRun(await client(), {
      jobId: run.jobId,
      runId: run.runId,
      notBeforeMs: run.issuedAt,
    })
    if (found.kind === 'pending')
      return {
        ...base,
        status: 'working',
        statusMessage: `run ${run.runId} of ${found.job.name ?? run.jobId} is running`,
        resultType: 'complete',
      }
    const report = describeOutcome(found.outcome)
    audit(
      {
        tool: method,
        arguments: { taskId: taskId.slice(0, 64) },
        job: { id: run.jobId, name: found.outcome.job.name ?? null },
        outcome: 'ok',
        runId: run.runId,
      },
      started,
    )
    return {
      ...base,
      status: 'completed',
      statusMessage: report.message,
      result: reportResult(report),
      resultType: 'complete',
    }
  }

  return {
    async answer(raw, headers) {
      if (!isObject(raw) || Array.isArray(raw)) return undefined
      const body = raw as Body
      if (body.id === undefined || typeof body.method !== 'string') return undefined
      // A header that disagrees with the body: the SDK answers that with the spec's error.
      if (headers.get('mcp-method') !== body.method) return undefined
      const started = Date.now()
      const reply = (result: Answer) => ({ jsonrpc: '2.0', id: body.id, result })
      const run = options.confirm ? undefined : taskRun(body, options.contextName)
      if (run) return reply(await start(run, started))
      if (!['tasks/get', 'tasks/cancel', 'tasks/update'].includes(body.method)) return undefined
      const taskId = body.params?.taskId
      try {
        if (typeof taskId !== 'string')
          throw new TaskRefusal('Task refused: params.taskId must be a string', 'malformed')
        if (body.method === 'tasks/update')
          throw new TaskRefusal('Task refused: a run_cron_job task never asks for input', 'no-input')
        return reply(await get(taskId, body.method, started))
      } catch (error) {
        const message =
          error instanceof TaskRefusal
            ? error.message
            : `The gateway could not be asked: ${(error as Error).message}`
        const code = error instanceof TaskRefusal ? INVALID_PARAMS : -32603
        const data = error instanceof TaskRefusal ? { reason: error.reason } : undefined
        return { jsonrpc: '2.0', id: body.id, error: { code, message, ...(data ? { data } : {}) } }
      }
    },
  }
}

/** A task request refused for its id (-32602 with the reason in `data`). */
class TaskRefusal extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message)
  }
}
