import { isRecord } from './records.js'
/**
 * Pure parsers of the events that describe a running agent turn (docs/protocol.md §7.7): `agent`, `task` and
 * `chat`. Every field is checked; a shape we do not know gives undefined; nothing here throws. Strings are
 * bounded so a hostile gateway cannot make a caller hold megabytes per event; ids longer than any real one are
 * refused rather than cut (a cut id could match another run).
 */

/** Longest id or session key we accept (real ones are under 200 characters). */
export const MAX_STREAM_ID_CHARS = 512
/** Longest text delta we keep; the rest is counted in `chars` and dropped. */
export const MAX_STREAM_DELTA_CHARS = 4096
/** Longest name, reason or message we keep (cut with an ellipsis). */
export const MAX_STREAM_LABEL_CHARS = 300

function id(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_STREAM_ID_CHARS
    ? value
    : undefined
}

/** A label cut to `max` characters (an ellipsis marks the cut); undefined when not a non-empty string. */
function label(value: unknown, max = MAX_STREAM_LABEL_CHARS): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined
  return value.length > max ? `${value.slice(0, max - 1)}…` : value
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

function int(value: unknown): number | undefined {
  const n = count(value)
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined
}

/** What one `agent` event says, by stream (docs/protocol.md §7.7). */
export type AgentStreamItem =
  /** lifecycle `start`: the agent turn began. */
  | { kind: 'start' }
  /** lifecycle `model`: a model call begins (9.6 also sends one with neither field after `finishing`). */
  | { kind: 'model'; provider: string | undefined; model: string | undefined }
  /** lifecycle `finishing`: the model stopped; the run is being wrapped up. */
  | { kind: 'finishing' }
  /** lifecycle `end`. */
  | { kind: 'end'; aborted: boolean | undefined; stopReason: string | undefined }
  /** lifecycle `error`: this attempt failed (3.13/5.7 may start another: a new `start` follows). */
  | { kind: 'error'; message: string | undefined }
  /** The `error` stream: the gateway's own notices about the stream (3.13: `seq gap` between retries). */
  | { kind: 'notice'; message: string | undefined }
  /** assistant text: `delta` is the new part, cut to MAX_STREAM_DELTA_CHARS; `chars` its full length. */
  | { kind: 'text'; delta: string; chars: number; truncated: boolean }
  /** item stream, tool items: a tool call began or ended. */
  | { kind: 'tool'; phase: 'start' | 'end'; name: string; ok: boolean | undefined }
  /** run_status `retrying`: retry n of max (as the gateway's own notice counts) after delayMs. */
  | {
      kind: 'retrying'
      attempt: number | undefined
      max: number | undefined
      delayMs: number | undefined
      reason: string | undefined
      message: string | undefined
    }
  | { kind: 'usage'; input: number | undefined; output: number | undefined; total: number | undefined }

/** An `agent` event: whose run and session it is, and what it says. */
export type AgentStreamEvent = {
  /** The agent run's id (not the cron runId). */
  runId: string
  sessionKey: string | undefined
  seq: number | undefined
  ts: number | undefined
  stream: string
  /** Undefined for streams and phases we do not know (they still prove the run is alive). */
  item: AgentStreamItem | undefined
}

function lifecycle(data: Record<string, unknown>): AgentStreamItem | undefined {
  switch (data.phase) {
    case 'start':
      return { kind: 'start' }
    case 'model':
      return { kind: 'model', provider: label(data.provider), model: label(data.model) }
    case 'finishing':
      return { kind: 'finishing' }
    case 'end':
      return {
        kind: 'end',
        aborted: typeof data.aborted === 'boolean' ? data.aborted : undefined,
        stopReason: label(data.stopReason),
      }
    case 'error':
      return { kind: 'error', message: label(data.error) ?? label(data.message) }
    default:
      return undefined
  }
}

function text(data: Record<string, unknown>): AgentStreamItem | undefined {
  const delta = data.delta
  if (typeof delta !== 'string' || delta.length === 0) return undefined
  const truncated = delta.length > MAX_STREAM_DELTA_CHARS
  return {
    kind: 'text',
    delta: truncated ? delta.slice(0, MAX_STREAM_DELTA_CHARS) : delta,
    chars: delta.length,
    truncated,
  }
}

function item(data: Record<string, unknown>): AgentStreamItem | undefined {
  if (data.kind !== 'tool') return undefined
  const phase = data.phase === 'start' ? 'start' : data.phase === 'end' ? 'end' : undefined
  const name = label(data.name, 120) ?? label(data.title, 120)
  if (!phase || !name) return undefined
  const status = typeof data.status === 'string' ? data.status : undefined
  const ok =
    phase === 'start'
      ? undefined
      : typeof data.isError === 'boolean'
        ? !data.isError
        : status === 'completed' || status === 'ok'
          ? true
          : status === 'failed' || status === 'error'
            ? false
            : undefined
  return { kind: 'tool', phase, name, ok }
}

/** One less than `value` when it is a positive integer (9.6 sends attempts counting the first try too). */
function minusOne(value: unknown): number | undefined {
  const n = int(value)
  return n !== undefined && n > 0 ? n - 1 : undefined
}

function retrying(data: Record<string, unknown>): AgentStreamItem | undefined {
  if (data.phase !== 'retrying') return undefined
  // Counted as the gateway's own notice counts ("Retrying in 30s (7/8)"): retry n of max retries.
  return {
    kind: 'retrying',
    attempt: int(data.retryAttempt) ?? minusOne(data.attempt),
    max: int(data.maxRetries) ?? minusOne(data.maxAttempts),
    delayMs: count(data.delayMs),
    reason: label(data.reason),
    message: label(data.message),
  }
}

function usage(data: Record<string, unknown>): AgentStreamItem | undefined {
  const input = int(data.inputTokens) ?? int(data.input_tokens) ?? int(data.input)
  const output = int(data.outputTokens) ?? int(data.output_tokens) ?? int(data.output)
  const total = int(data.totalTokens) ?? int(data.total_tokens) ?? int(data.total)
  if (input === undefined && output === undefined && total === undefined) return undefined
  return { kind: 'usage', input, output, total }
}

const STREAMS: Record<string, (data: Record<string, unknown>) => AgentStreamItem | undefined> = {
  lifecycle,
  assistant: text,
  item,
  run_status: retrying,
  usage,
  error: (data) => ({
    kind: 'notice',
    message: label(data.error) ?? label(data.message) ?? label(data.reason),
  }),
}

/** Parses an `agent` event payload; undefined without a runId or stream. Never throws. */
export function parseAgentEvent(payload: unknown): AgentStreamEvent | undefined {
  if (!isRecord(payload)) return undefined
  const runId = id(payload.runId)
  const stream = typeof payload.stream === 'string' ? label(payload.stream, 64) : undefined
  if (!runId || !stream) return undefined
  const data = isRecord(payload.data) ? payload.data : undefined
  const parse = Object.hasOwn(STREAMS, stream) ? STREAMS[stream] : undefined
  return {
    runId,
    sessionKey: id(payload.sessionKey),
    seq: int(payload.seq),
    ts: int(payload.ts),
    stream,
    item: data && parse ? parse(data) : undefined,
  }
}

/** A 9.x `task` event about a cron run (`kind: automation_run`, docs/protocol.md §7.7). */
export type AutomationTaskEvent = {
  /** `cron:<jobId>:<ms>:<uuid>:<cron runId>`: ends with the runId `cron.run` answered. */
  runId: string
  /** The job id (`sourceId`). */
  jobId: string | undefined
  /** The agent session of the run, once the gateway made it. */
  childSessionKey: string | undefined
  /** `running`, `succeeded`, `failed`, … */
  status: string | undefined
  progressSummary: string | undefined
  terminalSummary: string | undefined
}

/** Parses a `task` event; undefined unless it is an automation run with a runId. Never throws. */
export function parseTaskEvent(payload: unknown): AutomationTaskEvent | undefined {
  if (!isRecord(payload)) return undefined
  const task = isRecord(payload.task) ? payload.task : payload
  if (task.kind !== 'automation_run') return undefined
  const runId = id(task.runId)
  if (!runId) return undefined
  return {
    runId,
    jobId: id(task.sourceId),
    childSessionKey: id(task.childSessionKey),
    status: label(task.status, 64),
    progressSummary: label(task.progressSummary),
    terminalSummary: label(task.terminalSummary),
  }
}

/** Whether a task's runId names the cron run `cronRunId` (it ends with `:<cronRunId>`, or is it). */
export function taskNamesCronRun(task: { runId: string }, cronRunId: string): boolean {
  return task.runId === cronRunId || task.runId.endsWith(`:${cronRunId}`)
}

/** A `chat` event: a session's reply as it is written (`delta`), its end (`final`) or failure (`error`). */
export type ChatStreamEvent = {
  runId: string | undefined
  sessionKey: string | undefined
  seq: number | undefined
  state: 'delta' | 'final' | 'error' | 'aborted'
  /** `delta`: the new text, cut to MAX_STREAM_DELTA_CHARS. */
  delta: string | undefined
  /** `error`: the gateway's message. */
  error: string | undefined
}

/** Parses a `chat` event; undefined for unknown states or without a session. Never throws. */
export function parseChatEvent(payload: unknown): ChatStreamEvent | undefined {
  if (!isRecord(payload)) return undefined
  const state = payload.state
  if (state !== 'delta' && state !== 'final' && state !== 'error' && state !== 'aborted') return undefined
  const sessionKey = id(payload.sessionKey)
  if (!sessionKey) return undefined
  const delta =
    typeof payload.deltaText === 'string' ? payload.deltaText.slice(0, MAX_STREAM_DELTA_CHARS) : undefined
  return {
    runId: id(payload.runId),
    sessionKey,
    seq: int(payload.seq),
    state,
    delta,
    error: label(payload.errorMessage) ?? label(payload.error),
  }
}

/**
 * The job a cron agent session belongs to (docs/protocol.md §7.7): `agent:<agent>:cron:<jobId>`, with
 * `:run:<sessionId>` on 9.x and in finished events, and 3.13's `cron:<jobId>:run:<sessionId>` after a retry;
 * undefined for any other session.
 */
export function cronJobOfSession(sessionKey: string): string | undefined {
  const parts = sessionKey.split(':')
  const at = parts[0] === 'cron' ? 0 : parts[0] === 'agent' && parts[2] === 'cron' ? 2 : -1
  const jobId = at < 0 ? undefined : parts[at + 1]
  if (!jobId) return undefined
  const rest = parts.length - at - 2
  return rest === 0 || (rest === 2 && parts[at + 2] === 'run' && parts[at + 3]) ? jobId : undefined
}
