import type { CreateTaskRequestHandlerExtra } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  Task,
} from '@modelcontextprotocol/sdk/types.js'

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/**
 * The SDK's in-memory task store (spec 2025-11-25 tasks), plus what it lacks for us: `tasks/cancel` only flips the
 * stored status, so a running wait would never learn of it. Here a cancel also aborts the task's own signal.
 */
export class CancellableTaskStore extends InMemoryTaskStore {
  private readonly aborters = new Map<string, { controller: AbortController; onCancel: () => string }>()

  /**
   * A signal that aborts when the task is cancelled (forgotten once the task ends). `onCancel` says what the
   * cancel means for the work (e.g. "the run goes on on the gateway"): it becomes the status message.
   */
  signalFor(taskId: string, onCancel: () => string): AbortSignal {
    const controller = new AbortController()
    this.aborters.set(taskId, { controller, onCancel })
    return controller.signal
  }

  override async updateTaskStatus(
    taskId: string,
    status: Task['status'],
    message?: string,
    sessionId?: string,
  ): Promise<void> {
    const entry = this.aborters.get(taskId)
    const text = status === 'cancelled' && entry ? `Cancelled by the client: ${entry.onCancel()}` : message
    await super.updateTaskStatus(taskId, status, text, sessionId)
    if (status === 'cancelled') entry?.controller.abort(new Error('task cancelled by the client'))
    if (status === 'cancelled' || status === 'completed' || status === 'failed') this.aborters.delete(taskId)
  }

  override async storeTaskResult(
    taskId: string,
    status: 'completed' | 'failed',
    result: Parameters<InMemoryTaskStore['storeTaskResult']>[2],
    sessionId?: string,
  ): Promise<void> {
    await super.storeTaskResult(taskId, status, result, sessionId)
    this.aborters.delete(taskId)
  }
}

/** A tool body both call styles share: plain `tools/call` and the background work of a task. */
export type ToolBody = (args: Record<string, unknown>, extra: Extra) => Promise<CallToolResult>

/**
 * For tools registered with `taskSupport: 'optional'`, a call WITHOUT task augmentation goes through the SDK's
 * automatic polling (1.32.2): it creates a task, then sleeps `pollInterval` between status checks, ignores the
 * caller's cancellation and progress token. A plain `run_cron_job` would be slow and could not be cancelled.
 * This replaces that one step so a plain call runs the tool body directly (input still validated by the SDK's
 * own validator). Fails loudly if the SDK's internals differ from the pinned version.
 */
export function runOptionalTaskToolsDirectly(server: McpServer, bodies: Record<string, ToolBody>): void {
  type Internals = {
    handleAutomaticTaskPolling?: unknown
    validateToolInput?: (tool: unknown, args: unknown, name: string) => Promise<unknown>
  }
  const internals = server as unknown as Internals
  const validate = internals.validateToolInput
  if (typeof internals.handleAutomaticTaskPolling !== 'function' || typeof validate !== 'function') {
    throw new Error(
      'the MCP SDK no longer has handleAutomaticTaskPolling/validateToolInput: check the tasks support',
    )
  }
  internals.handleAutomaticTaskPolling = async (
    tool: unknown,
    request: { params: { name: string; arguments?: unknown } },
    extra: Extra,
  ): Promise<CallToolResult> => {
    const body = bodies[request.params.name]
    if (!body) throw new Error(`no direct body for task tool ${request.params.name}`)
    const args = await validate.call(server, tool, request.params.arguments, request.params.name)
    return body((args ?? {}) as Record<string, unknown>, extra)
  }
}

/** Starts `body` in the background for a task-augmented call; the task ends with its result. */
export async function startTask(
  store: CancellableTaskStore,
  extra: CreateTaskRequestHandlerExtra,
  body: (signal: AbortSignal, status: (message: string) => void) => Promise<CallToolResult>,
  onCancel: () => string,
): Promise<{ task: Task }> {
  const requested = extra.taskRequestedTtl
  const task = await extra.taskStore.createTask({ ttl: requested ?? 3_600_000, pollInterval: 1000 })
  const signal = store.signalFor(task.taskId, onCancel)
  const status = (message: string): void => {
    extra.taskStore.updateTaskStatus(task.taskId, 'working', message).catch(() => undefined)
  }
  void body(signal, status)
    .then((result) =>
      extra.taskStore.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result),
    )
    .catch(() => undefined) // a cancelled task is terminal already: its late result is dropped
  return { task }
}
