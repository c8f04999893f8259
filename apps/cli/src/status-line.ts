import type { RunProgress } from '@clawlink/client'
import { applyProgress, newRunView, type RunView, statusLine } from './run-view.js'

/**
 * How the live status of a waited-for run is shown on stderr: `tty` redraws one line in place (cursor hidden,
 * erased at the end); `plain` (TERM=dumb: no cursor control) prints a progress line when the phase changes or
 * every `plainEveryMs`, never more than one per `plainMinGapMs`; `off` (not a TTY, `--json`) shows nothing.
 */
export type StatusMode = 'tty' | 'plain' | 'off'

export function statusMode(
  stream: { isTTY?: boolean },
  json: boolean,
  env: NodeJS.ProcessEnv = process.env,
): StatusMode {
  if (json || stream.isTTY !== true) return 'off'
  return env.TERM === 'dumb' ? 'plain' : 'tty'
}

/** The clock the status line is redrawn by: real timers in the CLI, a fake one in tests. */
export interface StatusClock {
  now(): number
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void
}

export const realClock: StatusClock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms)
    timer.unref?.()
    return () => clearInterval(timer)
  },
}

export type StatusLineOptions = {
  mode: StatusMode
  write: (text: string) => void
  clock?: StatusClock
  /** Terminal width (re-read at each draw). @default 80 */
  columns?: () => number | undefined
  /** Dim the line (a colour terminal without NO_COLOR). */
  dim?: boolean
  plainEveryMs?: number
  plainMinGapMs?: number
}

export interface StatusLine {
  update(event: RunProgress): void
  /** A line of its own (a notice) above the status line. */
  note(line: string): void
  /** Erases the line, shows the cursor again, stops the timer. Idempotent. */
  stop(): void
}

const ERASE = '\r\u001b[2K'
const HIDE_CURSOR = '\u001b[?25l'
const SHOW_CURSOR = '\u001b[?25h'

export function createStatusLine(options: StatusLineOptions): StatusLine {
  const clock = options.clock ?? realClock
  const { mode, write } = options
  let view: RunView = newRunView(clock.now())
  let drawn = false
  let stopped = mode === 'off'
  let lastPlain: { atMs: number; key: string } | undefined
  // A pty without a size reports 0 columns: then assume 80.
  const width = () => Math.max(20, (options.columns?.() || 80) - 1)
  let drawnAtMs = Number.NEGATIVE_INFINITY
  let drawnKey = ''
  const dim = (t: string) => (options.dim ? `\u001b[2m${t}\u001b[0m` : t)
  const key = (v: RunView) => `${v.phase}|${v.tool}|${v.retry}|${v.connection}`

  const draw = (): void => {
    if (stopped) return
    const now = clock.now()
    if (mode === 'tty') {
      write(`${drawn ? ERASE : HIDE_CURSOR}${dim(statusLine(view, now, width()))}`)
      drawn = true
      drawnAtMs = now
      drawnKey = key(view)
      return
    }
    const changed = lastPlain === undefined || lastPlain.key !== key(view)
    const since = lastPlain === undefined ? Number.POSITIVE_INFINITY : now - lastPlain.atMs
    if ((changed && since >= (options.plainMinGapMs ?? 2000)) || since >= (options.plainEveryMs ?? 10_000)) {
      write(`… ${statusLine(view, now, width())}\n`)
      lastPlain = { atMs: now, key: key(view) }
    }
  }
  const cancel = stopped ? () => {} : clock.every(1000, draw)

  return {
    update(event) {
      if (stopped) return
      view = applyProgress(view, event)
      // A flood of text events redraws at most every 100 ms; a new phase at once.
      if (mode !== 'tty' || key(view) !== drawnKey || clock.now() - drawnAtMs >= 100) draw()
    },
    note(line) {
      if (stopped) return
      write(`${drawn ? ERASE : ''}${line}\n`)
      drawn = false
      if (mode === 'tty') draw()
    },
    stop() {
      if (stopped) return
      stopped = true
      cancel()
      if (mode === 'tty' && drawn) write(`${ERASE}${SHOW_CURSOR}`)
      drawn = false
    },
  }
}
