import type { ResolvedJob } from './cron-jobs.js'

/** Where a followed run stands, as the last event said (docs/protocol.md §7.7). */
export type RunPhase = 'queued' | 'started' | 'model' | 'tool' | 'retrying' | 'writing' | 'finishing'

/**
 * Steps of a run, for progress lines and MCP progress notifications. The first five come from every run; the
 * rest only while `wait` follows a run's live stream (`cron`, `task`, `agent` and `chat` events, docs/protocol.md
 * §7.7). Gateway text in them is raw: presenters escape it.
 */
export type RunProgress =
  | { kind: 'resolved'; job: ResolvedJob }
  | { kind: 'enqueued'; job: ResolvedJob; runId: string | undefined }
  | { kind: 'started'; job: ResolvedJob; runId: string | undefined }
  | { kind: 'connection-lost'; error: Error }
  | { kind: 'polling'; attempt: number }
  /** The connection is back after a loss; `missed` is true when events of the run may have been lost meanwhile. */
  | { kind: 'reconnected'; missed: boolean }
  /** The cron run was linked to its agent session (9.x `task` event; 3.13/5.7 the first event that names it). */
  | { kind: 'linked'; sessionKey: string }
  /** A model call began. */
  | { kind: 'model'; provider: string | undefined; model: string | undefined }
  | { kind: 'tool'; phase: 'start' | 'end'; name: string; ok: boolean | undefined }
  /** The gateway retries the model call: attempt n of max, after delayMs, because of reason. */
  | {
      kind: 'retrying'
      attempt: number | undefined
      max: number | undefined
      delayMs: number | undefined
      reason: string | undefined
    }
  /** The agent wrote text: `delta` is the new part (bounded), `totalChars` all text of this run so far. */
  | { kind: 'text'; delta: string; totalChars: number }
  | { kind: 'usage'; input: number | undefined; output: number | undefined; total: number | undefined }
  | { kind: 'finishing' }
  /** Nothing arrived for a while (every `heartbeatMs`): the wait is alive; `phase` is where the run stands. */
  | { kind: 'heartbeat'; elapsedMs: number; quietMs: number; phase: RunPhase }
