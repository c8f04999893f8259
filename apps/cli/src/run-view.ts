import type { RunPhase, RunProgress } from '@clawlink/client'
import { oneJsonLine, oneLine, sanitizeForTerminal } from './output.js'

// What the CLI shows of a run while it waits: pure functions of the RunProgress events and a clock, so the
// status line and the --follow lines are tested with synthetic events (test/run-view.test.ts).

/** Where a waited-for run stands, as the events so far say. */
export type RunView = {
  startedAtMs: number
  phase: RunPhase | 'sending'
  model: string | undefined
  tool: string | undefined
  retry: string | undefined
  chars: number
  connection: 'ok' | 'lost'
}

export function newRunView(nowMs: number): RunView {
  return {
    startedAtMs: nowMs,
    phase: 'sending',
    model: undefined,
    tool: undefined,
    retry: undefined,
    chars: 0,
    connection: 'ok',
  }
}

/** The view after one more event (a new object; the old one is left as it was). */
export function applyProgress(view: RunView, event: RunProgress): RunView {
  const next = { ...view }
  switch (event.kind) {
    case 'enqueued':
      next.phase = 'queued'
      break
    case 'started':
    case 'linked':
      if (next.phase === 'sending' || next.phase === 'queued') next.phase = 'started'
      break
    case 'connection-lost':
      next.connection = 'lost'
      break
    case 'reconnected':
      next.connection = 'ok'
      break
    case 'model':
      Object.assign(next, { phase: 'model', model: modelName(event), retry: undefined })
      break
    case 'tool':
      next.phase = event.phase === 'start' ? 'tool' : 'model'
      next.tool = event.phase === 'start' ? event.name : undefined
      break
    case 'retrying':
      Object.assign(next, { phase: 'retrying', retry: retryText(event) })
      break
    case 'text':
      Object.assign(next, { phase: 'writing', chars: event.totalChars, retry: undefined })
      break
    case 'finishing':
      Object.assign(next, { phase: 'finishing', tool: undefined, retry: undefined })
      break
    case 'heartbeat':
      if (next.phase === 'sending' || next.phase === 'queued') next.phase = event.phase
      break
  }
  return next
}

function modelName(event: { provider: string | undefined; model: string | undefined }): string | undefined {
  if (event.provider && event.model) return `${event.provider}/${event.model}`
  return event.model ?? event.provider
}

/** `retrying 3/8 in 30 s: <reason>` (the parts the gateway gave). */
export function retryText(event: Extract<RunProgress, { kind: 'retrying' }>): string {
  const count = event.attempt === undefined ? '' : ` ${event.attempt}${event.max ? `/${event.max}` : ''}`
  const delay = event.delayMs === undefined ? '' : ` in ${Math.round(event.delayMs / 1000)} s`
  const reason = event.reason ? `: ${event.reason}` : ''
  return `retrying${count}${delay}${reason}`
}

/** `42 s`, `3m05s`, `1h02m`. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

const PHASE_TEXT: Record<RunView['phase'], string> = {
  sending: 'starting',
  queued: 'queued',
  started: 'running',
  model: 'calling the model',
  tool: 'tool',
  retrying: 'retrying',
  writing: 'writing',
  finishing: 'finishing',
}

/** The status line (one line, gateway text escaped, at most `width` characters). */
export function statusLine(view: RunView, nowMs: number, width = 100): string {
  const parts = [`⏱ ${elapsedText(nowMs - view.startedAtMs)}`]
  if (view.phase === 'tool' && view.tool) parts.push(`tool ${view.tool}`)
  else if (view.phase === 'retrying' && view.retry) parts.push(view.retry)
  else if (view.phase === 'model' && view.model) parts.push(`calling ${view.model}`)
  else parts.push(PHASE_TEXT[view.phase])
  if (view.chars > 0) parts.push(`${view.chars.toLocaleString('en-US')} chars written`)
  if (view.connection === 'lost') parts.push('connection lost, reconnecting')
  const line = oneLine(parts.join(' · '))
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line
}

/** `--follow` on stderr: one short line for a tool call, a retry, a lost or recovered connection; else nothing. */
export function followNote(event: RunProgress): string | undefined {
  switch (event.kind) {
    case 'tool':
      return event.phase === 'start'
        ? `→ tool ${oneLine(event.name)}`
        : `← tool ${oneLine(event.name)}${event.ok === false ? ' failed' : ''}`
    case 'retrying':
      return `↻ ${oneLine(retryText(event))}`
    case 'model': {
      const name = modelName(event)
      return name ? `… calling ${oneLine(name)}` : undefined
    }
    case 'connection-lost':
      return `… connection lost (${oneLine(event.error.message)}); reconnecting to follow the run`
    case 'reconnected':
      return event.missed
        ? '… reconnected; events sent while disconnected are missed (the final result is not)'
        : '… reconnected'
    default:
      return undefined
  }
}

/** `--follow` on stdout: the agent's new text, control bytes escaped, newlines kept. */
export function followText(event: RunProgress): string | undefined {
  return event.kind === 'text' && event.delta ? sanitizeForTerminal(event.delta) : undefined
}

/** `--json --follow`: one JSON line per event (`{"type":…}`); undefined for events not worth a line. */
export function eventJsonLine(event: RunProgress): string | undefined {
  const { kind, ...rest } = event
  let data: Record<string, unknown> = rest
  if (event.kind === 'connection-lost') data = { error: event.error.message }
  else if ('job' in event) data = { ...rest, job: { id: event.job.id, name: event.job.name ?? null } }
  return oneJsonLine({ type: kind, ...data })
}
