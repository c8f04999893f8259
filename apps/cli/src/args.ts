import { type ParseArgsConfig, parseArgs } from 'node:util'
import { SETTINGS_OPTIONS, type SettingsFlags, settingsFlagsFromValues } from '@clawlink/config'
import { CliError, EXIT } from './exit-codes.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** Options every connecting command takes: where the gateway is, how to authenticate, which key signs. */
export const CONNECTION_OPTIONS = {
  ...SETTINGS_OPTIONS,
  'token-stdin': { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export const CONNECTION_HELP = `Connection (same names as OpenClaw; secrets never on the command line):
  --url URL                 gateway URL (else OPENCLAW_GATEWAY_URL, gateway.remote.url, ws://127.0.0.1:<gateway.port|18789>)
  --token-file FILE         shared gateway token from a file (else OPENCLAW_GATEWAY_TOKEN, gateway.auth.token)
  --token-stdin             read the token from stdin
  --password-file FILE      gateway password from a file (else OPENCLAW_GATEWAY_PASSWORD, gateway.auth.password)
  --tls-fingerprint SHA256  pin the wss:// certificate (repeatable: old and new during a rotation)
  --allow-insecure-ws       allow ws:// to a public host (the token would travel in clear)
  --profile NAME            clawlink profile (identity + device tokens; default "default", shared with clawlink-mcp)
  --signer KIND             file | keychain | agent | exec | none | ./module.mjs | package (default: the profile's, else file)
  --json                    print one JSON document on stdout
  --debug                   log frames (secrets redacted) and stack traces on stderr`

/** The same argument can't mean two things: there is deliberately no --token VALUE. */
function refuseSecretsOnArgv(argv: string[]): void {
  for (const arg of argv) {
    const name = /^--(token|password)(=|$)/.exec(arg)?.[1]
    if (name) {
      throw new CliError(
        'USAGE',
        `--${name} is not accepted: a secret on the command line is visible to every user of this machine`,
        `use --${name}-file FILE, --${name}-stdin or OPENCLAW_GATEWAY_${name.toUpperCase()}`,
        EXIT.USAGE,
      )
    }
  }
}

/** Parses a command's arguments strictly; unknown flags are usage errors with the command's help hint. */
export function parseCommand<T extends Options>(
  argv: string[],
  options: T,
  command: string,
): {
  values: ReturnType<
    typeof parseArgs<{ options: T; allowPositionals: true; strict: true; args: string[] }>
  >['values']
  positionals: string[]
} {
  refuseSecretsOnArgv(argv)
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    return { values: parsed.values, positionals: parsed.positionals }
  } catch (error) {
    throw new CliError(
      'USAGE',
      (error as Error).message.replace(/\. To specify.*$/s, ''),
      `see: clawlink ${command} --help`,
      EXIT.USAGE,
    )
  }
}

/** The settings flags of {@link CONNECTION_OPTIONS} values. */
export const settingsFlags: (values: Record<string, unknown>) => SettingsFlags = settingsFlagsFromValues

/** `30s`, `10m`, `1h`, `1500ms` or plain seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!m)
    throw new CliError(
      'USAGE',
      `${flag} "${text}" is not a duration`,
      `write it like 30s, 10m or 1h`,
      EXIT.USAGE,
    )
  const n = Number(m[1])
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
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
    throw new CliError('USAGE', `expected exactly one ${what}, got ${positionals.length}`, usage, EXIT.USAGE)
  return positionals[0]!
}
