import { ClientError } from '@clawlink/client'
import { ConfigError } from '@clawlink/config'
import { GatewayError, ProtocolError, SignerError } from '@clawlink/protocol'
import { CliError } from './exit-codes.js'

/** How a command talks: results on stdout, everything else on stderr; progress only on a TTY. */
export interface Output {
  json: boolean
  result(human: string, json: unknown): void
  progress(message: string): void
  warn(message: string): void
}

export function createOutput(json: boolean): Output {
  const tty = process.stderr.isTTY === true
  return {
    json,
    result(human, data) {
      process.stdout.write(
        json ? `${JSON.stringify(data, null, 2)}\n` : human.endsWith('\n') ? human : `${human}\n`,
      )
    },
    progress(message) {
      if (tty && !json) process.stderr.write(`\u001b[2m… ${message}\u001b[0m\n`)
    },
    warn(message) {
      process.stderr.write(`clawlink: warning: ${message}\n`)
    },
  }
}

/** `{code, message, remedy}` of any error, for one-line reports and `--json`. */
export function describeError(error: unknown): {
  code: string
  message: string
  remedy: string
  kind: string
} {
  if (
    error instanceof GatewayError ||
    error instanceof ClientError ||
    error instanceof ConfigError ||
    error instanceof CliError
  ) {
    return { kind: error.name, code: error.code, message: error.message, remedy: error.remedy }
  }
  if (error instanceof SignerError) {
    return {
      kind: error.name,
      code: error.code,
      message: error.message,
      remedy: error.remedy ?? 'see docs/errors.md',
    }
  }
  if (error instanceof ProtocolError)
    return { kind: error.name, code: error.code, message: error.message, remedy: 'check the input' }
  const message = error instanceof Error ? error.message : String(error)
  return { kind: 'Error', code: 'INTERNAL', message, remedy: 'rerun with --debug and report this as a bug' }
}

/** Prints an error: one line + a fix line on stderr, or one JSON document on stdout with --json. */
export function reportError(error: unknown, json: boolean, debug: boolean): void {
  const d = describeError(error)
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: d }, null, 2)}\n`)
  else process.stderr.write(`clawlink: ${d.message}\nfix: ${d.remedy}\n`)
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
}

/** A plain text table; columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
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
