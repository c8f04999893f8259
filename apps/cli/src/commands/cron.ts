import {
  ClientError,
  getCronStatus,
  getJobRuns,
  judgeRun,
  listCronJobs,
  type RunOutcome,
  type RunProgress,
  runJob,
} from '@clawlink/client'
import { describeCronSchedule } from '@clawlink/protocol'
import { commandTimeout, DEFAULT_TIMEOUT_MS, onCtrlC, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT, type ExitCode } from '../exit-codes.js'
import { createOutput, oneLine, type Output, relativeTime, table } from '../output.js'
import { openSession } from '../session.js'

const VERDICT_EXIT: Record<'RUN_FAILED' | 'ALREADY_RUNNING' | 'NOT_RUN', ExitCode> = {
  RUN_FAILED: EXIT.RUN_FAILED,
  ALREADY_RUNNING: EXIT.ALREADY_RUNNING,
  NOT_RUN: EXIT.RUN_FAILED,
}

/** One JSON shape for every run outcome; `runId` is always present (null when the gateway gave none). */
function outcomeJson(outcome: RunOutcome): Record<string, unknown> {
  const base = {
    job: { id: outcome.job.id, name: outcome.job.name ?? null },
    outcome: outcome.kind,
    runId: outcome.kind === 'not-run' ? null : (outcome.runId ?? null),
    enqueued: outcome.kind !== 'not-run',
  }
  if (outcome.kind === 'not-run') return { ...base, ran: false, reason: outcome.reason }
  if (outcome.kind === 'enqueued') return base
  return {
    ...base,
    status: outcome.status ?? null,
    completionStatus: outcome.completionStatus ?? null,
    succeeded: outcome.succeeded,
    summary: outcome.summary ?? null,
    error: outcome.error ?? null,
    durationMs: outcome.durationMs ?? null,
    observedBy: outcome.observedBy,
  }
}

/** One line whatever the gateway put into names, ids, statuses and summaries (no line of its own). */
function outcomeText(outcome: RunOutcome): string {
  const name = oneLine(outcome.job.name ?? outcome.job.id)
  const id = oneLine(outcome.job.id)
  const run = outcome.kind !== 'not-run' && outcome.runId ? ` (run ${oneLine(outcome.runId)})` : ''
  if (outcome.kind === 'not-run') return `not run: ${oneLine(outcome.reason)} (${name})`
  if (outcome.kind === 'enqueued') return `enqueued ${name} (${id})${run}`
  const took = outcome.durationMs === undefined ? '' : ` in ${outcome.durationMs} ms`
  const summary = outcome.summary ? `: ${oneLine(outcome.summary)}` : ''
  return `✓ ${name} finished ${oneLine(outcome.status ?? 'ok')}${took}${run}${summary}`
}

function progressText(event: RunProgress, waitMs: number): string | undefined {
  switch (event.kind) {
    case 'enqueued':
      return `run ${event.runId ?? ''} enqueued; waiting for it to finish (up to ${Math.round(waitMs / 1000)} s)`
    case 'started':
      return 'run started'
    case 'connection-lost':
      return `connection lost (${event.error.message}); reconnecting to follow the run`
    default:
      return undefined
  }
}

export async function cronRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron run')
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron run <job> [--wait]')
  const waitMs = commandTimeout(values.timeout, values.wait === true)
  // The client's own deadline is a little later, so the run's clearer WAIT_TIMEOUT wins the race.
  const session = await openSession(values, out, {
    deadlineMs: waitMs + 2000,
    requestTimeoutMs: Math.min(waitMs, 60_000),
  })
  const interrupt = onCtrlC()
  const seen: { runId?: string | undefined; name?: string | undefined; id?: string } = {}
  try {
    const outcome = await runJob(session.client, {
      ref,
      mode: values.due ? 'due' : 'force',
      wait: values.wait === true,
      timeoutMs: waitMs,
      signal: interrupt.signal,
      onProgress: (event) => {
        if ('job' in event) Object.assign(seen, { name: event.job.name, id: event.job.id })
        if (event.kind === 'enqueued') seen.runId = event.runId
        const line = progressText(event, waitMs)
        if (line) out.progress(line)
      },
    })
    return present(outcome, out)
  } catch (error) {
    throw explainRunError(error, interrupt.signal.aborted, seen, ref)
  } finally {
    interrupt.dispose()
    await session.close()
  }
}

function present(outcome: RunOutcome, out: Output): number {
  const verdict = judgeRun(outcome)
  const data = outcomeJson(outcome)
  if (!verdict.ok) {
    const follow = `clawlink cron runs ${outcome.job.id}`
    throw new CliError(
      verdict.code,
      verdict.message,
      `${verdict.remedy} See: ${follow}`,
      VERDICT_EXIT[verdict.code],
      data,
    )
  }
  out.result(outcomeText(outcome), { ok: true, ...data })
  return EXIT.OK
}

/** A wait that ended early says where the run can be followed, with its runId. */
function explainRunError(
  error: unknown,
  interrupted: boolean,
  seen: { runId?: string | undefined; name?: string | undefined; id?: string },
  ref: string,
): unknown {
  const follow = `clawlink cron runs ${seen.id ?? ref}`
  const details = { job: { id: seen.id ?? null, name: seen.name ?? null }, runId: seen.runId ?? null }
  if (interrupted) {
    const what =
      seen.runId !== undefined || seen.id ? 'the run goes on on the gateway' : 'nothing was started'
    return new CliError(
      'INTERRUPTED',
      `interrupted: ${what}${seen.runId ? ` (run ${seen.runId})` : ''}`,
      `follow it with: ${follow}`,
      EXIT.INTERRUPTED,
      details,
    )
  }
  if (error instanceof ClientError && error.code === 'WAIT_TIMEOUT') {
    return new CliError(
      'WAIT_TIMEOUT',
      error.message,
      `follow it with: ${follow} (or wait longer with --timeout)`,
      EXIT.TIMEOUT,
      details,
    )
  }
  return error
}

export async function cronList(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'cron list')
  const out = createOutput(values.json === true)
  const session = await openSession(values, out, { deadlineMs: DEFAULT_TIMEOUT_MS })
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
  const session = await openSession(values, out, { deadlineMs: DEFAULT_TIMEOUT_MS })
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
  const out = createOutput(values.json === true)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron runs <job> [--limit N]')
  const limit = values.limit === undefined ? 20 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new CliError('USAGE', '--limit must be 1 to 200', 'e.g. --limit 20', EXIT.USAGE)
  const session = await openSession(values, out, { deadlineMs: DEFAULT_TIMEOUT_MS })
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
