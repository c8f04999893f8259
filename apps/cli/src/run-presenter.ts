import type { RunProgress } from '@clawlink/client'
import { oneLine, useColor } from './output.js'
import { eventJsonLine, followNote, followText } from './run-view.js'
import { createStatusLine, type StatusClock, type StatusLine, statusMode } from './status-line.js'

/** How `cron run` shows a run while it waits: status line, `--follow` text and notes, or `--json --follow` lines. */
export interface RunPresenter {
  progress(event: RunProgress): void
  /** Ends the live part (erases the status line, ends a text line) before the result is printed. */
  stop(): void
}

export type PresenterOptions = {
  json: boolean
  follow: boolean
  waitMs: number
  stdout?: { write(text: string): unknown; isTTY?: boolean }
  stderr?: { write(text: string): unknown; isTTY?: boolean; columns?: number }
  env?: NodeJS.ProcessEnv
  clock?: StatusClock
}

/** The one-off progress lines of a wait (the status line shows the rest). */
function milestone(event: RunProgress, waitMs: number): string | undefined {
  switch (event.kind) {
    case 'enqueued':
      return `run ${oneLine(event.runId ?? '')} enqueued; waiting for it to finish (up to ${Math.round(waitMs / 1000)} s)`
    case 'started':
      return 'run started'
    case 'connection-lost':
      return `connection lost (${oneLine(event.error.message)}); reconnecting to follow the run`
    case 'reconnected':
      return event.missed ? 'reconnected (events sent meanwhile are missed)' : 'reconnected'
    default:
      return undefined
  }
}

export function createRunPresenter(options: PresenterOptions): RunPresenter {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const env = options.env ?? process.env
  if (options.json && options.follow) {
    return {
      progress(event) {
        const line = eventJsonLine(event)
        if (line) stdout.write(`${line}\n`)
      },
      stop() {},
    }
  }
  if (options.follow) return followPresenter(stdout, stderr, options.waitMs)
  const mode = statusMode(stderr, options.json, env)
  const status: StatusLine = createStatusLine({
    mode,
    write: (text) => stderr.write(text),
    clock: options.clock,
    columns: () => stderr.columns,
    dim: useColor(stderr, env),
  })
  const dim = useColor(stderr, env) ? (t: string) => `\u001b[2m${t}\u001b[0m` : (t: string) => t
  return {
    progress(event) {
      const line = milestone(event, options.waitMs)
      if (line) status.note(dim(`… ${line}`))
      status.update(event)
    },
    stop: () => status.stop(),
  }
}

/** `--follow` (not `--json`): the agent's text on stdout as it comes, short notes on stderr. */
function followPresenter(
  stdout: { write(text: string): unknown },
  stderr: { write(text: string): unknown; isTTY?: boolean },
  waitMs: number,
): RunPresenter {
  let midLine = false
  const note = (line: string): void => {
    // A note goes on a line of its own, also when stdout and stderr are the same terminal.
    if (midLine && stderr.isTTY) {
      stdout.write('\n')
      midLine = false
    }
    stderr.write(`${line}\n`)
  }
  return {
    progress(event) {
      const text = followText(event)
      if (text) {
        stdout.write(text)
        midLine = !text.endsWith('\n')
        return
      }
      const line =
        event.kind === 'enqueued' || event.kind === 'started' ? milestone(event, waitMs) : undefined
      const shown = line ? `… ${line}` : followNote(event)
      if (shown) note(shown)
    },
    stop() {
      if (midLine) stdout.write('\n')
      midLine = false
    },
  }
}
