import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline/promises'
import { type ApplyResult, applyCronPlan, cronTarget, listCronJobs } from '@clawlink/client'
import {
  type CronJob,
  type CronPlan,
  declaredJob,
  isGatewayOwnedJob,
  matchCronJob,
  type PlanStep,
  planCronApply,
} from '@clawlink/protocol'
import { commandTimeout, parseCommand } from '../args.js'
import { CliError, EXIT, exitCodeFor } from '../exit-codes.js'
import { crontabEntry, type HostEntry, systemdEntry } from '../host-schedule.js'
import { checkJobsFile, readJobsFile } from '../jobs-file.js'
import { createOutput, oneLine, type Output } from '../output.js'
import { openSession } from '../session.js'

const note = (s: string) => process.stderr.write(`${s}\n`)
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml')

/** The jobs JOB… names (id or exact name), or every job the gateway does not own. */
function pick(jobs: CronJob[], refs: string[]): CronJob[] {
  if (refs.length === 0) return jobs.filter((j) => !isGatewayOwnedJob(j.raw))
  return refs.map((ref) => {
    const m = matchCronJob(jobs, ref)
    if (m.kind === 'found') return m.job
    throw new CliError(
      m.kind === 'ambiguous' ? 'JOB_AMBIGUOUS' : 'JOB_NOT_FOUND',
      m.kind === 'ambiguous' ? `several jobs are named "${ref}"` : `no cron job with id or name "${ref}"`,
      {
        remedy:
          m.kind === 'ambiguous'
            ? 'pass the job id instead of the name'
            : 'list the jobs to see their ids and names',
        exitCode: m.kind === 'ambiguous' ? EXIT.JOB_AMBIGUOUS : EXIT.JOB_NOT_FOUND,
      },
    )
  })
}

function hostEntries(jobs: CronJob[], render: (j: CronJob) => HostEntry): string {
  return jobs
    .map((j) => {
      const e = render(j)
      return e.ok ? e.text : `# ${oneLine(j.name)} (${j.id}): not expressed — ${e.why}`
    })
    .join('\n\n')
}

export async function cronExport(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron export')
  const out = createOutput(false)
  if (values.crontab === true && values.systemd === true)
    throw new CliError('USAGE', '--crontab and --systemd exclude each other', {
      remedy: 'pick one',
      exitCode: EXIT.USAGE,
    })
  const session = await openSession(values, out, { deadlineMs: commandTimeout(values.timeout, false) })
  try {
    const all = await listCronJobs(session.client, { includeDisabled: true })
    const jobs = pick(all, positionals)
    let text: string
    if (values.crontab === true) text = hostEntries(jobs, crontabEntry)
    else if (values.systemd === true) text = hostEntries(jobs, systemdEntry)
    else {
      const target = await cronTarget(session.client)
      const doc = { jobs: jobs.map((j) => declaredJob(j.raw, target)) }
      text = yaml().stringify(doc, { lineWidth: 0 }).trimEnd()
    }
    if (typeof values.output === 'string') {
      writeFileSync(values.output, `${text}\n`)
      note(`wrote ${jobs.length} job(s) to ${values.output}`)
    } else process.stdout.write(`${text}\n`)
    const owned = all.filter((j) => isGatewayOwnedJob(j.raw)).length
    if (positionals.length === 0 && owned > 0) note(`left out ${owned} job(s) the gateway owns`)
    return EXIT.OK
  } finally {
    await session.close()
  }
}

const show = (v: unknown) => (v === undefined ? '(unset)' : oneLine(JSON.stringify(v)))

/** The plan as `+ ~ - =` lines with field diffs. */
export function describePlan(plan: CronPlan): string {
  const lines: string[] = []
  for (const s of plan.steps) {
    if (s.action === 'create') lines.push(`+ create ${oneLine(s.name)}`)
    if (s.action === 'delete') lines.push(`- delete ${oneLine(s.name)} (${s.id})`)
    if (s.action === 'unchanged') lines.push(`= unchanged ${oneLine(s.name)}`)
    if (s.action === 'update') {
      lines.push(`~ update ${oneLine(s.name)} (${s.id})`)
      for (const c of s.changes) lines.push(`    ${c.path}: ${show(c.before)} → ${show(c.after)}`)
    }
  }
  const n = (a: PlanStep['action']) => plan.steps.filter((s) => s.action === a).length
  lines.push(
    `plan: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('unchanged')} unchanged`,
  )
  return lines.join('\n')
}

const stepData = (s: PlanStep) =>
  s.action === 'update'
    ? { action: s.action, name: s.name, id: s.id, changes: s.changes }
    : s.action === 'create'
      ? { action: s.action, name: s.name, job: s.job }
      : { action: s.action, name: s.name, id: s.id }

async function confirmApply(writes: number, json: boolean): Promise<boolean> {
  if (json || !process.stdin.isTTY || !process.stderr.isTTY)
    throw new CliError(
      'CONFIRMATION_REQUIRED',
      `cron apply would make ${writes} change(s) and there is no terminal to ask`,
      {
        remedy: 'add --yes to apply without asking (or --dry-run to only see the plan)',
        exitCode: EXIT.USAGE,
      },
    )
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(`apply ${writes} change(s)? [y/N] `)).trim())
  } finally {
    rl.close()
  }
}

/** Off a terminal, at most one line this often while the write limit paces the apply. */
const PLAIN_PROGRESS_EVERY_MS = 20_000

function progress(out: Output, tty: boolean, json: boolean) {
  let lastPlain = Number.NEGATIVE_INFINITY
  return ({ done, total, etaMs }: { done: number; total: number; etaMs: number }) => {
    const eta = etaMs > 0 ? `, about ${Math.ceil(etaMs / 1000)} s left (paced: 30 writes per minute)` : ''
    const line = `applied ${done}/${total}${eta}`
    // out.progress writes only on a terminal; a log or CI job still hears of a wait on the write limit.
    if (tty) out.progress(line)
    else if (!json && etaMs > 0 && Date.now() - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = Date.now()
      process.stderr.write(`clawlink: ${oneLine(line)}\n`)
    }
  }
}

function report(out: Output, plan: CronPlan, result: ApplyResult): number {
  const names = (steps: PlanStep[]) => steps.map((s) => `${s.action} ${s.name}`)
  const data = {
    ok: result.error === undefined && !result.stopped,
    plan: plan.steps.map(stepData),
    applied: result.applied.map(stepData),
    notApplied: result.notApplied.map(stepData),
  }
  if (result.error === undefined && !result.stopped) {
    out.result(`applied ${result.applied.length} change(s)`, data)
    return EXIT.OK
  }
  const why = result.stopped ? 'stopped (Ctrl-C)' : `refused: ${(result.error as Error).message}`
  const text = [
    `${why} after ${result.applied.length} of ${result.applied.length + result.notApplied.length} change(s)`,
    ...names(result.applied).map((n) => `  applied:     ${oneLine(n)}`),
    ...names(result.notApplied).map((n) => `  not applied: ${oneLine(n)}`),
  ].join('\n')
  out.result(text, { ...data, error: result.stopped ? 'INTERRUPTED' : (result.error as Error).message })
  return result.stopped ? EXIT.INTERRUPTED : exitCodeFor(result.error)
}

export async function cronApply(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron apply')
  const json = values.json === true
  const out = createOutput(json)
  if (positionals.length > 0 || typeof values.file !== 'string')
    throw new CliError('USAGE', 'cron apply takes -f FILE', {
      remedy: 'clawlink cron apply -f jobs.yaml [--dry-run]',
      exitCode: EXIT.USAGE,
    })
  const file = readJobsFile(values.file) // syntax errors cost no connection
  // Apply waits: for the user's yes, and for 2026.9.x's write limit (30 a minute) on a long file.
  const session = await openSession(values, out, { deadlineMs: commandTimeout(values.timeout, true) })
  const stop = new AbortController()
  const onSigint = () => stop.abort()
  try {
    const target = await cronTarget(session.client)
    checkJobsFile(file, target)
    const gateway = await listCronJobs(session.client, { includeDisabled: true })
    const scope = typeof values.scope === 'string' ? values.scope : undefined
    const plan = planCronApply(file.jobs, gateway, target, {
      prune: values.prune === true,
      ...(scope ? { scope } : {}),
    })
    if (plan.conflicts.length > 0)
      throw new CliError('JOB_PLAN_CONFLICT', plan.conflicts.map((c) => c.message).join('\n'), {
        remedy: 'fix the jobs on the gateway or the file; nothing was written',
        exitCode: EXIT.JOB_AMBIGUOUS,
      })
    const writes = plan.steps.filter((s) => s.action !== 'unchanged').length
    if (!json) process.stdout.write(`${describePlan(plan)}\n`)
    if (values['dry-run'] === true || writes === 0) {
      out.result(writes === 0 ? 'nothing to change' : 'dry run: nothing changed', {
        ok: true,
        dryRun: values['dry-run'] === true,
        plan: plan.steps.map(stepData),
        applied: [],
      })
      return EXIT.OK
    }
    if (values.yes !== true && !(await confirmApply(writes, json))) {
      out.result('not applied', { ok: true, plan: plan.steps.map(stepData), applied: [] })
      return EXIT.OK
    }
    process.on('SIGINT', onSigint)
    const tty = !json && process.stderr.isTTY === true
    const result = await applyCronPlan(session.client, plan, {
      stop: stop.signal,
      onProgress: progress(out, tty, json),
    })
    return report(out, plan, result)
  } finally {
    process.off('SIGINT', onSigint)
    await session.close()
  }
}
