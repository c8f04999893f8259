import type { CronJob } from './cron-results.js'

/** Outcome of {@link matchCronJob}. */
export type CronJobMatch =
  | { kind: 'found'; job: CronJob; by: 'id' | 'name' }
  | { kind: 'ambiguous'; matches: CronJob[] }
  | { kind: 'none'; suggestions: CronJob[] }

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/**
 * Resolves a job reference the way users type it: an exact id, else an exact name (`cron.run` takes ids
 * only, docs/protocol.md §7.1). No match → up to 3 closest names (edit distance, case-insensitive; substrings first).
 */
export function matchCronJob(jobs: readonly CronJob[], ref: string): CronJobMatch {
  const byId = jobs.find((j) => j.id === ref)
  if (byId) return { kind: 'found', job: byId, by: 'id' }
  const byName = jobs.filter((j) => j.name === ref)
  if (byName.length === 1) return { kind: 'found', job: byName[0]!, by: 'name' }
  if (byName.length > 1) return { kind: 'ambiguous', matches: byName }
  const needle = ref.toLowerCase()
  const scored = jobs
    .map((job) => {
      const name = job.name.toLowerCase()
      const contains = name.includes(needle) || (name.length > 0 && needle.includes(name))
      return { job, score: contains ? 0 : editDistance(needle, name) }
    })
    .filter((s) => s.score <= Math.max(3, Math.floor(needle.length / 2)))
    .sort((a, b) => a.score - b.score || a.job.name.localeCompare(b.job.name))
  return { kind: 'none', suggestions: scored.slice(0, 3).map((s) => s.job) }
}

/** What identifies "my run" among cron events and run-log entries (docs/protocol.md §7.3). */
export interface CronRunRef {
  jobId: string
  /** The `runId` `cron.run` answered, when it did (5.7+). */
  runId?: string | undefined
  /** Gateway-clock time at which `cron.run` was sent; runs that started before it are someone else's. */
  notBeforeMs?: number | undefined
}

/** A finished-run candidate: a `finished` cron event or a `cron.runs` entry. */
export interface CronRunCandidate {
  jobId?: string | undefined
  runId?: string | undefined
  runAtMs?: number | undefined
  ts?: number | undefined
}

// Rounding between the gateway's run time and our estimate of its clock (one-way latency, ms resolution).
const RUN_TIME_SLACK_MS = 1000

/**
 * The one rule for "is this my run" (docs/protocol.md §7.3): the runId when both sides have one; otherwise (3.13 has no runIds)
 * the job id and a run time at or after `notBeforeMs`, both on the GATEWAY's clock — comparing the gateway's
 * `runAtMs` with the local clock misses every run of a gateway whose clock lags.
 */
export function matchCronRun(candidate: CronRunCandidate, ref: CronRunRef): boolean {
  if (candidate.jobId !== undefined && candidate.jobId !== ref.jobId) return false
  if (ref.runId !== undefined && candidate.runId !== undefined) return candidate.runId === ref.runId
  if (ref.notBeforeMs === undefined) return true
  const at = candidate.runAtMs ?? candidate.ts
  return at !== undefined && at >= ref.notBeforeMs - RUN_TIME_SLACK_MS
}

/** True when a reference looks like a job id the gateway minted (a UUID), not a name someone typed. */
export function looksLikeJobId(ref: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)
}
