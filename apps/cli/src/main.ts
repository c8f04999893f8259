import { EXIT, exitCodeFor } from './exit-codes.js'
import { resolveInvocation } from './grammar.js'
import { reportError } from './output.js'
import type { CommandPath } from './spec.js'

type Command = (argv: string[]) => Promise<number>

// Each command module is imported only when chosen: `cron run` never loads doctor, device or completion code.
const LOADERS: Record<Exclude<CommandPath, 'help'>, () => Promise<Command>> = {
  'cron run': async () => (await import('./commands/cron-run.js')).cronRun,
  'cron list': async () => (await import('./commands/cron.js')).cronList,
  'cron status': async () => (await import('./commands/cron.js')).cronStatus,
  'cron runs': async () => (await import('./commands/cron.js')).cronRuns,
  'cron show': async () => (await import('./commands/cron-manage.js')).cronShow,
  'cron enable': async () => (await import('./commands/cron-manage.js')).cronEnable,
  'cron disable': async () => (await import('./commands/cron-manage.js')).cronDisable,
  'cron rm': async () => (await import('./commands/cron-manage.js')).cronRm,
  'cron add': async () => (await import('./commands/cron-manage.js')).cronAdd,
  'cron edit': async () => (await import('./commands/cron-manage.js')).cronEdit,
  'cron export': async () => (await import('./commands/cron-apply.js')).cronExport,
  'cron apply': async () => (await import('./commands/cron-apply.js')).cronApply,
  'cron check': async () => (await import('./commands/cron-check.js')).cronCheck,
  'device show': async () => (await import('./commands/device.js')).deviceShow,
  'device init': async () => (await import('./commands/device.js')).deviceInit,
  'device pair': async () => (await import('./commands/pair.js')).devicePair,
  'device rotate': async () => (await import('./commands/device-token.js')).deviceRotate,
  'device revoke': async () => (await import('./commands/device-token.js')).deviceRevoke,
  doctor: async () => (await import('./commands/doctor.js')).doctor,
  call: async () => (await import('./commands/call.js')).call,
  audit: async () => (await import('./commands/audit.js')).audit,
  'audit verify': async () => (await import('./commands/audit-verify.js')).auditVerify,
  'context add': async () => (await import('./commands/context.js')).contextAdd,
  'context list': async () => (await import('./commands/context.js')).contextList,
  'context show': async () => (await import('./commands/context.js')).contextShow,
  'context use': async () => (await import('./commands/context.js')).contextUse,
  'context rm': async () => (await import('./commands/context.js')).contextRm,
  completion: async () => (await import('./completion.js')).completion,
}

/** A flag given before `--` (used to report errors the way the user asked, before the argv is parsed). */
function flagGiven(argv: string[], flag: string): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).includes(flag)
}

/** Runs one clawlink invocation; returns its exit code and never throws. */
export async function main(argv: string[]): Promise<number> {
  const json = flagGiven(argv, '--json')
  const debug = flagGiven(argv, '--debug')
  try {
    const invocation = resolveInvocation(argv)
    if (invocation.kind === 'help') {
      process.stdout.write(`${invocation.text}\n`)
      return EXIT.OK
    }
    if (invocation.kind === 'version') {
      const { VERSION } = await import('./session.js')
      // 0.0.0 is the workspace's version until a release bumps it (RELEASING.md): say what such a build is.
      const note = VERSION === '0.0.0' ? ' (unreleased: built from a checkout)' : ''
      process.stdout.write(`clawlink ${VERSION}${note}\n`)
      return EXIT.OK
    }
    const { spec } = invocation
    if (spec.path === 'help') throw new Error('help is answered without loading a command')
    // `--all-contexts` runs the command once per context (commands/all-contexts.ts); the option table admits it
    // only on the read commands.
    if (flagGiven(invocation.argv, '--all-contexts')) {
      const { allContexts } = await import('./commands/all-contexts.js')
      return await allContexts(spec.path, invocation.argv)
    }
    const command = await LOADERS[spec.path]()
    return await command(invocation.argv)
  } catch (error) {
    reportError(error, json, debug)
    return exitCodeFor(error)
  }
}
