import { randomUUID } from 'node:crypto'
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server'
import { interceptTransport } from './intercept.js'

/**
 * Tasks (spec 2025-11-25) for `run_cron_job`. SDK v2 dropped its task layer, so this serves the task methods
 * itself, below the McpServer: a task-augmented `tools/call` is answered at once with the task and handed to the
 * server as a plain call under an id of ours; its answer becomes the task's result. `tasks/get`, `tasks/result`,
 * `tasks/list` and `tasks/cancel` are answered from the {@link TaskRegistry}; a cancel cancels that inner call,
 * so the run tool's signal aborts, and the stage the run reached becomes the status message.
 */

/** The meta key that ties a request to its task (spec 2025-11-25). */
export const RELATED_TASK = 'io.modelcontextprotocol/related-task'
const INNER = 'clawlink-task:'
const TERMINAL = new Set(['completed', 'failed', 'cancelled'])

/** A run a task follows: what a stateless handle must carry to find it again on any replica. */
export interface TaskRun {
  gateway: string
  jobId: string
  runId: string
}

/** Turns a run into a task id and back (a signed handle plugs in here); an Error names why an id is refused. */
export interface TaskHandleCodec {
  encode(run: TaskRun): string
  decode(id: string): TaskRun | Error
}

/** One task as `tasks/get` shows it. */
export interface TaskState {
  taskId: string
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled'
  statusMessage?: string
  createdAt: string
  lastUpdatedAt: string
  ttl: number | null
  pollInterval: number
}

interface Entry {
  task: TaskState
  result?: Record<string, unknown>
  error?: { code: number; message: string }
  /** What a cancel leaves behind ("nothing was run", "the run … goes on on the gateway"). */
  stage: string
  waiters: (() => void)[]
  expires: number
}

/** The tasks of one process (shared by its sessions); ended tasks are forgotten after their ttl. */
export class TaskRegistry {
  private readonly entries = new Map<string, Entry>()

  create(ttl: number): TaskState {
    this.sweep()
    const now = new Date().toISOString()
    const task: TaskState = {
      taskId: randomUUID(),
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttl,
      pollInterval: 1000,
    }
    const entry: Entry = { task, stage: 'nothing was run', waiters: [], expires: Date.now() + ttl }
    this.entries.set(task.taskId, entry)
    return { ...task }
  }

  get(taskId: string): TaskState | undefined {
    const task = this.entries.get(taskId)?.task
    return task ? { ...task } : undefined
  }

  list(): TaskState[] {
    this.sweep()
    return [...this.entries.values()].map((e) => ({ ...e.task }))
  }

  /** Called by the run tool inside a task: what a cancel would leave behind. */
  noteStage(taskId: string, stage: string): void {
    const entry = this.entries.get(taskId)
    if (entry) entry.stage = stage
  }

  /** A progress line of a task's run becomes its status message. */
  noteStatus(taskId: string, message: string): void {
    const entry = this.entries.get(taskId)
    if (entry && !TERMINAL.has(entry.task.status)) this.update(entry, 'working', message)
  }

  /** The call's answer: the task completes (failed for an isError result or an error); late answers are dropped. */
  finish(taskId: string, answer: { result?: Record<string, unknown>; error?: Entry['error'] }): void {
    const entry = this.entries.get(taskId)
    if (!entry || TERMINAL.has(entry.task.status)) return
    if (answer.result) entry.result = answer.result
    if (answer.error) entry.error = answer.error
    const failed = answer.error !== undefined || answer.result?.isError === true
    this.update(entry, failed ? 'failed' : 'completed', entry.task.statusMessage)
  }

  /** Cancels a working task; false when it has ended already (or is unknown). */
  cancel(taskId: string): boolean {
    const entry = this.entries.get(taskId)
    if (!entry || TERMINAL.has(entry.task.status)) return false
    this.update(entry, 'cancelled', `Cancelled by the client: ${entry.stage}`)
    return true
  }

  /** The stored answer once the task has ended (waits for it). */
  async outcome(taskId: string): Promise<Pick<Entry, 'result' | 'error' | 'task'> | undefined> {
    const entry = this.entries.get(taskId)
    if (!entry) return undefined
    if (!TERMINAL.has(entry.task.status)) await new Promise<void>((r) => entry.waiters.push(r))
    return entry
  }

  close(): void {
    for (const entry of this.entries.values()) for (const wake of entry.waiters.splice(0)) wake()
    this.entries.clear()
  }

  private update(entry: Entry, status: TaskState['status'], message: string | undefined): void {
    entry.task.status = status
    if (message !== undefined) entry.task.statusMessage = message
    entry.task.lastUpdatedAt = new Date().toISOString()
    if (TERMINAL.has(status)) for (const wake of entry.waiters.splice(0)) wake()
  }

  private sweep(): void {
    const now = Date.now()
    for (const [id, e] of this.entries)
      if (e.expires < now && TERMINAL.has(e.task.status)) this.entries.delete(id)
  }
}

/** The capability a server with tasks declares at `initialize` (spec 2025-11-25). */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } }

type Msg = { id?: string | number; method?: string; params?: Record<string, unknown> }
const TASK_TOOLS = new Set(['run_cron_job'])

function taskOf(params: Record<string, unknown> | undefined): { ttl?: number } | undefined {
  const task = params?.task
  return task && typeof task === 'object' ? (task as { ttl?: number }) : undefined
}

/** A tools/list result with `execution.taskSupport: 'optional'` on the tools that take tasks. */
function withTaskSupport(result: Record<string, unknown>): Record<string, unknown> {
  const tools = Array.isArray(result.tools) ? (result.tools as { name?: unknown }[]) : []
  const marked = tools.map((t) =>
    TASK_TOOLS.has(String(t.name)) ? { ...t, execution: { taskSupport: 'optional' } } : t,
  )
  return { ...result, tools: marked }
}

/**
 * Wraps a session's transport with the task methods of spec 2025-11-25 (see the top of this file). Everything
 * else passes through unchanged.
 */
export function taskTransport<T extends Transport>(inner: T, registry: TaskRegistry): T {
  const reply = (id: string | number, result: Record<string, unknown>) =>
    inner.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage)
  const refuse = (id: string | number, message: string) =>
    inner.send({ jsonrpc: '2.0', id, error: { code: -32602, message } } as JSONRPCMessage)
  const withRelated = (id: string, result: Record<string, unknown>) => ({
    ...result,
    _meta: { ...(result._meta as object | undefined), [RELATED_TASK]: { taskId: id } },
  })
  type Deliver = (message: JSONRPCMessage) => void

  const answer = async (m: Msg & { id: string | number }, deliver: Deliver): Promise<void> => {
    const taskId = String(m.params?.taskId ?? '')
    if (m.method === 'tasks/list') return reply(m.id, { tasks: registry.list() })
    const task = registry.get(taskId)
    if (!task)
      return refuse(m.id, `Unknown task "${taskId.slice(0, 64)}": it ended and was forgotten, or never was`)
    if (m.method === 'tasks/get') return reply(m.id, { ...task })
    if (m.method === 'tasks/cancel') {
      if (!registry.cancel(taskId))
        return refuse(m.id, `Task ${taskId} has ended already (${task.status}); nothing to cancel`)
      deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: INNER + taskId } })
      return reply(m.id, { ...registry.get(taskId) })
    }
    const done = await registry.outcome(taskId) // tasks/result
    if (done?.error) return void inner.send({ jsonrpc: '2.0', id: m.id, error: done.error } as JSONRPCMessage)
    if (done?.result) return reply(m.id, withRelated(taskId, done.result))
    return refuse(m.id, `Task ${taskId} was ${done?.task.status ?? 'forgotten'}; it has no result`)
  }

  const listings = new Set<string | number>() // tools/list requests: their answers say which tools take tasks
  return interceptTransport(inner, {
    receive(message, extra, deliver) {
      const m = message as Msg
      if (m.id !== undefined && m.method?.startsWith('tasks/'))
        return void answer(m as never, (next) => deliver(next, extra))
      if (m.id !== undefined && m.method === 'tools/list') listings.add(m.id)
      const task = m.method === 'tools/call' ? taskOf(m.params) : undefined
      if (!task || m.id === undefined || !TASK_TOOLS.has(String(m.params?.name)))
        return deliver(message, extra)
      const meta = (m.params?._meta ?? {}) as Record<string, unknown>
      const created = registry.create(typeof task.ttl === 'number' ? task.ttl : 3_600_000)
      void reply(m.id, { task: created })
      const { task: _, ...params } = m.params ?? {}
      const call = {
        ...message,
        id: INNER + created.taskId,
        params: { ...params, _meta: { ...meta, [RELATED_TASK]: { taskId: created.taskId } } },
      }
      deliver(call as JSONRPCMessage, extra)
    },
    send(message, opts, forward) {
      const m = message as Msg & {
        result?: Record<string, unknown>
        error?: { code: number; message: string }
      }
      if (typeof m.id === 'string' && m.id.startsWith(INNER) && m.method === undefined) {
        registry.finish(m.id.slice(INNER.length), m.error ? { error: m.error } : { result: m.result ?? {} })
        return Promise.resolve()
      }
      if (m.id !== undefined && m.method === undefined && listings.delete(m.id) && m.result)
        return forward({ ...message, result: withTaskSupport(m.result) } as JSONRPCMessage, opts)
      return forward(message, opts)
    },
  })
}
