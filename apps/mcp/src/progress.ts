import type { RunProgress } from '@clawlink/client'
import { escapeControlChars } from '@clawlink/client'
import type { ServerContext } from '@modelcontextprotocol/server'

/** What a progress sink needs of a request's context: its `_meta` (the progressToken) and a way to notify. */
type ProgressContext = { mcpReq: Pick<ServerContext['mcpReq'], '_meta' | 'notify'> }

/** Where a progress line goes: a `notifications/progress`, a task's status message, or both. */
export type ProgressSink = (progress: number, message: string) => void | Promise<void>

/** Timings of {@link runNotifier}. */
export type NotifierOptions = {
  /** A line at least this often while nothing else was sent. @default 5000 */
  tickMs?: number
  /** At most one "characters written" line this often. @default 1000 */
  textEveryMs?: number
  now?: () => number
}

/** The progress of one `run_cron_job` wait, as lines for the caller. */
export interface RunNotifier {
  /** Feed a step of the run (runJob's `onProgress`). */
  report: (event: RunProgress) => void
  /** The last line, sent before the result; nothing is sent after it. */
  done: (message: string) => Promise<void>
  /** Stops the timers without a last line (idempotent). */
  stop: () => void
}

const MAX_MESSAGE = 300

/** One escaped line, bounded: gateway text can neither start a line of its own nor flood the client. */
function oneLine(text: string): string {
  const line = escapeControlChars(text, { singleLine: true })
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line
}

/** `45 s`, `1m 20s`, `1h 02m`. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

const count = (n: number): string => n.toLocaleString('en-US')

function retryText(event: Extract<RunProgress, { kind: 'retrying' }>): string {
  const of =
    event.attempt === undefined ? '' : ` ${event.attempt}${event.max === undefined ? '' : `/${event.max}`}`
  const delay = event.delayMs === undefined ? '' : ` in ${Math.round(event.delayMs / 1000)} s`
  return `retrying${of}${delay}${event.reason ? `: ${event.reason}` : ''}`
}

/** The line for a step, or undefined for steps that only move the phase (or say nothing new). */
function describe(event: RunProgress): string | undefined {
  const name = 'job' in event ? (event.job.name ?? event.job.id) : undefined
  switch (event.kind) {
    case 'resolved':
      return `resolved ${name}`
    case 'enqueued':
      return event.runId ? `run ${event.runId} of ${name} enqueued` : `run of ${name} enqueued`
    case 'started':
      return `run of ${name} started`
    case 'connection-lost':
      return 'gateway connection lost; reconnecting to follow the run'
    case 'reconnected':
      return event.missed ? 'reconnected; events of the run may have been missed' : 'reconnected'
    case 'model': {
      const model = [event.provider, event.model].filter(Boolean).join('/')
      return model ? `calling ${model}` : 'calling the model'
    }
    case 'tool':
      return event.phase === 'start'
        ? `tool ${event.name}`
        : `tool ${event.name} ${event.ok === false ? 'failed' : 'done'}`
    case 'retrying':
      return retryText(event)
    case 'text':
      return `${count(event.totalChars)} characters written`
    case 'usage':
      return event.total === undefined && event.output === undefined
        ? undefined
        : `tokens: ${[event.input === undefined ? '' : `${count(event.input)} in`, event.output === undefined ? '' : `${count(event.output)} out`, event.total === undefined ? '' : `${count(event.total)} total`].filter(Boolean).join(', ')}`
    case 'finishing':
      return 'finishing'
    default:
      return undefined // polling, linked, heartbeat: the timer's line says the wait is alive
  }
}

/**
 * Progress lines for one wait: one per meaningful step of the run (the agent's text at most once a second), and,
 * from its own timer, "running 1m 20s, calling mock/mock-1" whenever nothing was sent for `tickMs` — so a client
 * that resets its request timeout on progress never times out while the run is alive, whatever the gateway
 * sends. The counter only grows; there is no total. Every line is escaped to one line. Timers end with `done` or
 * `stop`; without a sink nothing runs at all.
 */
export function runNotifier(sink: ProgressSink | undefined, options: NotifierOptions = {}): RunNotifier {
  const tickMs = options.tickMs ?? 5000
  const textEveryMs = options.textEveryMs ?? 1000
  const now = options.now ?? Date.now
  const startedAt = now()
  let counter = 0
  let ended = sink === undefined
  let phase = 'starting'
  let running = false
  let lastTextAt = Number.NEGATIVE_INFINITY
  let pendingText: string | undefined
  let tick: ReturnType<typeof setTimeout> | undefined
  let textTimer: ReturnType<typeof setTimeout> | undefined

  const clear = (): void => {
    if (tick) clearTimeout(tick)
    if (textTimer) clearTimeout(textTimer)
    tick = textTimer = undefined
  }
  const send = (message: string, last = false): Promise<void> => {
    if (ended || !sink) return Promise.resolve()
    counter += 1
    if (tick) clearTimeout(tick)
    tick = last ? undefined : setTimeout(onTick, tickMs)
    try {
      return Promise.resolve(sink(counter, oneLine(message))).catch(() => undefined)
    } catch {
      return Promise.resolve() // a client that went away must not fail the run
    }
  }
  const onTick = (): void => {
    void send(`${running ? 'running' : 'waiting'} ${elapsedText(now() - startedAt)}, ${phase}`)
  }
  const flushText = (): void => {
    textTimer = undefined
    if (pendingText === undefined) return
    const line = pendingText
    pendingText = undefined
    lastTextAt = now()
    void send(line)
  }
  if (!ended) tick = setTimeout(onTick, tickMs)

  return {
    report(event) {
      if (ended) return
      if (event.kind === 'started') running = true
      const line = describe(event)
      if (line === undefined) return
      if (event.kind === 'tool' && event.phase === 'end') phase = 'calling the model'
      else if (event.kind !== 'usage') phase = line
      if (event.kind !== 'text' && event.kind !== 'usage') {
        void send(line)
        return
      }
      // The agent's text (and its token counts) arrive in many small pieces: at most one line a second.
      pendingText = line
      const wait = lastTextAt + textEveryMs - now()
      if (wait <= 0) flushText()
      else textTimer ??= setTimeout(flushText, wait)
    },
    async done(message) {
      if (ended) return
      clear()
      const last = send(message, true)
      ended = true
      // Awaited so the line goes out before the result; a transport that never settles holds the result 1 s at most.
      let bound: ReturnType<typeof setTimeout> | undefined
      await Promise.race([last, new Promise<void>((resolve) => (bound = setTimeout(resolve, 1000)))])
      clearTimeout(bound)
    },
    stop() {
      ended = true
      clear()
    },
  }
}

/** The sink of a plain call: `notifications/progress` for the caller's progressToken, if it gave one. */
export function notificationSink(ctx: ProgressContext): ProgressSink | undefined {
  const token = ctx.mcpReq._meta?.progressToken
  if (token === undefined) return undefined
  return (progress, message) =>
    ctx.mcpReq.notify({
      method: 'notifications/progress',
      params: { progressToken: token, progress, message },
    })
}

/** The notifier of a plain `tools/call`. */
export function progressNotifier(ctx: ProgressContext, options?: NotifierOptions): RunNotifier {
  return runNotifier(notificationSink(ctx), options)
}
