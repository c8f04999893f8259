import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError, EXIT } from './exit-codes.js'
import { helpText, usageOf } from './help.js'
import {
  COMMAND_OPTIONS,
  COMMANDS,
  type CommandPath,
  type CommandSpec,
  findCommand,
  GLOBAL_OPTIONS,
  GROUP_ALIASES,
  GROUPS,
  subcommandsOf,
  topWords,
} from './spec.js'
import { closest } from './suggest.js'

/**
 * The argv grammar: `clawlink [global flags] <command words> [args and flags in any order]`. Command words are
 * only the leading positionals, so a stray word (`clawlink nightly cron run`) is an unknown command and never
 * runs anything; flags are checked against the chosen command's table before any module loads.
 */
type Options = NonNullable<ParseArgsConfig['options']>
type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number]

/** What an argv asks for: a help text, the version, or a command with its own argv (command words removed). */
export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; spec: CommandSpec; argv: string[] }

/** Every flag any command takes, so the first pass knows which flags consume the next word. */
const ALL_OPTIONS: Options = Object.assign({}, GLOBAL_OPTIONS, ...Object.values(COMMAND_OPTIONS))

function usage(message: string, remedy: string): never {
  throw new CliError('USAGE', message, { remedy: remedy, exitCode: EXIT.USAGE })
}

function didYouMean(word: string, candidates: readonly string[], show = (c: string) => `"${c}"`): string {
  const guess = closest(word, candidates)
  return guess === undefined ? '' : `: did you mean ${show(guess)}?`
}

/** The same argument can't mean two things: there is deliberately no --token VALUE. */
export function refuseSecretsOnArgv(argv: string[]): void {
  for (const arg of argv) {
    if (arg === '--') return
    const name = /^--(token|password)(=|$)/.exec(arg)?.[1]
    if (name) {
      usage(
        `--${name} is not accepted: a secret on the command line is visible to every user of this machine`,
        `use --${name}-file FILE, --${name}-stdin or OPENCLAW_GATEWAY_${name.toUpperCase()}`,
      )
    }
  }
}

function scan(argv: string[], options: Options = ALL_OPTIONS): Token[] {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true }).tokens
}

function unknownOption(token: Extract<Token, { kind: 'option' }>, known: Options, where: string): never {
  const guess = token.rawName.startsWith('--')
    ? didYouMean(token.name, Object.keys(known), (c) => `--${c}`)
    : ''
  usage(
    `unknown option ${token.rawName}${where ? ` for ${where}` : ''}${guess}`,
    `see: clawlink ${where ? `${where} ` : ''}--help`,
  )
}

type Parsed<K extends CommandPath> = ReturnType<
  typeof parseArgs<{
    options: (typeof COMMAND_OPTIONS)[K]
    allowPositionals: true
    strict: true
    args: string[]
  }>
>

/** parseArgs' remaining complaints (a flag's value missing or not allowed), said our way. */
function valueProblem(message: string): string {
  const flag = /'(?:-\w, )?(--[\w-]+)/.exec(message)?.[1]
  if (!flag) return message.split('\n')[0] ?? message
  if (/does not take an argument/.test(message)) return `${flag} takes no value`
  if (/ambiguous/.test(message)) return `${flag} needs a value (one starting with "-" is written ${flag}=-…)`
  return `${flag} needs a value`
}

/** Each argv array parsed once: the invocation's own parse is the one its command reads (keyed by the array). */
const parsedOnce = new WeakMap<string[], { path: CommandPath; parsed: unknown }>()
/** How many argv parses ran in this process (a test checks an invocation costs one). */
export const parses = { count: 0 }

/**
 * Parses a command's argv (command words removed) strictly: unknown flags are named with a suggestion. The same
 * array for the same command is parsed once ({@link resolveInvocation} parses it; the command gets that result).
 */
export function strictParse<K extends CommandPath>(argv: string[], path: K): Parsed<K> {
  const known = parsedOnce.get(argv)
  if (known?.path === path) return known.parsed as Parsed<K>
  const parsed = parseStrictly(argv, path)
  parses.count++
  parsedOnce.set(argv, { path, parsed })
  return parsed
}

function parseStrictly<K extends CommandPath>(argv: string[], path: K): Parsed<K> {
  refuseSecretsOnArgv(argv)
  const options = COMMAND_OPTIONS[path] as Options
  // Scanned with the command's own flags: `-f` is --file for cron add but --follow for cron runs.
  for (const token of scan(argv, options)) {
    if (token.kind === 'option-terminator') break
    if (token.kind === 'option' && !(token.name in options)) unknownOption(token, options, path)
  }
  try {
    return parseArgs({ args: argv, options: COMMAND_OPTIONS[path], allowPositionals: true, strict: true })
  } catch (error) {
    usage(`${valueProblem((error as Error).message)} (${path})`, `see: clawlink ${path} --help`)
  }
}

function checkArgs(spec: CommandSpec, positionals: string[]): void {
  const max = spec.args.some((a) => a.variadic) ? Number.POSITIVE_INFINITY : spec.args.length
  const extra = positionals[max]
  if (extra !== undefined) usage(`unexpected argument "${extra}" for ${spec.path}`, `usage: ${usageOf(spec)}`)
  spec.args.forEach((arg, i) => {
    const value = positionals[i]
    if (value === undefined) {
      if (arg.required) usage(`missing <${arg.name}> for ${spec.path}`, `usage: ${usageOf(spec)}`)
      return
    }
    if (arg.values && !arg.values.includes(value))
      usage(
        `"${value}" is not a ${arg.name} clawlink knows${didYouMean(value, arg.values)}`,
        `one of: ${arg.values.join(', ')}`,
      )
  })
}

const primaries = (group: string) => COMMANDS.filter((c) => c.path.startsWith(`${group} `)).map((c) => c.path)

type Resolved = { kind: 'group'; group: string } | { kind: 'command'; spec: CommandSpec; length: number }

/** Which command the leading words name; unknown words are named with the closest command. */
function resolveWords(words: string[]): Resolved {
  const [typed, second] = words as [string, string | undefined]
  const first = GROUP_ALIASES[typed] ?? typed
  if (first in GROUPS) {
    if (second === undefined) return { kind: 'group', group: first }
    const spec = findCommand(`${first} ${second}`)
    if (spec) return { kind: 'command', spec, length: 2 }
    const subs = subcommandsOf(first)
    usage(
      `unknown command "${first} ${second}"${didYouMean(second, subs, (s) => `"${first} ${s}"`)}`,
      `one of: ${primaries(first).join(', ')}`,
    )
  }
  // A command with subcommands of its own (`audit` and `audit verify`).
  const own = second === undefined ? undefined : findCommand(`${first} ${second}`)
  if (own) return { kind: 'command', spec: own, length: 2 }
  const spec = findCommand(first)
  if (spec && !spec.path.includes(' ')) return { kind: 'command', spec, length: 1 }
  const sub = Object.keys(GROUPS).find((g) => subcommandsOf(g).includes(first))
  const guess = sub ? `: did you mean "${sub} ${first}"?` : didYouMean(first, topWords())
  const later = words.slice(1).some((w) => topWords().includes(w))
  usage(
    `unknown command "${first}"${guess}`,
    later ? 'command words come first: clawlink <command> [arguments] [options]' : 'see: clawlink --help',
  )
}

function bare(flags: Extract<Token, { kind: 'option' }>[], argc: number): Invocation {
  for (const flag of flags) {
    if (flag.name in GLOBAL_OPTIONS) continue
    if (flag.name in ALL_OPTIONS)
      usage(
        `${flag.rawName} needs a command`,
        `e.g. clawlink cron list ${flag.rawName} …; see: clawlink --help`,
      )
    unknownOption(flag, ALL_OPTIONS, '')
  }
  if (flags.some((f) => f.name === 'help') || argc === 0) return { kind: 'help', text: helpText('')! }
  if (flags.some((f) => f.name === 'version')) return { kind: 'version' }
  usage('no command given', 'see: clawlink --help')
}

function helpFor(words: string[], flags: Extract<Token, { kind: 'option' }>[]): Invocation {
  for (const flag of flags) if (flag.name !== 'help') unknownOption(flag, COMMAND_OPTIONS.help, 'help')
  if (words.length === 0) return { kind: 'help', text: helpText(flags.length > 0 ? 'help' : '')! }
  const resolved = resolveWords(words)
  const path = resolved.kind === 'group' ? resolved.group : resolved.spec.path
  const length = resolved.kind === 'group' ? 1 : resolved.length
  if (words.length > length)
    usage(`unexpected argument "${words[length]}" for help ${path}`, `usage: clawlink help <command…>`)
  return { kind: 'help', text: helpText(path)! }
}

/** Resolves an argv into what to do; usage errors (exit 2) are thrown as CliError before anything loads. */
export function resolveInvocation(argv: string[]): Invocation {
  refuseSecretsOnArgv(argv)
  const tokens = scan(argv)
  const stop = tokens.findIndex((t) => t.kind === 'option-terminator')
  const head = stop < 0 ? tokens : tokens.slice(0, stop)
  const flags = head.filter((t) => t.kind === 'option')
  const words = tokens.filter((t) => t.kind === 'positional')
  const leading = head.filter((t) => t.kind === 'positional').map((t) => t.value)
  if (leading.length === 0) return bare(flags, argv.length)
  if (leading[0] === 'help') return helpFor(leading.slice(1), flags)
  const wantsHelp = flags.some((f) => f.name === 'help')
  const resolved = resolveWords(leading)
  if (resolved.kind === 'group') {
    if (wantsHelp) return { kind: 'help', text: helpText(resolved.group)! }
    usage(
      `"${resolved.group}" needs a command: ${primaries(resolved.group).join(', ')}`,
      `see: clawlink ${resolved.group} --help`,
    )
  }
  const { spec, length } = resolved
  if (wantsHelp) return { kind: 'help', text: helpText(spec.path)! }
  const drop = new Set(words.slice(0, length).map((t) => t.index))
  const rest = argv.filter((_, i) => !drop.has(i))
  checkArgs(spec, strictParse(rest, spec.path).positionals)
  return { kind: 'run', spec, argv: rest }
}
