import {
  describeOutcome,
  describeStop,
  type RunOutcome,
  type RunRecord,
  type RunReport,
  runJob,
} from '@clawlink/client'
import { commandTimeout, onCtrlC, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT, type ExitCode, exitCodeFor } from '../exit-codes.js'
import { createOutput, oneLine, type Output, useJsonLines } from '../output.js'
import { createRunPresenter } from '../run-presenter.js'
import { openSession } from '../session.js'

const REPORT_EXIT: Record<string, ExitCode> = {
  RUN_FAILED: EXIT.RUN_FAILED,
  NOT_RUN: EXIT.RUN_FAILED,
  ALREADY_RUNNING: EXIT.ALREADY_RUNNING,
  WAIT_TIMEOUT: EXIT.TIMEOUT,
  INTERRUPTED: EXIT.INTERRUPTED,
}

export async function cronRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'cron run')
  const json = values.json === true
  const follow = values.follow === true
  const wait = values.wait === true || follow // --follow implies --wait
  if (json && follow) useJsonLines() // every document on stdout is one line, errors included
  const out = createOutput(json)
  const ref = onePositional(positionals, 'job (id or name)', 'clawlink cron run <job> [--wait] [--follow]')
  const waitMs = commandTimeout(values.timeout, wait)
  // The client's own deadline is a little later, so the run's clearer WAIT_TIMEOUT wins the race.
  const session = await openSession(values, out, {
    deadlineMs: waitMs + 2000,
    requestTimeoutMs: Math.min(waitMs, 60_000),
  })
  const interrupt = onCtrlC()
  const show = createRunPresenter({ json, follow, waitMs })
  const restoreCursor = (): void => show.stop()
  process.once('exit', restoreCursor) // whatever ends the process, the cursor comes back
  try {
    const outcome = await runJob(session.client, {
      ref,
      mode: values.due ? 'due' : 'force',
      wait,
      timeoutMs: waitMs,
      signal: interrupt.signal,
      onProgress: (event) => {
        // A hand run of a disabled job is allowed (its schedule stays off), but never silent.
        if (event.kind === 'resolved' && event.job.job?.enabled === false)
          out.warn(
            `${event.job.name ?? event.job.id} is disabled: running it once by hand (its schedule stays off)`,
          )
        show.progress(event)
      },
    })
    show.stop()
    return present(outcome, out)
  } catch (error) {
    show.stop()
    throw explainStop(error, interrupt.signal.aborted, ref)
  } finally {
    process.off('exit', restoreCursor)
    interrupt.dispose()
    await session.close()
  }
}

function present(outcome: RunOutcome, out: Output): number {
  const report = describeOutcome(outcome)
  if (!report.ok) throw failure(report, outcome.job.id, EXIT.RUN_FAILED)
  out.result(outcomeText(report.record), { ok: true, ...report.record })
  return EXIT.OK
}

/** A failed or stopped run as a CliError whose details are the run's facts (printed with `--json`). */
function failure(report: RunReport, job: string, fallback: ExitCode): CliError {
  const code = report.code ?? 'RUN_FAILED'
  const stopped = report.record.outcome === 'timeout' || report.record.outcome === 'interrupted'
  const remedy = stopped
    ? `Follow it: clawlink cron runs --follow ${job} (or see its history: clawlink cron runs ${job})${code === 'WAIT_TIMEOUT' ? '; wait longer with --timeout' : ''}`
    : `${report.remedy ?? ''} See: clawlink cron runs ${job}`.trim()
  return new CliError(code, report.message, {
    remedy: remedy,
    exitCode: REPORT_EXIT[code] ?? fallback,
    details: report.record,
  })
}

/** One line whatever the gateway put into names, ids, statuses and summaries (no line of its own). */
function outcomeText(record: RunRecord): string {
  const name = oneLine(record.job.name ?? record.job.id ?? '')
  const id = oneLine(record.job.id ?? '')
  const run = record.runId ? ` (run ${oneLine(record.runId)})` : ''
  if (record.outcome === 'not-run') return `not run: ${oneLine(record.reason ?? '')} (${name})`
  if (record.outcome === 'enqueued') return `enqueued ${name} (${id})${run}`
  const took = record.durationMs === null ? '' : ` in ${record.durationMs} ms`
  const summary = record.summary ? `: ${oneLine(record.summary)}` : ''
  return `✓ ${name} finished ${oneLine(record.status ?? 'ok')}${took}${run}${summary}`
}

/** A wait that ended early says what goes on on the gateway and how to follow it, with the run's facts. */
function explainStop(error: unknown, interrupted: boolean, ref: string): unknown {
  const report = describeStop(error, { interrupted })
  if (!report) return error
  return failure(report, report.record.job.id ?? ref, exitCodeFor(error))
}
