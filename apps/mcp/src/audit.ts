import { AsyncLocalStorage } from 'node:async_hooks'
import type { Transport } from '@modelcontextprotocol/server'
import type { JSONRPCMessage } from '@modelcontextprotocol/server'
import type { AuditChange, AuditEntry, AuditGateway, AuditLog } from './audit-log.js'
import { interceptTransport } from './intercept.js'

export { type AuditEntry, type AuditLog, type AuditLogOptions, createAuditLog } from './audit-log.js'

/** What a tool learned while it ran that its result may not show (the job an allow-list refused). */
interface CallFacts {
  job?: { id: string; name: string | null }
  gateway?: AuditGateway
  code?: string
  change?: AuditChange
}

const facts = new AsyncLocalStorage<CallFacts>()

/** Records the job the current tool call resolved (called by the policy before it allows or refuses a run). */
export function noteAuditJob(job: { id: string; name?: string | undefined }): void {
  const store = facts.getStore()
  if (store) store.job = { id: job.id, name: job.name ?? null }
}

/** Records which gateway the current tool call went to (its context name and URL). */
export function noteAuditGateway(gateway: AuditGateway): void {
  const store = facts.getStore()
  if (store) store.gateway = gateway
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
    // The SDK refuses an unknown tool and invalid arguments with -32602; its message says which.
    const named = codeFromText(message.error.message)
    const code =
      named !== 'INTERNAL' ? named : (JSONRPC_CODES[message.error.code] ?? `JSONRPC_${message.error.code}`)
    return { ...base, outcome: REFUSAL_CODES.has(code) ? 'refused' : 'error', code }
  }
  const result = ('result' in message ? message.result : {}) as {
    isError?: boolean
    content?: { type: string; text?: string }[]
    structuredContent?: { job?: { id?: unknown; name?: unknown }; runId?: unknown }
    task?: { taskId?: unknown }
    resultType?: unknown
  }
  const sc = result.structuredContent
  const job =
    typeof sc?.job?.id === 'string'
      ? { id: sc.job.id, name: typeof sc.job.name === 'string' ? sc.job.name : null }
      : base.job
  const runId = typeof sc?.runId === 'string' ? sc.runId : null
  const taskId = typeof result.task?.taskId === 'string' ? { taskId: result.task.taskId } : {}
  // A --confirm question (2026-07-28 input-required result): nothing ran yet; the retry gets its own line.
  if (result.resultType === 'input_required')
    return { outcome: 'refused', code: 'INPUT_REQUIRED', job, runId, ...taskId }
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
  /** clientInfo of a 2026-07-28 request (its `_meta` envelope), else the session's. */
  client?: AuditEntry['client']
  traceparent?: string
  /** The OAuth caller (http.ts passes the verified token as the message's authInfo). */
  subject?: string
  clientId?: string
}

/** The subject and client id of an OAuth-verified message (oauth-gate.ts puts the subject in `extra`). */
function callerOf(extra: { authInfo?: { clientId: string; extra?: Record<string, unknown> } } | undefined) {
  const subject = extra?.authInfo?.extra?.subject
  if (typeof subject !== 'string') return {}
  return { subject: subject.slice(0, 256), clientId: String(extra?.authInfo?.clientId).slice(0, 256) }
}

const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo'
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/

/** A client's name and version, bounded. */
function clientOf(info: unknown): AuditEntry['client'] {
  const i = info as { name?: unknown; version?: unknown } | undefined
  return { name: String(i?.name ?? '').slice(0, 128), version: String(i?.version ?? '').slice(0, 64) }
}

/** What a request's `_meta` adds to its audit line: the 2026-07-28 clientInfo, a well-formed traceparent. */
function fromMeta(meta: unknown): Pick<Pending, 'client' | 'traceparent'> {
  const m = (meta ?? {}) as Record<string, unknown>
  const out: Pick<Pending, 'client' | 'traceparent'> = {}
  if (m[CLIENT_INFO] && typeof m[CLIENT_INFO] === 'object') out.client = clientOf(m[CLIENT_INFO])
  if (typeof m.traceparent === 'string' && TRACEPARENT.test(m.traceparent)) out.traceparent = m.traceparent
  return out
}

/** Codes of the JSON-RPC errors the SDK answers a 2026-07-28 request with before any tool runs. */
const REFUSED_REQUEST: Record<number, string> = {
  [-32020]: 'HEADER_MISMATCH',
  [-32021]: 'MISSING_CLIENT_CAPABILITY',
  [-32022]: 'UNSUPPORTED_PROTOCOL_VERSION',
  [-32602]: 'INVALID_PARAMS',
  [-32600]: 'INVALID_REQUEST',
}

/** The audit line of an HTTP request the SDK refused (wrong Mcp-Method/Mcp-Name header, no `_meta` envelope …). */
export function auditRefusal(
  log: AuditLog,
  r: {
    method: string
    name: string | undefined
    arguments: unknown
    errorCode: number | undefined
    status: number
    started: number
  },
): void {
  const code =
    r.errorCode === undefined
      ? `HTTP_${r.status}`
      : (REFUSED_REQUEST[r.errorCode] ?? `JSONRPC_${r.errorCode}`)
  log.record({
    time: new Date(r.started).toISOString(),
    tool: (r.method === 'tools/call' && r.name ? r.name : r.method || '(none)').slice(0, 128),
    arguments: redactArguments(r.arguments ?? {}),
    job: null,
    client: null,
    transport: 'http',
    outcome: 'refused',
    code,
    runId: null,
    durationMs: Date.now() - r.started,
  })
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
      client: call.client ?? this.client,
      transport: this.options.transport,
      outcome: verdict.outcome,
      code: verdict.code,
      runId: verdict.runId,
      ...(call.facts.gateway ? { gateway: call.facts.gateway } : {}),
      ...(verdict.taskId ? { taskId: verdict.taskId } : {}),
      ...(verdict.change ? { change: verdict.change } : {}),
      ...(call.traceparent ? { traceparent: call.traceparent } : {}),
      ...(call.subject !== undefined ? { subject: call.subject, clientId: call.clientId } : {}),
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
  // Requests the server sends the client during a call (the SDK asking the user for --confirm): their answers
  // re-enter the call, so they are handled in the call's context and the facts it notes still land on its line.
  const asked = new Map<string | number, CallFacts>()
  return interceptTransport(inner, {
    receive(message, extra, deliver) {
      const m = message as { id?: string | number; method?: string; params?: Record<string, unknown> }
      const context = m.method === undefined && m.id !== undefined ? asked.get(m.id) : undefined
      if (context && m.id !== undefined) {
        asked.delete(m.id)
        return facts.run(context, () => deliver(message, extra))
      }
      if (m.method === 'initialize') calls.client = clientOf(m.params?.clientInfo)
      if (m.method === 'notifications/cancelled') {
        const id = m.params?.requestId as string | number | undefined
        if (id !== undefined) calls.lose(id, 'CANCELLED')
      }
      if (m.method !== 'tools/call' || m.id === undefined) return deliver(message, extra)
      const call: Pending = {
        started: Date.now(),
        time: new Date().toISOString(),
        tool: String(m.params?.name ?? '').slice(0, 128),
        arguments: redactArguments(m.params?.arguments ?? {}),
        facts: {},
        ...fromMeta(m.params?._meta),
        ...callerOf(extra),
      }
      pending.set(m.id, call)
      facts.run(call.facts, () => deliver(message, extra))
    },
    send(message, opts, forward) {
      const id = (message as { id?: string | number }).id
      const during = facts.getStore()
      if (id !== undefined && 'method' in message && during) asked.set(id, during)
      const call = id === undefined || 'method' in message ? undefined : pending.get(id)
      if (call && id !== undefined) calls.finish(id, judgeResponse(message, call.facts))
      return forward(message, opts)
    },
    closed() {
      for (const id of [...pending.keys()]) calls.lose(id, 'SESSION_CLOSED')
    },
  })
}
