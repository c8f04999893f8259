import { listCronJobs, waitForCronRun } from '@clawlink/client'
import {
  buildCronRunParams,
  buildCronRunsParams,
  type CronJob,
  describeCronSchedule,
  matchCronJob,
  parseCronRunResult,
  parseCronRuns,
  runSucceeded,
} from '@clawlink/protocol'
import type { GatewayClient } from '@clawlink/client'
import { onePositional, parseCommand, parseDuration } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { HELP } from '../help.js'
import { createOutput, relativeTime, table } from '../output.js'
import { openSession } from '../session.js'

/** Resolves `<job>` as an id or an exact name; ambiguous or unknown → a CliError that lists what exists. */
export async function resolveJob(client: GatewayClient, ref: string): Promise<CronJob> {
  const match = matchCronJob(await listCronJobs(client), ref)
  if (match.kind === 'found') return match.job
  if (match.kind === 'ambiguous') {
    const list = match.matches.map((j) => j.id).join(', ')
    throw new CliError(
      'JOB_AMBIGUOUS',
      `${match.matches.length} jobs are named "${ref}": ${list}`,
      `pass the id instead of the name`,
      EXIT.JOB_AMBIGUOUS,
      {
        matches: match.matches.map((j) => ({ id: j.id, name: j.name })),
      },
    )
  }
  const hint =
    match.suggestions.length > 0
      ? `did you mean ${match.suggestions.map((j) => `"${j.name}"`).join(', ')}?`
      : 'see: clawlink cron list'
  throw new CliError('JOB_NOT_FOUND', `no cron job with id or name "${ref}"`, hint, EXIT.JOB_NOT_FOUND, {
    suggestions: match.suggestions.map((j) => ({ id: j.id, name: j.name })),
  })
}

export async function cronRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron run')
  if (values.help) return help('cron run')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron run <job> [--wait]')
  const waitMs = values.timeout ? parseDuration(values.timeout, '--timeout') : 600_000
  const { client } = await openSession(values, out, { requestTimeoutMs: Math.min(waitMs, 60_000) })
  try {
    const job = await resolveJob(client, ref)
    const sentAt = Date.now()
    const result = parseCronRunResult(
      await client.request(
        'cron.run',
        buildCronRunParams({ id: job.id, mode: values.due ? 'due' : 'force' }),
      ),
    )
    const base = {
      ok: true,
      job: { id: job.id, name: job.name },
      runId: result.runId ?? null,
      enqueued: result.enqueued,
    }
    if (!result.enqueued) {
      if (result.reason === 'already-running') {
        throw new CliError(
          'ALREADY_RUNNING',
          `job "${job.name}" is already running; no new run was started`,
          'wait for the current run to finish, then retry',
          EXIT.ALREADY_RUNNING,
        )
      }
      out.result(`not run: ${result.reason ?? 'the gateway did not enqueue it'} (${job.name})`, {
        ...base,
        ran: false,
        reason: result.reason ?? null,
      })
      return EXIT.OK
    }
    if (!values.wait) {
      out.result(`enqueued ${job.name} (${job.id})${result.runId ? `, run ${result.runId}` : ''}`, base)
      return EXIT.OK
    }
    out.progress(
      `run ${result.runId ?? ''} enqueued; waiting for it to finish (up to ${Math.round(waitMs / 1000)} s)`,
    )
    const outcome = await waitForCronRun(
      client,
      { jobId: job.id, ...(result.runId ? { runId: result.runId } : {}), sinceMs: sentAt },
      { timeoutMs: waitMs },
    )
    const ok = runSucceeded(outcome)
    const summary = {
      ...base,
      status: outcome.status ?? null,
      completionStatus: outcome.completionStatus ?? null,
      summary: outcome.summary ?? null,
      error: outcome.error ?? null,
      durationMs: outcome.durationMs ?? null,
      observedBy: outcome.source,
    }
    if (!ok) {
      throw new CliError(
        'RUN_FAILED',
        `run of "${job.name}" finished with status ${outcome.status ?? outcome.completionStatus ?? 'unknown'}${outcome.error ? `: ${outcome.error}` : ''}`,
        `see: clawlink cron runs ${job.id}`,
        EXIT.RUN_FAILED,
        summary,
      )
    }
    const took = outcome.durationMs === undefined ? '' : ` in ${outcome.durationMs} ms`
    out.result(
      `✓ ${job.name} finished ${outcome.status ?? 'ok'}${took}${outcome.summary ? `: ${outcome.summary}` : ''}`,
      summary,
    )
    return EXIT.OK
  } finally {
    await client.close()
  }
}

export async function cronList(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'cron list')
  if (values.help) return help('cron list')
  const out = createOutput(values.json === true)
  const { client } = await openSession(values, out)
  try {
    const jobs = await listCronJobs(client, { includeDisabled: values.all === true })
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
    await client.close()
  }
}

export async function cronStatus(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'cron status')
  if (values.help) return help('cron status')
  const out = createOutput(values.json === true)
  const { client } = await openSession(values, out)
  try {
    const status = (await client.request('cron.status', {})) as Record<string, unknown>
    const next = typeof status.nextWakeAtMs === 'number' ? relativeTime(status.nextWakeAtMs) : '-'
    const human = [
      `scheduler: ${status.enabled === false ? 'disabled' : 'enabled'}`,
      `jobs:      ${String(status.jobs ?? '-')}`,
      `next wake: ${next}`,
      `store:     ${String(status.storePath ?? '-')}${status.storage ? ` (${String(status.storage)})` : ''}`,
    ].join('\n')
    out.result(human, { ok: true, status })
    return EXIT.OK
  } finally {
    await client.close()
  }
}

export async function cronRuns(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron runs')
  if (values.help) return help('cron runs')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron runs <job> [--limit N]')
  const limit = values.limit === undefined ? 20 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new CliError('USAGE', '--limit must be 1 to 200', 'e.g. --limit 20', EXIT.USAGE)
  const { client } = await openSession(values, out)
  try {
    const job = await resolveJob(client, ref)
    const runs = parseCronRuns(
      await client.request('cron.runs', buildCronRunsParams({ id: job.id, limit, sortDir: 'desc' })),
    )
    const rows = runs.map((r) => [
      (r.runAtMs ?? r.ts) ? new Date((r.runAtMs ?? r.ts)!).toISOString() : '-',
      r.status ?? r.completionStatus ?? '-',
      r.durationMs === undefined ? '-' : `${r.durationMs} ms`,
      (r.error ?? r.summary ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ])
    const human =
      runs.length === 0
        ? `no runs of ${job.name} yet`
        : table(['STARTED', 'STATUS', 'DURATION', 'SUMMARY'], rows)
    out.result(human, { ok: true, job: { id: job.id, name: job.name }, runs: runs.map(({ raw }) => raw) })
    return EXIT.OK
  } finally {
    await client.close()
  }
}

function help(command: keyof typeof HELP): number {
  process.stdout.write(`${HELP[command]}\n`)
  return EXIT.OK
}
