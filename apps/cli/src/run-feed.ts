import { formatMs } from '@clawlink/client'
import { oneJsonLine, oneLine } from './output.js'

// `clawlink cron runs --follow`: one line per run that starts or finishes, human or JSON. Pure functions of what
// the client's live feed reports, so they are tested with synthetic entries (test/run-feed.test.ts).

/** A run that started or finished, as the feed shows it. */
export type FeedRun = {
  action: 'started' | 'finished'
  jobId: string
  jobName: string | undefined
  runId: string | undefined
  status: string | undefined
  completionStatus: string | undefined
  durationMs: number | undefined
  summary: string | undefined
  error: string | undefined
  /** When it happened (the gateway's time when it gave one, else when it arrived). */
  atMs: number
}

/** A notice about the feed itself (lost, back, what may have been missed). */
export type FeedNotice =
  | { kind: 'connection-lost'; error: string }
  | { kind: 'reconnected'; missed: boolean; atMs: number }

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19)

/** `08:12:03 ▶ nightly-report started (run r-1)` / `08:13:40 ✓ nightly-report ok in 97.0 s: summary`. */
export function feedLine(run: FeedRun, width = 160): string {
  const name = oneLine(run.jobName ?? run.jobId)
  const id = run.runId ? ` (run ${oneLine(run.runId)})` : ''
  if (run.action === 'started') return `${clock(run.atMs)} ▶ ${name} started${id}`
  const status = run.status ?? run.completionStatus ?? 'finished'
  const ok = status === 'ok' || run.completionStatus === 'succeeded'
  const took = run.durationMs === undefined ? '' : ` in ${formatMs(run.durationMs)}`
  const what = ok ? run.summary : (run.error ?? run.summary)
  const line = `${clock(run.atMs)} ${ok ? '✓' : '✗'} ${name} ${oneLine(status)}${took}${id}${what ? `: ${oneLine(what)}` : ''}`
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}

export function feedNoticeLine(notice: FeedNotice): string {
  if (notice.kind === 'connection-lost')
    return `… connection lost (${oneLine(notice.error)}); reconnecting to go on following`
  return notice.missed
    ? `${clock(notice.atMs)} … reconnected; runs that started or finished meanwhile are not shown (see clawlink cron runs <job>)`
    : `${clock(notice.atMs)} … reconnected`
}

/** `--json`: one line per run or notice, `{"type": "started"|"finished"|"reconnected"|…}`. */
export function feedJson(item: FeedRun | FeedNotice): string {
  if ('kind' in item) return oneJsonLine({ type: item.kind, ...without(item, 'kind') })
  const { action, jobId, jobName, ...rest } = item
  const facts = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v ?? null]))
  return oneJsonLine({ type: action, job: { id: jobId, name: jobName ?? null }, ...facts })
}

function without<T extends object, K extends keyof T>(item: T, key: K): Omit<T, K> {
  const { [key]: _, ...rest } = item
  return rest
}
