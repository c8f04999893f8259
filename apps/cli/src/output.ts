import { escapeControlChars, safeJson } from '@clawlink/client'
import { ClawlinkError } from '@clawlink/protocol'
import { CliError } from './exit-codes.js'

/** How a command talks: results on stdout, everything else on stderr; progress only on a TTY. */
export interface Output {
  json: boolean
  result(human: string, json: unknown): void
  progress(message: string): void
  warn(message: string): void
}

/** Creates the {@link Output} of a command; human text is passed through {@link sanitizeForTerminal}. */
export function createOutput(json: boolean): Output {
  const tty = process.stderr.isTTY === true
  const dim = useColor(process.stderr) ? (t: string) => `\u001b[2m${t}\u001b[0m` : (t: string) => t
  return {
    json,
    result(human, data) {
      const text = sanitizeForTerminal(human)
      process.stdout.write(json ? `${jsonDocument(data)}\n` : text.endsWith('\n') ? text : `${text}\n`)
    },
    progress(message) {
      if (tty && !json) process.stderr.write(`${dim(`… ${oneLine(message)}`)}\n`)
    },
    warn(message) {
      process.stderr.write(`clawlink: warning: ${oneLine(message)}\n`)
    },
  }
}

/**
 * Shows control characters as visible escapes (`\x1b`, `\x07`, `\x9b`, `\u202e`) so text a gateway supplies
 * (job names, summaries, error messages) cannot move the cursor, retitle the terminal or fake a line.
 */
export const sanitizeForTerminal = (text: string): string => escapeControlChars(text)

/**
 * {@link sanitizeForTerminal} for text that must stay on one line (a gateway's name, summary or error message):
 * newlines are escaped too, so such text cannot start a line of its own (a fake `✓ run succeeded`).
 */
export const oneLine = (text: string): string => escapeControlChars(text, { singleLine: true })

/** JSON for stdout, with what JSON.stringify leaves raw but a terminal may obey escaped too. */
export const jsonText = safeJson

/** {@link jsonText} on one line (newlines inside strings are escaped, so only the layout's are removed). */
export const oneJsonLine = (data: unknown): string => safeJson(data).replace(/\n\s*/g, '')

let jsonLines = false

/** From now on every JSON document on stdout is one line (`--json --follow`: events, then the result or error). */
export function useJsonLines(): void {
  jsonLines = true
}

const jsonDocument = (data: unknown): string => (jsonLines ? oneJsonLine(data) : jsonText(data))

/** One JSON document on stdout, as `--json` prints it (escaped the same way). */
export function writeJson(data: unknown): void {
  process.stdout.write(`${jsonDocument(data)}\n`)
}

/** Colour only on a terminal, and never with NO_COLOR (any non-empty value) or TERM=dumb. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb'
}

let closed = false

/**
 * A reader that goes away (`clawlink doctor | head -1`) makes writes fail with EPIPE: swallow that instead of
 * crashing with a stack trace, so the command ends with its own exit code. Call once, from the bin.
 */
export function guardBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      closed = true
    })
  }
}

/** Whether stdout or stderr failed (its reader closed): then exit without waiting for a flush. */
export function outputClosed(): boolean {
  return closed
}

/** `{code, message, remedy}` of any error, for one-line reports and `--json`. */
export function describeError(error: unknown): {
  code: string
  message: string
  remedy: string
  kind: string
} {
  if (error instanceof ClawlinkError) {
    return { kind: error.name, code: error.code, message: error.message, remedy: error.remedy }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { kind: 'Error', code: 'INTERNAL', message, remedy: 'rerun with --debug and report this as a bug' }
}

const notes: { authFailure: string[]; unreachable: string[]; explicitUrl: string | undefined } = {
  authFailure: [],
  unreachable: [],
  explicitUrl: undefined,
}

/** Something to say only if the command then fails on authentication (e.g. a secret held back from --url). */
export function noteForAuthFailure(text: string): void {
  notes.authFailure.push(text)
}

/** Something to say only if the gateway then cannot be reached (e.g. the URL is only OpenClaw's default). */
export function noteForUnreachable(text: string): void {
  notes.unreachable.push(text)
}

/**
 * The URL was named explicitly (`--url`, a context): the shared secrets of the environment and openclaw.json are
 * never sent there, so a fix must not suggest them.
 */
export function noteExplicitUrl(target: string): void {
  notes.explicitUrl = target
}

/** `fix. Note: a; b` — one period whether or not the fix ended with one. */
function withNote(remedy: string, items: readonly string[]): string {
  return `${remedy.replace(/[.\s]+$/, '')}. Note: ${items.join('; ')}`
}

const ENV_SECRET = /OPENCLAW_GATEWAY_(TOKEN|PASSWORD)/

/** The fix of an error, with what the command noted for its kind of failure. */
function remedyWithNotes(d: { code: string; remedy: string }): string {
  if (/^AUTH_|^NO_SCOPES|^DEVICE_IDENTITY/.test(d.code)) {
    // One message, one answer: for an explicit URL only its own secrets count, whatever the generic fix says
    // (this fix already says why the environment's and openclaw.json's secrets were held back).
    if (notes.explicitUrl && ENV_SECRET.test(d.remedy))
      return `pass this gateway's token with --token-file FILE or --token-stdin (or the password with --password-file): OPENCLAW_GATEWAY_TOKEN and openclaw.json are not sent to ${notes.explicitUrl}`
    return notes.authFailure.length > 0 ? withNote(d.remedy, notes.authFailure) : d.remedy
  }
  if ((d.code === 'CONNECT_REFUSED' || d.code === 'UNREACHABLE') && notes.unreachable.length > 0)
    return withNote(d.remedy, notes.unreachable)
  return d.remedy
}

/**
 * The `--json` document of a failure: `{ok: false, error: {kind, code, message, remedy}}`, plus the facts a
 * command attached (a run's job, runId, status, durationMs … — CliError details); a fact named `error` (a run's
 * own error text) is kept as `error.runError`, so `error` stays the failure for every command.
 */
function failureDocument(error: unknown, d: ReturnType<typeof describeError>): Record<string, unknown> {
  const details = error instanceof CliError ? error.details : undefined
  if (!details || typeof details !== 'object' || Array.isArray(details)) return { ok: false, error: d }
  const { error: runError, ...rest } = details as Record<string, unknown>
  return { ok: false, error: runError === undefined ? d : { ...d, runError }, ...rest }
}

/** Prints an error: one line + a fix line on stderr, or one JSON document on stdout with --json. */
export function reportError(error: unknown, json: boolean, debug: boolean): void {
  const d = describeError(error)
  d.remedy = remedyWithNotes(d)
  if (json) process.stdout.write(`${jsonDocument(failureDocument(error, d))}\n`)
  else process.stderr.write(`clawlink: ${oneLine(d.message)}\nfix: ${oneLine(d.remedy)}\n`)
  if (debug && error instanceof Error && error.stack)
    process.stderr.write(`${sanitizeForTerminal(error.stack)}\n`)
}

/** A plain text table; columns padded to their widest cell; cells sanitised for the terminal. */
export function table(head: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(oneLine))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), ...rows.map(line)].join('\n')
}

/** `in 5m`, `3h ago`. */
export function relativeTime(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-'
  const delta = ms - now
  const abs = Math.abs(delta)
  const unit =
    abs < 60_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)}h`
          : `${Math.round(abs / 86_400_000)}d`
  return delta >= 0 ? `in ${unit}` : `${unit} ago`
}
