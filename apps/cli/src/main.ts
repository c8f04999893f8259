import { CliError, EXIT } from './exit-codes.js'
import { HELP } from './help.js'
import { reportError } from './output.js'

type Command = (argv: string[]) => Promise<number>

// Each command module is imported only when chosen: `cron run` never loads doctor or device code.
const COMMANDS: Record<string, () => Promise<Command>> = {
  'cron run': async () => (await import('./commands/cron.js')).cronRun,
  'cron list': async () => (await import('./commands/cron.js')).cronList,
  'cron ls': async () => (await import('./commands/cron.js')).cronList,
  'cron status': async () => (await import('./commands/cron.js')).cronStatus,
  'cron runs': async () => (await import('./commands/cron.js')).cronRuns,
  'device show': async () => (await import('./commands/device.js')).deviceShow,
  'device init': async () => (await import('./commands/device.js')).deviceInit,
  doctor: async () => (await import('./commands/doctor.js')).doctor,
  call: async () => (await import('./commands/call.js')).call,
}

function usage(message: string, remedy = 'see: clawlink --help'): never {
  throw new CliError('USAGE', message, remedy, EXIT.USAGE)
}

/** Runs one clawlink invocation; returns its exit code and never throws. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const debug = argv.includes('--debug')
  try {
    // The command may follow global flags (`clawlink --url X cron run job`): find its first word.
    const heads = new Set(Object.keys(COMMANDS).map((c) => c.split(' ')[0]))
    const at = argv.findIndex((a) => heads.has(a))
    const words = argv.filter((a) => !a.startsWith('-'))
    const first = at >= 0 ? argv[at] : words[0]
    const second = at >= 0 ? argv[at + 1] : words[1]
    if (first === undefined) {
      if (argv.includes('--version') || argv.includes('-v')) {
        const { VERSION } = await import('./session.js')
        process.stdout.write(`clawlink ${VERSION}\n`)
        return EXIT.OK
      }
      process.stdout.write(`${HELP.main}\n`)
      return argv.length === 0 || argv.includes('--help') || argv.includes('-h') ? EXIT.OK : EXIT.USAGE
    }
    const two = `${first} ${second ?? ''}`.trim()
    const key = COMMANDS[two] ? two : COMMANDS[first] ? first : undefined
    if (!key) {
      if (first === 'cron' || first === 'device') {
        const subs = Object.keys(COMMANDS)
          .filter((c) => c.startsWith(`${first} `))
          .map((c) => c.split(' ')[1])
        if (second === undefined && (argv.includes('--help') || argv.includes('-h'))) {
          process.stdout.write(`${HELP.main}\n`)
          return EXIT.OK
        }
        usage(
          second ? `unknown command "${first} ${second}"` : `"${first}" needs a subcommand`,
          `one of: ${subs.map((s) => `${first} ${s}`).join(', ')}`,
        )
      }
      usage(`unknown command "${first}"`)
    }
    // Remove the command words (first occurrences) and pass the rest to the command's strict parser.
    const rest = [...argv]
    rest.splice(at, key.split(' ').length)
    const command = await COMMANDS[key]!()
    return await command(rest)
  } catch (error) {
    reportError(error, json, debug)
    const { exitCodeFor } = await import('./exit-codes.js')
    return exitCodeFor(error)
  }
}
