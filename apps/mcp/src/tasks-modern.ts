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
import type { NamedGateway } from './gateways.js'
import { assertAllowed, type McpPolicy } from './policy.js'
import { errorCode, failure } from './present.js'
import type { TaskHandleCodec, TaskRun } from './task-handle.js'
import { reportResult, runMode } from './tools/run.js'

/**
 * Tasks for 2026-07-28 clients: the `io.modelcontextprotocol/tasks` extension, served statelessly, over HTTP and
 * stdio alike. A client that declares the extension and calls `run_cron_job` with `wait: true` gets a task at once;
 * the task id IS the run (gateway, its context, job id, run id), signed with the --task-secret-file key
 * (task-handle.ts). `tasks/get` on any replica holding that key decodes the id and asks that context's gateway how
 * the run stands: nothing is kept between requests. A handle that is malformed, forged, expired, signed by another
 * key or naming a context this server does not serve is refused (-32602) with why, and audited.
 */

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks'
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities'
const PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion'
const INVALID_PARAMS = -32602
const POLL_MS = 2000
const GATEWAY_MS = 30_000

/** Options of {@link modernTasks}. */
export interface ModernTasksOptions {
  codec: TaskHandleCodec
  /**
   * The gateways the server serves: one per --context (the first is the default of the `gateway` argument), or
   * one unnamed. A handle names the context its run is on (or, without contexts, the gateway's URL).
   */
  gateways: readonly NamedGateway[]
  /** The job list of a gateway session (keyed by its context, like the tools'). */
  getJobs: (client: GatewayClient, context?: string) => JobCache
  policy: McpPolicy
  /** With --confirm runs go through the tool itself (it asks first): no tasks then. */
  confirm: boolean
  audit: AuditLog | undefined
  /** How long a handle stays valid (default 24 h). */
  ttlMs?: number
}

/** Where a request came in: its transport, its HTTP headers, and the OAuth caller http.ts verified. */
export interface TaskRequestOrigin {
  transport: 'stdio' | 'http'
  /** HTTP: a Mcp-Method header that disagrees with the body is left to the SDK (it answers with the spec's error). */
  headers?: Headers
  /** The verified OAuth caller, for the audit lines. */
  caller?: { subject: string; clientId: string } | undefined
}

type Body = { id?: string | number; method?: string; params?: Record<string, unknown> }
type Answer = Record<string, unknown>

/** The 2026-07-28 task methods; `answer` returns the JSON-RPC response, or undefined to leave the request to the SDK. */
export interface ModernTasks {
  answer(body: unknown, origin: TaskRequestOrigin): Promise<Answer | undefined>
  /** The same, deciding at once (no await) whether the request is ours: undefined leaves it to the SDK, in order. */
  claim(body: unknown, origin: TaskRequestOrigin): Promise<Answer> | undefined
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const iso = (ms: number) => new Date(ms).toISOString()

/** Whether a request carries the 2026-07-28 `_meta` envelope (a 2025-era tasks/get on stdio is tasks.ts's). */
function isModern(params: Record<string, unknown> | undefined): boolean {
  const meta = params?._meta
  return isObject(meta) && typeof meta[PROTOCOL_VERSION] === 'string'
}

/** Whether the request's `_meta` declares the tasks extension among the client's capabilities. */
function wantsTasks(params: Record<string, unknown>): boolean {
  const meta = params._meta
  const caps = isObject(meta) ? meta[CAPABILITIES] : undefined
  const ext = isObject(caps) ? caps.extensions : undefined
  return isObject(ext) && isObject(ext[TASKS_EXTENSION])
}

type TaskStart = { job: string; mode: 'force' | 'due'; args: Record<string, unknown>; gateway: NamedGateway }

/** The arguments of a run that becomes a task, or undefined when the call is not one (the SDK serves it). */
function taskRun(body: Body, gateways: readonly NamedGateway[]): TaskStart | undefined {
  const params = body.params
  if (body.method !== 'tools/call' || !params || params.name !== 'run_cron_job' || !wantsTasks(params))
    return undefined
  const args = params.arguments
  if (!isObject(args) || args.wait !== true) return undefined
  // The context the `gateway` argument names (default the first); an unknown one is the tool's to refuse.
  const gateway = args.gateway === undefined ? gateways[0] : gateways.find((g) => g.name === args.gateway)
  if (!gateway) return undefined
  const { job, mode } = args
  if (typeof job !== 'string' || job.length === 0 || job.length > 512) return undefined
  if (mode !== undefined && mode !== 'force' && mode !== 'due') return undefined
  return { job, mode: mode ?? 'force', args, gateway }
}

/** A report as a complete tools/call result (the same content the plain call returns). */
const completeResult = (report: RunReport): Answer => ({ ...reportResult(report), resultType: 'complete' })

/** A task request refused for its id (-32602 with the reason in `data`). */
class TaskRefusal extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly code: string,
  ) {
    super(message)
  }
}

/** The gateway a decoded handle's run is on: its context by name, or (no contexts) its URL. */
function gatewayOf(run: TaskRun, gateways: readonly NamedGateway[]): NamedGateway {
  if (run.context !== undefined) {
    const named = gateways.find((g) => g.name === run.context)
    if (named) return named
    const served = gateways.flatMap((g) => (g.name === null ? [] : [g.name]))
    throw new TaskRefusal(
      `Task refused: it is a run on context "${run.context}", which this server does not serve (${served.length ? `its contexts: ${served.join(', ')}` : 'it has no --context'}); ask a server started with --context ${run.context}`,
      'unknown-context',
      'TASK_UNKNOWN_CONTEXT',
    )
  }
  const byUrl = gateways.find((g) => g.url === run.gateway)
  if (byUrl) return byUrl
  throw new TaskRefusal(
    `Task refused: it is a run on ${run.gateway}, this server serves ${gateways.map((g) => g.url).join(', ')}`,
    'other-gateway',
    'TASK_OTHER_GATEWAY',
  )
}

type Audit = (entry: Partial<AuditEntry> & Pick<AuditEntry, 'tool' | 'outcome'>) => void

/** Connects to `gateway` within the gateway time limit. */
async function connect(gateway: NamedGateway): Promise<GatewayClient> {
  const deadline = deadlineSignal(GATEWAY_MS, 'connecting to the gateway')
  try {
    return await gateway.getClient(deadline.signal)
  } finally {
    deadline.clear()
  }
}

/** tools/call run_cron_job with wait: starts the run, answers with its task (or the result, when it did not start). */
async function start(options: ModernTasksOptions, run: TaskStart, audit: Audit): Promise<Answer> {
  let job: { id: string; name: string | null } | null = null
  const context = run.gateway.name ?? undefined
  const base = {
    tool: 'run_cron_job',
    arguments: run.args,
    gateway: { context: run.gateway.name, url: run.gateway.url },
  }
  try {
    const gateway = await connect(run.gateway)
    const outcome = await runJob(gateway, {
      ref: run.job,
      mode: runMode(run.mode, options.policy.allowDisabled === true, gateway.protocol),
      wait: false,
      timeoutMs: GATEWAY_MS,
      jobs: options.getJobs(gateway, context),
      authorize: (resolved) => {
        job = { id: resolved.id, name: resolved.name ?? null }
        assertAllowed(options.policy, resolved, context)
      },
    })
    const report = describeOutcome(outcome)
    const runId = report.record.runId
    if (outcome.kind !== 'enqueued' || !runId) {
      audit({ ...base, job, outcome: report.ok ? 'ok' : 'error', code: report.code ?? null })
      return completeResult(report)
    }
    const now = Date.now()
    const ttlMs = options.ttlMs ?? 86_400_000
    const taskId = options.codec.encode({
      gateway: run.gateway.url,
      jobId: outcome.job.id,
      runId,
      issuedAt: now,
      expiresAt: now + ttlMs,
      ...(context !== undefined ? { context } : {}),
    })
    audit({ ...base, job, outcome: 'ok', runId, taskId })
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
    audit({ ...base, job, outcome: code === 'NOT_ALLOWED' ? 'refused' : 'error', code })
    return { ...failure(error), resultType: 'complete' }
  }
}

/** tasks/get (and tasks/cancel, refused): the run's real state, from its context's gateway. */
async function get(
  options: ModernTasksOptions,
  taskId: string,
  method: string,
  audit: Audit,
): Promise<Answer> {
  const base = { tool: method, arguments: { taskId: taskId.slice(0, 64) } }
  const decoded = options.codec.decode(taskId)
  const refuse = (refusal: TaskRefusal, extra: Partial<AuditEntry> = {}): never => {
    audit({ ...base, ...extra, outcome: 'refused', code: refusal.code })
    throw refusal
  }
  if (!decoded.ok) {
    const code = `TASK_${decoded.reason.toUpperCase().replace('-', '_')}`
    return refuse(new TaskRefusal(`Task refused: ${decoded.message}`, decoded.reason, code))
  }
  const { run } = decoded
  let gateway: NamedGateway
  try {
    gateway = gatewayOf(run, options.gateways)
  } catch (error) {
    return refuse(error as TaskRefusal)
  }
  const where = { gateway: { context: gateway.name, url: gateway.url }, runId: run.runId }
  if (method === 'tasks/cancel')
    return refuse(
      new TaskRefusal(
        `Task not cancelled: run ${run.runId} goes on on the gateway (a run is never stopped by a cancel); poll tasks/get for its outcome`,
        'not-cancellable',
        'NOT_CANCELLABLE',
      ),
      where,
    )
  const ttlMs = options.ttlMs ?? 86_400_000
  const task = {
    taskId,
    createdAt: iso(run.issuedAt),
    lastUpdatedAt: iso(Date.now()),
    ttlMs,
    pollIntervalMs: POLL_MS,
  }
  const found = await lookupRun(await connect(gateway), {
    jobId: run.jobId,
    runId: run.runId,
    notBeforeMs: run.issuedAt,
  })
  if (found.kind === 'pending')
    return {
      ...task,
      status: 'working',
      statusMessage: `run ${run.runId} of ${found.job.name ?? run.jobId} is running`,
      resultType: 'complete',
    }
  const report = describeOutcome(found.outcome)
  audit({ ...base, ...where, job: { id: run.jobId, name: found.outcome.job.name ?? null }, outcome: 'ok' })
  return {
    ...task,
    status: 'completed',
    statusMessage: report.message,
    result: completeResult(report),
    resultType: 'complete',
  }
}

export function modernTasks(options: ModernTasksOptions): ModernTasks {
  const auditFor =
    (origin: TaskRequestOrigin, started: number): Audit =>
    (entry) =>
      options.audit?.record({
        time: iso(started),
        arguments: {},
        job: null,
        client: null,
        transport: origin.transport,
        code: null,
        runId: null,
        durationMs: Date.now() - started,
        ...entry,
        ...(origin.caller ? { subject: origin.caller.subject, clientId: origin.caller.clientId } : {}),
      })

  const claim = (raw: unknown, origin: TaskRequestOrigin): Promise<Answer> | undefined => {
    if (!isObject(raw) || Array.isArray(raw)) return undefined
    const body = raw as Body
    if (body.id === undefined || typeof body.method !== 'string' || !isModern(body.params)) return undefined
    // A header that disagrees with the body: the SDK answers that with the spec's error.
    if (origin.headers && origin.headers.get('mcp-method') !== body.method) return undefined
    const audit = auditFor(origin, Date.now())
    const reply = (result: Answer) => ({ jsonrpc: '2.0', id: body.id, result })
    const run = options.confirm ? undefined : taskRun(body, options.gateways)
    if (run) return start(options, run, audit).then(reply)
    if (!['tasks/get', 'tasks/cancel', 'tasks/update'].includes(body.method)) return undefined
    return answerTask(options, body, audit).then(
      (result) => reply(result),
      (error: unknown) => {
        const refused = error instanceof TaskRefusal
        const message = refused
          ? error.message
          : `The gateway could not be asked: ${(error as Error).message}`
        const data = refused ? { data: { reason: error.reason } } : {}
        return {
          jsonrpc: '2.0',
          id: body.id,
          error: { code: refused ? INVALID_PARAMS : -32603, message, ...data },
        }
      },
    )
  }
  return { claim, answer: async (raw, origin) => claim(raw, origin) }
}

/** tasks/get, tasks/cancel, tasks/update: the task's answer, or a TaskRefusal. */
async function answerTask(options: ModernTasksOptions, body: Body, audit: Audit): Promise<Answer> {
  const taskId = body.params?.taskId
  if (typeof taskId !== 'string')
    throw new TaskRefusal('Task refused: params.taskId must be a string', 'malformed', 'TASK_MALFORMED')
  if (body.method === 'tasks/update')
    throw new TaskRefusal('Task refused: a run_cron_job task never asks for input', 'no-input', 'NO_INPUT')
  return get(options, taskId, body.method ?? '', audit)
}
