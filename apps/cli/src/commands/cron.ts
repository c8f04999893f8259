import { getCronStatus, getJobRuns, listCronJobs } from '@clawlink/client'
import { describeCronSchedule } from '@clawlink/protocol'
import { commandTimeout, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, oneLine, relativeTime, table } from '../output.js'
import { openSession } from '../session.js'

export async function cronList(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'cron list')
  const out = createOutput(values.json === true)
  const session = await openSession(values, out, { deadlineMs: commandTimeout(values.timeout, false) })
  try {
    const jobs = await listCronJobs(session.client, { includeDisabled: values.all === true })
    const rows = jobs.map((j) => [
      j.id,
      j.name,
      j.enabled ? 'yes' : 'no',
      describeCronSchedule(j.schedule),
      relativeTime(j.nextRunAtMs),
      j.lastStatus ?? '-',
    ])
    const human =
      jobs.length === 0 ? 'no cron jobs' : table(['ID', 'NAME', 'ENABLED', 'SCHEDULE', 'NEXT', 'LAST'], rows)
    out.result(human, { ok: true, jobs: jobs.map(({ raw, ...j }) => ({ ...j, schedule: raw.schedule })) })
    return EXIT.OK
  } finally {
    await session.close()
  }
}

export async function cronStatus(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'cron status')
  const out = createOutput(values.json === true)
  const session = await openSession(values, out, { deadlineMs: commandTimeout(values.timeout, false) })
  try {
    const status = await getCronStatus(session.client)
    const enabled = status.enabled === undefined ? 'unknown' : status.enabled ? 'enabled' : 'disabled'
    const human = [
      `scheduler: ${enabled}`,
      `jobs:      ${status.jobs ?? '-'}`,
      `next wake: ${relativeTime(status.nextWakeAtMs)}`,
      `store:     ${oneLine(status.storePath ?? '-')}${status.storage ? ` (${oneLine(status.storage)})` : ''}`,
    ].join('\n')
    out.result(human, { ok: true, status: status.raw })
    return EXIT.OK
  } finally {
    await session.close()
  }
}

export async function cronRuns(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron runs')
  if (values.follow) return (await import('./cron-follow.js')).followRuns(values, positionals)
  const out = createOutput(values.json === true)
  const ref = onePositional(
    positionals,
    'job (id or name)',
    'clawlink cron runs <job> [--limit N] | --follow [job]',
  )
  const limit = values.limit === undefined ? 20 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new CliError('USAGE', '--limit must be 1 to 200', {
      remedy: 'e.g. --limit 20',
      exitCode: EXIT.USAGE,
    })
  const session = await openSession(values, out, { deadlineMs: commandTimeout(values.timeout, false) })
  try {
    const { job, runs } = await getJobRuns(session.client, ref, { limit })
    const rows = runs.map((r) => [
      iso(r.runAtMs ?? r.ts),
      r.status ?? r.completionStatus ?? '-',
      r.durationMs === undefined ? '-' : `${r.durationMs} ms`,
      r.runId ?? '-',
      (r.error ?? r.summary ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ])
    const human =
      runs.length === 0
        ? `no runs of ${job.name ?? job.id} yet`
        : table(['STARTED', 'STATUS', 'DURATION', 'RUN', 'SUMMARY'], rows)
    out.result(human, {
      ok: true,
      job: { id: job.id, name: job.name ?? null },
      runs: runs.map(({ raw }) => raw),
    })
    return EXIT.OK
  } finally {
    await session.close()
  }
}

/** A time for a table; a missing or impossible time is shown as `-`. */
function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString()
}
