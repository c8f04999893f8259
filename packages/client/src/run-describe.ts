import { ClawlinkError } from '@clawlink/protocol'
import { judgeRun, type RunOutcome } from './cron-run.js'
import { ClientError } from './errors.js'

/**
 * The facts of one run, the same for every presenter: the CLI's `--json` record and the MCP server's
 * `structuredContent` are this object (plus `ok`, and `error` details on failures). A fact the gateway did not
 * give is `null`, never invented.
 */
export type RunRecord = {
  job: { id: string | null; name: string | null }
  /**
   * `finished`, `enqueued` (not waited for), `not-run` (the gateway declined: `reason`), `timeout` (the wait ran
   * out; the run goes on), `interrupted` (the caller stopped waiting).
   */
  outcome: 'enqueued' | 'not-run' | 'finished' | 'timeout' | 'interrupted'
  /** Whether the gateway accepted the run (a run exists on the gateway). */
  enqueued: boolean
  runId: string | null
  /** The gateway's status (`ok`, `error`, `skipped`, …); `running` when a wait ended after the run started. */
  status: string | null
  /** 2026.9.x: `succeeded` | `failed`. */
  completionStatus: string | null
  succeeded: boolean | null
  summary: string | null
  /** The run's own error text (a model error, `timeout`), as the gateway said it. */
  error: string | null
  durationMs: number | null
  /** How the end was learnt: a `cron` event or the run history. */
  observedBy: 'event' | 'poll' | null
  /** The run's agent session, when it was linked. */
  sessionKey: string | null
  /** Why the gateway did not run it (`not-run`): `already-running`, `not-due`, … */
  reason: string | null
}

/** What a presenter shows for a run: the record, whether it is a success, and one line saying what happened. */
export type RunReport = {
  ok: boolean
  record: RunRecord
  /** The stable code of a failure (`RUN_FAILED`, `ALREADY_RUNNING`, `NOT_RUN`, `WAIT_TIMEOUT`, `ABORTED`, …). */
  code: string | undefined
  /** One line: what happened (no trailing period). */
  message: string
  /** What to do next, for failures (ends with a period). */
  remedy: string | undefined
}

const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value)

function emptyRecord(): RunRecord {
  return {
    job: { id: null, name: null },
    outcome: 'enqueued',
    enqueued: false,
    runId: null,
    status: null,
    completionStatus: null,
    succeeded: null,
    summary: null,
    error: null,
    durationMs: null,
    observedBy: null,
    sessionKey: null,
    reason: null,
  }
}

/** The one description of how `runJob` ended (docs/architecture.md "The run stream"). */
export function describeOutcome(outcome: RunOutcome): RunReport {
  const record: RunRecord = {
    ...emptyRecord(),
    job: { id: outcome.job.id, name: nul(outcome.job.name) },
    outcome: outcome.kind,
    enqueued: outcome.kind !== 'not-run',
  }
  if (outcome.kind === 'not-run') record.reason = outcome.reason
  else record.runId = nul(outcome.runId)
  if (outcome.kind === 'finished') {
    Object.assign(record, {
      status: nul(outcome.status),
      completionStatus: nul(outcome.completionStatus),
      succeeded: outcome.succeeded,
      summary: nul(outcome.summary),
      error: nul(outcome.error),
      durationMs: nul(outcome.durationMs),
      observedBy: outcome.observedBy,
      sessionKey: nul(outcome.sessionKey),
    })
  }
  const verdict = judgeRun(outcome)
  const name = outcome.job.name ?? outcome.job.id
  if (!verdict.ok)
    return { ok: false, record, code: verdict.code, message: verdict.message, remedy: verdict.remedy }
  const message =
    outcome.kind === 'finished'
      ? `${name} finished ${outcome.status ?? 'ok'}`
      : outcome.kind === 'enqueued'
        ? `${name} enqueued`
        : `${name} was not run: ${outcome.reason}`
  return { ok: true, record, code: undefined, message, remedy: undefined }
}

/**
 * The one description of a wait that ended without an outcome: the caller's cancel (`interrupted`), the wait's
 * time limit (`WAIT_TIMEOUT`), or any other error after the run was sent. Says whether a run goes on on the
 * gateway. Returns undefined for errors that are not about a run (the caller shows those as they are).
 */
export function describeStop(error: unknown, options: { interrupted: boolean }): RunReport | undefined {
  const details = error instanceof ClientError ? error.details : {}
  const str = (key: string): string | null => (typeof details[key] === 'string' ? String(details[key]) : null)
  const record: RunRecord = {
    ...emptyRecord(),
    job: { id: str('jobId'), name: str('jobName') },
    runId: str('runId'),
    enqueued: details.enqueued === true,
    status: details.started === true ? 'running' : null,
    sessionKey: str('sessionKey'),
  }
  const name = record.job.name ?? record.job.id ?? 'the job'
  const run = record.runId ? ` (run ${record.runId})` : ''
  if (options.interrupted) {
    record.outcome = 'interrupted'
    const what = record.enqueued
      ? `the run${run} goes on on the gateway`
      : details.sent === true
        ? 'cron.run had been sent, so a run may have started'
        : 'nothing was run'
    return {
      ok: false,
      record,
      code: 'INTERRUPTED',
      message: `stopped waiting for ${name}: ${what}`,
      remedy: "Look at the job's run history to see how it ends.",
    }
  }
  if (error instanceof ClientError && error.code === 'WAIT_TIMEOUT') {
    record.outcome = 'timeout'
    record.enqueued = true
    return { ok: false, record, code: error.code, message: error.message, remedy: error.remedy }
  }
  if (error instanceof ClawlinkError && record.enqueued) {
    record.outcome = 'interrupted'
    return { ok: false, record, code: error.code, message: error.message, remedy: error.remedy }
  }
  return undefined
}
