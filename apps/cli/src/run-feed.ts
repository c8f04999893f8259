import { formatMs, type RunFeedRecord } from '@clawlink/client'
import { oneJsonLine, oneLine } from './output.js'

// `clawlink cron runs --follow`: one line per run that starts or finishes, human or JSON. Pure functions of the
// client's feed records (watchRuns) and the time they arrived, tested with synthetic records (run-feed.test.ts).

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19)

/** Where a human line goes: runs on stdout (the command's output), notices about the feed on stderr. */
export type FeedOutput = { stream: 'stdout' | 'stderr'; text: string }

/**
 * `08:12:03 ▶ nightly started (run r-1)` / `08:13:40 ✓ nightly ok in 97.0 s (run r-1): summary` /
 * `✗ nightly error in 450 ms (run r-2): HTTP 400`; notices: lost, reconnected, what may have been missed.
 */
export function feedLine(record: RunFeedRecord, nowMs: number, width = 160): FeedOutput {
  const at = clock(nowMs)
  switch (record.kind) {
    case 'connection-lost':
      return {
        stream: 'stderr',
        text: `${at} … connection lost (${oneLine(record.error.message)}); reconnecting to go on following`,
      }
    case 'reconnected': {
      const note = record.note ? `; ${oneLine(record.note)}` : ''
      const checked = record.checked ? ' (runs that ended meanwhile are read from the run history)' : ''
      return { stream: 'stderr', text: `${at} … reconnected${checked}${note}` }
    }
    case 'started': {
      const id = record.runId ? ` (run ${oneLine(record.runId)})` : ''
      return { stream: 'stdout', text: `${at} ▶ ${oneLine(record.jobName ?? record.jobId)} started${id}` }
    }
    case 'finished': {
      const name = oneLine(record.jobName ?? record.jobId)
      const id = record.runId ? ` (run ${oneLine(record.runId)})` : ''
      const status = oneLine(record.status ?? record.completionStatus ?? 'finished')
      const took = record.durationMs === undefined ? '' : ` in ${formatMs(record.durationMs)}`
      const what = record.succeeded ? record.summary : (record.error ?? record.summary)
      const late = record.observedBy === 'poll' ? ' [while disconnected]' : ''
      const text = `${at} ${record.succeeded ? '✓' : '✗'} ${name} ${status}${took}${id}${late}${what ? `: ${oneLine(what)}` : ''}`
      return { stream: 'stdout', text: text.length > width ? `${text.slice(0, width - 1)}…` : text }
    }
  }
}

/** `--json`: one line per record, `{"type": "started"|"finished"|"connection-lost"|"reconnected", …, "atMs"}`. */
export function feedJson(record: RunFeedRecord, nowMs: number): string {
  if (record.kind === 'connection-lost')
    return oneJsonLine({ type: record.kind, error: record.error.message, atMs: nowMs })
  if (record.kind === 'reconnected')
    return oneJsonLine({ type: record.kind, checked: record.checked, note: record.note ?? null, atMs: nowMs })
  const { kind, jobId, jobName, ...rest } = record
  const facts = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v ?? null]))
  return oneJsonLine({ type: kind, job: { id: jobId, name: jobName ?? null }, ...facts, atMs: nowMs })
}
