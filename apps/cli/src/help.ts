import { exitCodesText } from './exit-codes.js'
import {
  COMMAND_OPTIONS,
  COMMANDS,
  type CommandPath,
  type CommandSpec,
  findCommand,
  GROUPS,
  OPTION_DOCS,
  type OptionDoc,
} from './spec.js'

const EXITS = exitCodesText()

/** The environment clawlink reads (docs/remote-gateway.md, docs/protocol.md §6). */
const ENVIRONMENT = `Environment:
  OPENCLAW_GATEWAY_URL        the gateway (default: gateway.remote.url or ws://127.0.0.1:<gateway.port, 18789>)
  OPENCLAW_GATEWAY_TOKEN      shared token (…_PASSWORD: password); not sent to an explicit --url or context
  OPENCLAW_GATEWAY_PORT       the local gateway's port
  OPENCLAW_STATE_DIR          where the gateway keeps its state (default ~/.openclaw); its openclaw.json is read
  OPENCLAW_CONFIG_PATH        the gateway's openclaw.json, when it lives elsewhere
  CLAWLINK_CONTEXT            a named gateway (clawlink context list); CLAWLINK_PROFILE: the profile
  CLAWLINK_HOME               where clawlink keeps profiles and contexts (default ~/.config/clawlink)
  CLAWLINK_NO_COMPILE_CACHE=1 no start-up code cache in $XDG_CACHE_HOME/clawlink/v8 (default ~/.cache)
  NO_COLOR                    no colour`

/** The options most commands take (every connecting command; see each command's help for the rest). */
const COMMON = ['url', 'context', 'token-file', 'profile', 'timeout', 'json', 'debug'] as const

const SECTIONS: Record<OptionDoc['group'], string> = {
  command: 'Options:',
  connection: 'Connection (same names as OpenClaw; secrets never on the command line):',
  identity: 'Profile and device key:',
  output: 'Output:',
}

/** `<job>`, `[command…]`: how a command's positionals read in a usage line. */
export function argsText(spec: CommandSpec): string {
  return spec.args
    .map((a) => {
      const name = a.values ? a.values.join('|') : a.name
      const shown = `${name}${a.variadic ? '…' : ''}`
      return a.required ? `<${shown}>` : `[${shown}]`
    })
    .join(' ')
}

/** The usage line of a command, e.g. `clawlink cron run <job> [options]`. */
export function usageOf(spec: CommandSpec): string {
  return ['clawlink', spec.path, argsText(spec), '[options]'].filter(Boolean).join(' ')
}

function flagText(name: string): string {
  const config = COMMAND_OPTIONS as Record<string, Record<string, { short?: string }>>
  const short = Object.values(config).find((o) => o[name]?.short)?.[name]?.short
  const arg = OPTION_DOCS[name]?.arg
  return `${short ? `-${short}, ` : ''}--${name}${arg ? ` ${arg}` : ''}`
}

function optionSections(path: CommandPath): string[] {
  const names = Object.keys(COMMAND_OPTIONS[path])
  const out: string[] = []
  for (const group of Object.keys(SECTIONS) as OptionDoc['group'][]) {
    const mine = names.filter((n) => (OPTION_DOCS[n]?.group ?? 'command') === group)
    if (mine.length === 0) continue
    const width = Math.max(...mine.map((n) => flagText(n).length)) + 2
    const lines = mine.map((n) => `  ${flagText(n).padEnd(width)}${OPTION_DOCS[n]?.text ?? ''}`)
    out.push(`${SECTIONS[group]}\n${lines.join('\n')}`)
  }
  return out
}

/** The full help of one command: usage, what it does, every flag it takes, examples. */
export function commandHelp(spec: CommandSpec): string {
  const aliases = spec.aliases?.length
    ? `\nAlias: ${spec.aliases.map((a) => `clawlink ${a}`).join(', ')}`
    : ''
  const connects = 'url' in COMMAND_OPTIONS[spec.path]
  return [
    `Usage: ${usageOf(spec)}${aliases}`,
    spec.description,
    ...optionSections(spec.path),
    `Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`,
    ...(connects ? [EXITS] : []),
  ].join('\n\n')
}

function commandList(specs: readonly CommandSpec[]): string {
  const heads = specs.map((c) => `${c.path} ${argsText(c)}`.trim())
  const width = Math.max(...heads.map((h) => h.length)) + 2
  return specs.map((c, i) => `  ${heads[i]!.padEnd(width)}${c.summary}`).join('\n')
}

/** The help of a command group (`clawlink cron --help`): its commands. */
export function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => c.path.startsWith(`${group} `))
  return [
    `Usage: clawlink ${group} <command> [options]`,
    `${(GROUPS[group] ?? '').replace(/^./, (c) => c.toUpperCase())}.`,
    `Commands:\n${commandList(specs)}`,
    `Run "clawlink help ${group} <command>" or "clawlink ${group} <command> --help" for its options.`,
  ].join('\n\n')
}

function commonOptions(): string {
  const width = Math.max(...COMMON.map((n) => flagText(n).length)) + 2
  return COMMON.map((n) => `  ${flagText(n).padEnd(width)}${OPTION_DOCS[n]?.text ?? ''}`).join('\n')
}

/** `clawlink --help`. */
export function mainHelp(): string {
  return [
    'clawlink — trigger OpenClaw cron jobs (and call any gateway method) from outside the gateway',
    'Usage: clawlink <command> [options]\n       clawlink --version | --help',
    `Commands:\n${commandList(COMMANDS)}`,
    `Examples:
  OPENCLAW_GATEWAY_TOKEN=… clawlink cron run nightly-report --wait
  clawlink --token-file ./gateway.token cron list --json
  clawlink help cron run`,
    `Common options:\n${commonOptions()}`,
    ENVIRONMENT,
    'Command words come first; flags may go before or after them. Run "clawlink help <command>" for its options.',
    EXITS,
  ].join('\n\n')
}

/** Help of a path: '' → clawlink, a group, or a command; undefined when the path names nothing. */
export function helpText(path: string): string | undefined {
  if (path === '') return mainHelp()
  if (path in GROUPS) return groupHelp(path)
  const spec = findCommand(path)
  return spec ? commandHelp(spec) : undefined
}
