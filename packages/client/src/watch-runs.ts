import { type CronRunEntry, parseCronEvent, parseCronRuns, runSucceeded } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'

/** One line of the feed of runs ({@link watchRuns}); gateway text in it is raw: presenters escape it. */
export type RunFeedRecord =
  | {
      kind: 'started'
      jobId: string
      /** The job's name when the gateway said it (5.7/9.x started events carry the job) or it was seen before. */
      jobName: string | undefined
      runId: string | undefined
      /** On the gateway's clock. */
      runAtMs: number | undefined
    }
  | {
      kind: 'finished'
      jobId: string
      jobName: string | undefined
      runId: string | undefined
      status: string | undefined
      completionStatus: string | undefined
      succeeded: boolean
      durationMs: number | undefined
      summary: string | undefined
      error: string | undefined
      sessionKey: string | undefined
      /** `poll`: learnt from the run history after a reconnect (its `finished` event was missed). */
      observedBy: 'event' | 'poll'
    }
  | { kind: 'connection-lost'; error: Error }
  /**
   * The connection is back. `checked`: the finishes missed meanwhile were looked up in the run history (and
   * follow as `finished` records with `observedBy: 'poll'`); `note` says why not, or what may still be missing.
   */
  | { kind: 'reconnected'; checked: boolean; note: string | undefined }

/** Options of {@link watchRuns}. */
export type WatchRunsOptions = {
  /** Only this job's runs. */
  jobId?: string
  /** Ends the feed; `watchRuns` then resolves. */
  signal: AbortSignal
  onEvent: (record: RunFeedRecord) => void
}

// Names and finished runs remembered, so memory stays flat however long the feed runs.
const MAX_NAMES = 1000
const MAX_REPORTED = 500
const HISTORY_LIMIT = 50

/** A bounded insertion-ordered map: the oldest entry goes when it is full. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as K)
}

function jobNameOf(payload: unknown): string | undefined {
  const job = (payload as { job?: { name?: unknown } } | null)?.job
  const name = job?.name
  return typeof name === 'string' && name.length > 0 && name.length <= 300 ? name : undefined
}

/**
 * A live feed of cron runs on the gateway (`cron runs --follow`): `started` and `finished` records of every job
 * (or one), from `cron` events. It goes on across reconnects (the client must be created with `reconnect`):
 * after one it emits `reconnected` and looks up the finishes it missed in `cron.runs`. Resolves when `signal`
 * aborts. Memory is bounded (the last 1000 job names, the last 500 finished runs for de-duplication).
 */
export async function watchRuns(client: GatewayClient, options: WatchRunsOptions): Promise<void> {
  const { signal } = options
  if (signal.aborted) return
  const names = new Map<string, string>()
  const reported = new Map<string, true>()
  let lostAt: number | undefined
  const emit = (record: RunFeedRecord): void => {
    if (signal.aborted) return
    try {
      options.onEvent(record)
    } catch {
      // A presenter's bug must not end the feed.
    }
  }
  const finished = (entry: FinishedFields, observedBy: 'event' | 'poll'): void => {
    const key = `${entry.jobId}|${entry.runId ?? ''}|${entry.runAtMs ?? ''}`
    if (reported.has(key)) return
    remember(reported, key, true, MAX_REPORTED)
    emit(finishedRecord(entry, names.get(entry.jobId), observedBy))
  }
  const offEvent = client.on('cron', (frame) => {
    const event = parseCronEvent(frame.payload)
    if (!event || (options.jobId !== undefined && event.jobId !== options.jobId)) return
    const name = jobNameOf(frame.payload)
    if (name) remember(names, event.jobId, name, MAX_NAMES)
    if (event.action === 'started')
      emit({
        kind: 'started',
        jobId: event.jobId,
        jobName: names.get(event.jobId),
        runId: event.runId,
        runAtMs: event.runAtMs,
      })
    else if (event.action === 'finished') finished(event, 'event')
  })
  const offConnection = client.onConnectionChange((change) => {
    if (change.kind === 'disconnected') {
      lostAt ??= client.gatewayNow()
      emit({ kind: 'connection-lost', error: change.error })
      return
    }
    if (lostAt === undefined) return
    const since = lostAt
    lostAt = undefined
    void missedSince(client, options.jobId, since, signal).then(({ entries, checked, note }) => {
      emit({ kind: 'reconnected', checked, note })
      for (const entry of entries) finished(entry, 'poll')
    })
  })
  try {
    if (!client.hello) await client.connect({ signal }).catch(() => undefined)
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
    })
  } finally {
    offEvent()
    offConnection()
  }
}

type FinishedFields = Pick<
  CronRunEntry,
  'runId' | 'status' | 'completionStatus' | 'durationMs' | 'summary' | 'error' | 'sessionKey' | 'runAtMs'
> & { jobId: string }

function finishedRecord(
  entry: FinishedFields,
  jobName: string | undefined,
  observedBy: 'event' | 'poll',
): RunFeedRecord {
  return {
    kind: 'finished',
    jobId: entry.jobId,
    jobName,
    runId: entry.runId,
    status: entry.status,
    completionStatus: entry.completionStatus,
    succeeded: runSucceeded(entry),
    durationMs: entry.durationMs,
    summary: entry.summary,
    error: entry.error,
    sessionKey: entry.sessionKey,
    observedBy,
  }
}

// Rounding between the gateway's clock and our estimate of it (docs/protocol.md §7.3).
const SLACK_MS = 1000

/** Runs that finished since `sinceMs` (gateway clock), oldest first, from the run history; or why not. */
async function missedSince(
  client: GatewayClient,
  jobId: string | undefined,
  sinceMs: number,
  signal: AbortSignal,
): Promise<{ entries: FinishedFields[]; checked: boolean; note: string | undefined }> {
  const params =
    jobId === undefined
      ? { scope: 'all', limit: HISTORY_LIMIT, sortDir: 'desc' }
      : { id: jobId, limit: HISTORY_LIMIT, sortDir: 'desc' }
  try {
    const runs = parseCronRuns(await client.request('cron.runs', params, { signal }))
    const entries: FinishedFields[] = []
    for (const run of runs) {
      const endedAt = run.ts ?? (run.runAtMs ?? 0) + (run.durationMs ?? 0)
      if (run.jobId !== undefined && endedAt >= sinceMs - SLACK_MS) entries.push({ ...run, jobId: run.jobId })
    }
    const full = runs.length >= HISTORY_LIMIT && entries.length === runs.length
    const note = full
      ? `${HISTORY_LIMIT} or more runs ended meanwhile; only the last ${HISTORY_LIMIT} are shown`
      : undefined
    return { entries: entries.reverse(), checked: true, note }
  } catch (error) {
    const why = signal.aborted ? 'stopped' : error instanceof Error ? error.message : String(error)
    return {
      entries: [],
      checked: false,
      note: `could not read the run history (${why}); runs that ended while disconnected are not shown`,
    }
  }
}
