import { AsyncLocalStorage } from 'node:async_hooks'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { AuditChange, AuditEntry, AuditLog } from './audit-log.js'

export { type AuditEntry, type AuditLog, type AuditLogOptions, createAuditLog } from './audit-log.js'

/** What a tool learned while it ran that its result may not show (the job an allow-list refused). */
interface CallFacts {
  job?: { id: string; name: string | null }
  code?: string
  change?: AuditChange
}

const facts = new AsyncLocalStorage<CallFacts>()

/** Records the job the current tool call resolved (called by the policy before it allows or refuses a run). */
export function noteAuditJob(job: { id: string; name?: string | undefined }): void {
  const store = facts.getStore()
  if (store) store.job = { id: job.id, name: job.name ?? null }
}

/**
 * Records what a write tool changes (or would have, when it is refused): the action and the changed fields'
 * paths — never their values, which may hold what a secret-named key would not reveal.
 */
export function noteAuditChange(change: AuditChange): void {
  const store = facts.getStore()
  if (store) store.change = { action: change.action, fields: change.fields.slice(0, 50) }
}

/** Records the exact error code of the current tool call's isError result (no need to parse its text). */
export function noteAuditCode(code: string): void {
  const store = facts.getStore()
  if (store) store.code = code
}

/** Codes that mean the server's policy (or the user) refused the call, as opposed to a failure. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'NOT_ALLOWED',
  'DECLINED',
  'CONFIRMATION_UNAVAILABLE',
  'READ_ONLY',
  'UNKNOWN_TOOL',
])

const SECRET_KEY = /token|password|secret|authorization|cookie|api[-_]?key/i
const MAX_STRING = 256

/** The arguments as given, with secret-named keys redacted and long strings cut so a line stays small. */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[${value.length} chars]` : value
  if (value === null || typeof value !== 'object') return value
  if (depth >= 4) return '[nested]'
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redactArguments(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value).slice(0, 50))
    out[key.slice(0, MAX_STRING)] = SECRET_KEY.test(key) ? '[redacted]' : redactArguments(v, depth + 1)
  return out
}

/** The `[CODE]` our error texts carry (present.ts errorText), or what the SDK's own refusals mean. */
export function codeFromText(text: string): string {
  const tail = /\[([A-Z][A-Z0-9_]*)\]\s*$/.exec(text)
  if (tail?.[1]) return tail[1]
  const remedy = / \[([A-Z][A-Z0-9_]*)\] What to do:/.exec(text)
  if (remedy?.[1]) return remedy[1]
  if (/Tool \S+ (not found|disabled)/.test(text)) return 'UNKNOWN_TOOL'
  if (/Input validation error/.test(text)) return 'INVALID_ARGUMENTS'
  return 'INTERNAL'
}

const JSONRPC_CODES: Record<number, string> = {
  [-32600]: 'INVALID_REQUEST',
  [-32601]: 'METHOD_NOT_FOUND',
  [-32602]: 'INVALID_PARAMS',
  [-32603]: 'INTERNAL_ERROR',
}

type Verdict = Pick<AuditEntry, 'outcome' | 'code' | 'job' | 'runId' | 'taskId' | 'change'>

/** The audit facts of a tools/call response (a CallToolResult, a CreateTaskResult or a JSON-RPC error). */
export function judgeResponse(message: JSONRPCMessage, noted: CallFacts): Verdict {
  const base = { job: noted.job ?? null, runId: null, ...(noted.change ? { change: noted.change } : {}) }
  if ('error' in message) {
    const code = JSONRPC_CODES[message.error.code] ?? `JSONRPC_${message.error.code}`
    return { ...base, outcome: 'error', code }
  }
  const result = ('result' in message ? message.result : {}) as {
    isError?: boolean
    content?: { type: string; text?: string }[]
    structuredContent?: { job?: { id?: unknown; name?: unknown }; runId?: unknown }
    task?: { taskId?: unknown }
  }
  const sc = result.structuredContent
  const job =
    typeof sc?.job?.id === 'string'
      ? { id: sc.job.id, name: typeof sc.job.name === 'string' ? sc.job.name : null }
      : base.job
  const runId = typeof sc?.runId === 'string' ? sc.runId : null
  const taskId = typeof result.task?.taskId === 'string' ? { taskId: result.task.taskId } : {}
  const change = noted.change ? { change: noted.change } : {}
  if (result.isError !== true) return { outcome: 'ok', code: null, job, runId, ...taskId, ...change }
  const text = (result.content ?? []).map((c) => c.text ?? '').join('\n')
  const code = noted.code ?? codeFromText(text)
  const outcome = REFUSAL_CODES.has(code) ? 'refused' : 'error'
  return { outcome, code, job, runId, ...taskId, ...change }
}

interface Pending {
  started: number
  time: string
  tool: string
  arguments: unknown
  facts: CallFacts
}

/** Options of {@link auditTransport}. */
export interface AuditTransportOptions {
  log: AuditLog
  transport: 'stdio' | 'http'
}

/** The tools/call requests of one session still waiting for their answer, and who the client is. */
class OpenCalls {
  readonly pending = new Map<string | number, Pending>()
  client: AuditEntry['client'] = null
  constructor(private readonly options: AuditTransportOptions) {}

  /** Writes the call's one audit line; later verdicts for the same id are ignored. */
  finish(id: string | number, verdict: Verdict): void {
    const call = this.pending.get(id)
    if (!call) return
    this.pending.delete(id)
    this.options.log.record({
      time: call.time,
      tool: call.tool,
      arguments: call.arguments,
      job: verdict.job,
      client: this.client,
      transport: this.options.transport,
      outcome: verdict.outcome,
      code: verdict.code,
      runId: verdict.runId,
      ...(verdict.taskId ? { taskId: verdict.taskId } : {}),
      ...(verdict.change ? { change: verdict.change } : {}),
      durationMs: Date.now() - call.started,
    })
  }

  /** Ends a call that got no answer (cancelled, or its session closed). */
  lose(id: string | number, code: string): void {
    const call = this.pending.get(id)
    if (call) this.finish(id, { outcome: 'error', code, job: call.facts.job ?? null, runId: null })
  }
}

/**
 * Wraps the transport an McpServer is connected to, so every tools/call of the session — whatever tool, and
 * also unknown tools, invalid arguments, cancelled and unanswered calls — writes exactly one audit line. The
 * client's name comes from its `initialize`; each call runs in an async context where tools note facts.
 */
export function auditTransport<T extends Transport>(inner: T, options: AuditTransportOptions): T {
  const calls = new OpenCalls(options)
  const { pending } = calls
  let onmessage = inner.onmessage
  let onclose = inner.onclose

  const observe: NonNullable<Transport['onmessage']> = (message, extra) => {
    const m = message as { id?: string | number; method?: string; params?: Record<string, unknown> }
    if (m.method === 'initialize') {
      const info = m.params?.clientInfo as { name?: unknown; version?: unknown } | undefined
      calls.client = {
        name: String(info?.name ?? '').slice(0, 128),
        version: String(info?.version ?? '').slice(0, 64),
      }
    }
    if (m.method === 'notifications/cancelled') {
      const id = m.params?.requestId as string | number | undefined
      if (id !== undefined) calls.lose(id, 'CANCELLED')
    }
    if (m.method !== 'tools/call' || m.id === undefined) return onmessage?.(message, extra)
    const call: Pending = {
      started: Date.now(),
      time: new Date().toISOString(),
      tool: String(m.params?.name ?? '').slice(0, 128),
      arguments: redactArguments(m.params?.arguments ?? {}),
      facts: {},
    }
    pending.set(m.id, call)
    facts.run(call.facts, () => onmessage?.(message, extra))
  }

  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'send')
        return (message: JSONRPCMessage, opts?: Parameters<Transport['send']>[1]) => {
          const id = (message as { id?: string | number }).id
          const call = id === undefined || 'method' in message ? undefined : pending.get(id)
          if (call && id !== undefined) calls.finish(id, judgeResponse(message, call.facts))
          return target.send(message, opts)
        }
      if (prop === 'onmessage') return onmessage
      if (prop === 'onclose') return onclose
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
    set(target, prop, value) {
      if (prop === 'onmessage') {
        onmessage = value
        target.onmessage = value ? observe : undefined
      } else if (prop === 'onclose') {
        onclose = value
        target.onclose = () => {
          for (const id of [...pending.keys()]) calls.lose(id, 'SESSION_CLOSED')
          onclose?.()
        }
      } else Reflect.set(target, prop, value, target)
      return true
    },
  })
}
