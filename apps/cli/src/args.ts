import { ClientError } from '@clawlink/client'
import { type SettingsFlags, settingsFlagsFromValues } from '@clawlink/config'
import { CliError, EXIT } from './exit-codes.js'
import { strictParse } from './grammar.js'
import type { CommandPath } from './spec.js'

export { CONNECTION_OPTIONS } from './spec.js'

/** Parses a command's arguments strictly with its flags from the command table (spec.ts). */
export function parseCommand<K extends CommandPath>(
  argv: string[],
  command: K,
): ReturnType<typeof strictParse<K>> {
  return strictParse(argv, command)
}

/** The settings flags of {@link CONNECTION_OPTIONS} values. */
export const settingsFlags: (values: Record<string, unknown>) => SettingsFlags = settingsFlagsFromValues

/** A command's limit when `--timeout` is not given (spec.ts documents both). */
export const DEFAULT_TIMEOUT_MS = 30_000
/** …and when it waits (`--wait`, `--wait-approval`). */
export const DEFAULT_WAIT_MS = 600_000

/** The command's limit: `--timeout`, else the default for a command that waits or one that does not. */
export function commandTimeout(timeout: string | undefined, wait: boolean): number {
  if (timeout) return parseDuration(timeout, '--timeout')
  return wait ? DEFAULT_WAIT_MS : DEFAULT_TIMEOUT_MS
}

/**
 * Ctrl-C for a command that waits: the returned signal aborts (ABORTED) instead of the process dying, so the
 * command can say what goes on without it. Call `dispose` when done.
 */
export function onCtrlC(): { signal: AbortSignal; dispose: () => void } {
  const interrupt = new AbortController()
  const onSigint = (): void =>
    interrupt.abort(new ClientError('ABORTED', 'interrupted (Ctrl-C)', { remedy: 'none' }))
  process.once('SIGINT', onSigint)
  return { signal: interrupt.signal, dispose: () => process.off('SIGINT', onSigint) }
}

/** `30s`, `10m`, `1h`, `7d`, `1500ms` or a bare number of seconds → milliseconds; 0 is refused. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!m)
    throw new CliError('USAGE', `${flag} "${text}" is not a duration`, {
      remedy: `write it like 30s, 10m, 1h or 7d`,
      exitCode: EXIT.USAGE,
    })
  const n = Number(m[1])
  if (n <= 0)
    throw new CliError('USAGE', `${flag} must be more than 0`, {
      remedy: 'e.g. 30s, 10m or 1h',
      exitCode: EXIT.USAGE,
    })
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'
  ]
  return Math.round(n * factor)
}

/** Reads all of stdin (for --token-stdin). */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('reading the secret from stdin (end with Ctrl-D)…\n')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** The one positional a command takes (a job, a method), or a usage error showing how to call it. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1)
    throw new CliError('USAGE', `expected exactly one ${what}, got ${positionals.length}`, {
      remedy: usage,
      exitCode: EXIT.USAGE,
    })
  return positionals[0]!
}
