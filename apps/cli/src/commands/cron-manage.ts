import { createInterface } from 'node:readline/promises'
import {
  addJob,
  cronTarget,
  findJobToRemove,
  getJob,
  removeJob,
  setJobEnabled,
  updateJob,
} from '@clawlink/client'
import { type CronJob, checkCronJobFields, describeCronSchedule } from '@clawlink/protocol'
import { createRequire } from 'node:module'
import { commandTimeout, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { readJobFile, refuseProblems } from '../job-file.js'
import { createOutput, oneLine, type Output, relativeTime } from '../output.js'
import { openSession, type Session } from '../session.js'

/** Runs `body` on one session of a command, always closing it. */
async function withSession(
  values: Record<string, unknown>,
  out: Output,
  body: (session: Session) => Promise<number>,
): Promise<number> {
  const session = await openSession(values, out, {
    deadlineMs: commandTimeout(values.timeout as string | undefined, false),
  })
  try {
    return await body(session)
  } finally {
    await session.close()
  }
}

const label = (job: CronJob) => `${oneLine(job.name || '(no name)')} (${oneLine(job.id)})`
const jobRef = (job: CronJob) => ({ id: job.id, name: job.name })

export async function cronShow(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron show')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron show <job>')
  return withSession(values, out, async ({ client }) => {
    const { job } = await getJob(client, ref)
    const head = [
      `job:      ${label(job)}`,
      `enabled:  ${job.enabled ? 'yes' : 'no'}`,
      `schedule: ${describeCronSchedule(job.schedule)}`,
      `next run: ${relativeTime(job.nextRunAtMs)}`,
      `last:     ${job.lastStatus ?? '-'}`,
    ]
    const { state: _state, ...fields } = job.raw
    const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
    const body = stringify(fields, { lineWidth: 0 }).trimEnd().split('\n').map(oneLine)
    out.result([...head, '', ...body].join('\n'), { ok: true, job: job.raw })
    return EXIT.OK
  })
}

function toggle(enabled: boolean) {
  return async (argv: string[]): Promise<number> => {
    const path = enabled ? 'cron enable' : 'cron disable'
    const { values, positionals } = parseCommand(argv, path as 'cron enable')
    const out = createOutput(values.json === true)
    const ref = onePositional(positionals, 'job (id or name)', `clawlink ${path} <job>`)
    return withSession(values, out, async ({ client }) => {
      const { before, after } = await setJobEnabled(client, ref, enabled)
      const verb = enabled ? 'enabled' : 'disabled'
      const note = before.enabled === enabled ? ` (it was already ${verb})` : ''
      out.result(`${verb} ${label(after)}${note}`, { ok: true, job: jobRef(after), enabled: after.enabled })
      return EXIT.OK
    })
  }
}

export const cronEnable = toggle(true)
export const cronDisable = toggle(false)

/** Asks on a terminal; off a terminal (or with --json) the caller must have said --yes. */
async function confirm(question: string, json: boolean): Promise<boolean> {
  if (json || !process.stdin.isTTY || !process.stderr.isTTY)
    throw new CliError(
      'CONFIRMATION_REQUIRED',
      'cron rm removes a job for good and there is no terminal to ask',
      { remedy: 'add --yes to remove it without asking', exitCode: EXIT.USAGE },
    )
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
  } finally {
    rl.close()
  }
}

export async function cronRm(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron rm')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron rm <job> [--yes]')
  return withSession(values, out, async ({ client }) => {
    const { job } = await findJobToRemove(client, ref)
    if (values.yes !== true && !(await confirm(`remove cron job ${label(job)}?`, values.json === true))) {
      out.result('not removed', { ok: true, removed: false, job: jobRef(job) })
      return EXIT.OK
    }
    await removeJob(client, job.id)
    out.result(`removed ${label(job)}`, { ok: true, removed: true, job: jobRef(job) })
    return EXIT.OK
  })
}

function fileFlag(values: { file?: string | undefined }, usage: string): string {
  if (!values.file)
    throw new CliError('USAGE', 'missing -f FILE (the job, as JSON5 or YAML)', {
      remedy: usage,
      exitCode: EXIT.USAGE,
    })
  return values.file
}

export async function cronAdd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron add')
  const out = createOutput(values.json === true)
  if (positionals.length > 0)
    throw new CliError('USAGE', `unexpected argument "${positionals[0]}"`, {
      remedy: 'clawlink cron add -f FILE',
      exitCode: EXIT.USAGE,
    })
  // The file is read before connecting: a syntax error costs no connection.
  const file = readJobFile(fileFlag(values, 'clawlink cron add -f job.yaml'))
  return withSession(values, out, async ({ client }) => {
    refuseProblems(file, checkCronJobFields(file.job, await cronTarget(client), 'add'))
    const job = await addJob(client, file.job)
    out.result(`added ${label(job)}`, { ok: true, job: job.raw })
    return EXIT.OK
  })
}

export async function cronEdit(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron edit')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron edit <job> -f FILE')
  const file = readJobFile(fileFlag(values, 'clawlink cron edit <job> -f changes.yaml'))
  return withSession(values, out, async ({ client }) => {
    refuseProblems(file, checkCronJobFields(file.job, await cronTarget(client), 'patch'))
    const { after } = await updateJob(client, ref, file.job)
    const fields = Object.keys(file.job).join(', ')
    out.result(`updated ${label(after)}: ${fields}`, {
      ok: true,
      job: after.raw,
      changed: Object.keys(file.job),
    })
    return EXIT.OK
  })
}
