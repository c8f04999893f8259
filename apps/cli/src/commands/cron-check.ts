import {
  checkMissedFires,
  type GatewayClient,
  type JobFireCheck,
  judgeRun,
  type MissedFiresReport,
  runJob,
} from '@clawlink/client'
import { parseCommand, parseDuration } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, oneLine, table } from '../output.js'
import { openSession } from '../session.js'

const DAY_MS = 86_400_000
// A 30-day walk of a busy gateway's run history is many pages: a longer deadline than one request's.
const CHECK_DEADLINE_MS = 120_000
const MARK = { ran: '✓', missed: '✗', late: '~' } as const

/** What `--run-missed` did for one job. */
type RunReport = { id: string; name: string; ran: boolean; detail: string }

/** `cron check [JOB…] [--since DUR] [--run-missed] [--json]`: fires the schedules implied that never ran. */
export async function cronCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron check')
  const out = createOutput(values.json === true)
  const windowMs = values.since === undefined ? DAY_MS : parseDuration(values.since, '--since')
  if (windowMs <= 0)
    throw new CliError('USAGE', '--since must be longer than 0', {
      remedy: 'e.g. --since 24h or --since 7d',
      exitCode: EXIT.USAGE,
    })
  const session = await openSession(values, out, { deadlineMs: CHECK_DEADLINE_MS })
  try {
    const client = session.client
    if (!client.hello) await client.connect()
    const report = await checkMissedFires(client, {
      jobs: positionals,
      sinceMs: client.gatewayNow() - windowMs,
    })
    const runs = values['run-missed'] === true ? await runMissed(client, report) : undefined
    const human = [describeReport(report, windowMs), ...(runs ? describeRuns(runs) : [])].join('\n')
    out.result(human, {
      ok: report.missed === 0,
      ...(report.missed > 0 ? { code: 'MISSED_FIRES' } : {}),
      ...report,
      ...(runs ? { runs } : {}),
    })
    if (!out.json && process.stdout.isTTY === true) process.stdout.write(`${marks(report)}\n`)
    return report.missed > 0 ? EXIT.MISSED_FIRES : EXIT.OK
  } finally {
    await session.close()
  }
}

/** The jobs `--run-missed` runs: those with a missed fire and no run since the last one. */
export function jobsToRun(report: MissedFiresReport): JobFireCheck[] {
  return report.jobs.filter((job) => {
    const lastMissed = job.fires.reduce((m, f) => (f.status === 'missed' ? f.expectedAtMs : m), -1)
    // A run after the last missed slot caught the job up (e.g. an earlier --run-missed): never twice per window.
    return lastMissed >= 0 && !(job.lastRunAtMs !== undefined && job.lastRunAtMs > lastMissed)
  })
}

/** Runs each affected job once: mode `if-enabled` where the gateway has it (9.x), else `due`. */
async function runMissed(client: GatewayClient, report: MissedFiresReport): Promise<RunReport[]> {
  const mode = client.protocol === 4 ? 'if-enabled' : 'due'
  const done: RunReport[] = []
  for (const job of jobsToRun(report)) {
    try {
      const outcome = await runJob(client, { ref: job.id, mode, timeoutMs: 60_000 })
      const verdict = judgeRun(outcome)
      const ran = outcome.kind !== 'not-run'
      const detail =
        outcome.kind === 'not-run'
          ? `not run: ${outcome.reason}`
          : `${mode} run enqueued${outcome.runId ? ` (${outcome.runId})` : ''}`
      done.push({ id: job.id, name: job.name, ran, detail: verdict.ok ? detail : verdict.message })
    } catch (error) {
      done.push({ id: job.id, name: job.name, ran: false, detail: `failed: ${(error as Error).message}` })
    }
  }
  return done
}

function iso(ms: number | undefined): string {
  return ms === undefined ? 'never' : new Date(ms).toISOString().replace('.000Z', 'Z')
}

function jobLabel(job: { id: string; name: string }): string {
  return job.name ? `${job.name} (${job.id})` : job.id
}

/** The missed fires as a table, then the totals, the jobs not checked and their reasons. */
export function describeReport(report: MissedFiresReport, windowMs: number): string {
  const rows = report.jobs.flatMap((job) =>
    job.fires
      .filter((f) => f.status === 'missed')
      .map((f) => [jobLabel(job), iso(f.expectedAtMs), iso(job.lastRunAtMs)]),
  )
  const lines: string[] = []
  const since = `since ${iso(report.checkedFromMs)}`
  if (rows.length > 0) lines.push(table(['JOB', 'EXPECTED', 'LAST RUN'], rows))
  const checked = report.jobs.length - report.unchecked
  const affected = report.jobs.filter((j) => j.missed > 0).length
  lines.push(
    report.missed === 0
      ? `no missed fires ${since} in ${checked} job${checked === 1 ? '' : 's'}${report.late ? ` (${report.late} late)` : ''}`
      : `${report.missed} missed fire${report.missed === 1 ? '' : 's'} in ${affected} of ${checked} jobs ${since}${report.late ? `, ${report.late} late` : ''}`,
  )
  if (report.limitedBy === 'retention')
    lines.push(
      `note: this gateway keeps run history for 7 days, so fires before ${iso(report.checkedFromMs)} were not judged (a fire with no run there says nothing)`,
    )
  else if (report.limitedBy === 'budget')
    lines.push(
      `note: the run history read covers only ${iso(report.checkedFromMs)} onwards, not the whole ${Math.round(windowMs / 3_600_000)}h`,
    )
  for (const job of report.jobs)
    for (const note of job.notes.filter((n) => n.startsWith('the gateway keeps')))
      lines.push(`note: ${jobLabel(job)}: ${note}`)
  for (const job of report.jobs)
    if (job.error !== undefined) lines.push(`not checked: ${jobLabel(job)}: ${job.error}`)
  return lines.map(oneLine).join('\n')
}

function describeRuns(runs: RunReport[]): string[] {
  if (runs.length === 0)
    return ['--run-missed: nothing to run (every affected job has run since its last missed fire)']
  return runs.map((r) => `--run-missed: ${oneLine(jobLabel(r))}: ${oneLine(r.detail)}`)
}

/** One row of marks per job with fires (✓ ran, ✗ missed, ~ late), oldest left, fitted to the terminal width. */
export function marks(report: MissedFiresReport, columns = process.stdout.columns || 80): string {
  const jobs = report.jobs.filter((j) => j.fires.length > 0)
  if (jobs.length === 0) return ''
  const labels = jobs.map((j) => oneLine(j.name || j.id).slice(0, 24))
  const width = Math.max(...labels.map((l) => l.length))
  const room = Math.max(8, columns - width - 3)
  return jobs
    .map((job, i) => {
      const all = job.fires.map((f) => MARK[f.status]).join('')
      const row = all.length <= room ? all : `…${all.slice(all.length - room + 1)}`
      return `${(labels[i] as string).padEnd(width)}  ${row}`
    })
    .join('\n')
}
