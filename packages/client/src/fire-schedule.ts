import { cronFireTimes } from './cron-slots.js'

/**
 * When a job's schedule says it should have fired (OpenClaw's schedule semantics, docs/protocol.md §7.1):
 * `cron` expressions through croner (the library OpenClaw itself uses) in the schedule's time zone, with the 9.x
 * stagger window; `every` on its anchor grid, re-anchored on each run as the gateway does; one-shot `at`.
 * Pure functions: the clock is a parameter.
 */

/** A fire the schedule implied, judged against the run history. */
export type FireMark = {
  /** The slot's time (gateway clock, ms); with a stagger window the fire is due anywhere up to `+ staggerMs`. */
  expectedAtMs: number
  status: 'ran' | 'late' | 'missed'
  /** The run that answered the slot (ran or late). */
  runAtMs?: number | undefined
  runId?: string | undefined
}

/** A run as the matcher needs it (a `cron.runs` entry's start time on the gateway's clock). */
export type RunAt = { runAtMs: number; runId?: string | undefined }

/** Options of {@link evaluateSchedule}. */
export type EvaluateOptions = {
  /** Start of the window (gateway clock, ms). */
  fromMs: number
  /** The gateway's now (ms); slots whose tolerance has not passed yet are not judged. */
  nowMs: number
  /** How long after its slot (and stagger window) a run still counts as on time. @default 60000 */
  graceMs?: number
  /** The job's creation time: an `every` schedule's default anchor, and no slot before it. */
  createdAtMs?: number | undefined
  /** The time zone of cron expressions without one (the gateway host's; this machine's when unknown). */
  defaultTimeZone?: string | undefined
  /** At most this many slots per job; the most recent are kept. @default 5000 */
  maxSlots?: number
  /** Slot lists already computed for the same expression, zone and window (jobs often share a schedule). */
  slotCache?: Map<string, number[]>
}

/** What {@link evaluateSchedule} found: the judged fires, or why the schedule cannot be evaluated. */
export type ScheduleVerdict =
  | { ok: true; fires: FireMark[]; staggerMs: number; notes: string[] }
  | { ok: false; reason: string }

// Rounding between the gateway's clock and our estimate of it, and between a slot and the run's recorded start.
const SLACK_MS = 1000
/** The 9.x/3.13 default stagger of recurring top-of-hour expressions (docs: automation/cron-jobs). */
export const TOP_OF_HOUR_STAGGER_MS = 5 * 60_000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Judges every slot the schedule implied in `[fromMs, nowMs]` against `runs` (any order). */
export function evaluateSchedule(
  schedule: unknown,
  runs: readonly RunAt[],
  options: EvaluateOptions,
): ScheduleVerdict {
  if (!isRecord(schedule)) return { ok: false, reason: 'the job has no schedule object' }
  const sorted = [...runs].sort((a, b) => a.runAtMs - b.runAtMs)
  const fromMs = Math.max(options.fromMs, options.createdAtMs ?? options.fromMs)
  const opts = { ...options, fromMs, graceMs: options.graceMs ?? 60_000, maxSlots: options.maxSlots ?? 5000 }
  switch (schedule.kind) {
    case 'cron':
      return evaluateCron(schedule, sorted, opts)
    case 'every':
      return evaluateEvery(schedule, sorted, opts)
    case 'at':
      return evaluateAt(schedule, sorted, opts)
    default:
      return {
        ok: false,
        reason: `schedule kind "${String(schedule.kind)}" has no fire times to check (only cron, every and at)`,
      }
  }
}

type Opts = Required<Pick<EvaluateOptions, 'fromMs' | 'nowMs' | 'graceMs' | 'maxSlots'>> & EvaluateOptions

/**
 * The stagger window of a cron schedule: an explicit `staggerMs`, else 5 minutes for a recurring top-of-hour
 * expression (minute 0 — and second 0 in a 6-field one — with a wildcard hour), else 0. The fields are only
 * split to recognise that documented shape; croner reads the expression itself.
 */
export function staggerWindowMs(schedule: Record<string, unknown>): number {
  const explicit = schedule.staggerMs
  if (typeof explicit === 'number' && Number.isFinite(explicit) && explicit >= 0) return Math.floor(explicit)
  const fields = typeof schedule.expr === 'string' ? schedule.expr.trim().split(/\s+/) : []
  const [minute, hour] = fields.length === 6 && fields[0] === '0' ? fields.slice(1) : fields
  const topOfHour = (fields.length === 5 || fields.length === 6) && minute === '0' && hour?.includes('*')
  return topOfHour ? TOP_OF_HOUR_STAGGER_MS : 0
}

function evaluateCron(schedule: Record<string, unknown>, runs: RunAt[], o: Opts): ScheduleVerdict {
  const expr = schedule.expr
  if (typeof expr !== 'string' || expr.trim() === '')
    return { ok: false, reason: 'cron schedule without expr' }
  const tz = typeof schedule.tz === 'string' && schedule.tz !== '' ? schedule.tz : o.defaultTimeZone
  const notes: string[] = []
  if (schedule.tz === undefined)
    notes.push(
      `no time zone in the schedule: evaluated in ${tz ?? 'this machine’s time zone'} (the gateway host's is unknown)`,
    )
  let slots: number[]
  try {
    slots = cronSlots(expr, tz, o)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return { ok: false, reason: `cannot evaluate cron "${expr}"${tz ? ` in ${tz}` : ''}: ${why}` }
  }
  const staggerMs = staggerWindowMs(schedule)
  const fires: FireMark[] = []
  let i = 0
  for (let s = 0; s < slots.length; s++) {
    const t = slots[s] as number
    const gap = (slots[s + 1] ?? t + 2 * o.graceMs) - t
    const onTimeEnd = t + staggerMs + Math.min(o.graceMs, Math.max(SLACK_MS, gap / 2))
    if (onTimeEnd > o.nowMs) break // not judged yet: its tolerance has not passed
    const nextSlot = slots[s + 1] ?? Number.POSITIVE_INFINITY
    while (i < runs.length && (runs[i] as RunAt).runAtMs < t - SLACK_MS) i++
    const run = runs[i]
    if (run && run.runAtMs <= onTimeEnd) {
      fires.push({ expectedAtMs: t, status: 'ran', runAtMs: run.runAtMs, runId: run.runId })
      i++
    } else if (run && run.runAtMs < nextSlot - SLACK_MS) {
      fires.push({ expectedAtMs: t, status: 'late', runAtMs: run.runAtMs, runId: run.runId })
      i++
    } else fires.push({ expectedAtMs: t, status: 'missed' })
  }
  return { ok: true, fires, staggerMs, notes }
}

/** The cron slots in the window (cron-slots.ts), the most recent `maxSlots`; shared by jobs with one schedule. */
function cronSlots(expr: string, tz: string | undefined, o: Opts): number[] {
  const key = `${expr}\u0000${tz ?? ''}\u0000${o.fromMs}\u0000${o.nowMs}`
  const cached = o.slotCache?.get(key)
  if (cached) return cached
  const all = cronFireTimes(expr, tz, o.fromMs, o.nowMs)
  const slots = all.length > o.maxSlots ? all.slice(all.length - o.maxSlots) : all
  o.slotCache?.set(key, slots)
  return slots
}

function evaluateEvery(schedule: Record<string, unknown>, runs: RunAt[], o: Opts): ScheduleVerdict {
  const everyMs = schedule.everyMs
  if (typeof everyMs !== 'number' || !Number.isFinite(everyMs) || everyMs < 1)
    return { ok: false, reason: `every schedule with an invalid everyMs (${String(everyMs)})` }
  const every = Math.floor(everyMs)
  const explicit = schedule.anchorMs
  if (explicit !== undefined && (typeof explicit !== 'number' || !Number.isFinite(explicit)))
    return { ok: false, reason: `every schedule with an invalid anchorMs (${String(explicit)})` }
  const anchor = (explicit as number | undefined) ?? o.createdAtMs
  if (anchor === undefined)
    return {
      ok: false,
      reason: 'every schedule without anchorMs, and the job has no createdAtMs to anchor it',
    }
  // The first slot on the anchor grid at or after the window start, at most maxSlots periods before now.
  // The gateway's first fire is the first grid point after the job's creation.
  const from = Math.max(o.fromMs, o.nowMs - every * o.maxSlots, (o.createdAtMs ?? 0) + 1)
  let t = from <= anchor ? anchor : anchor + Math.ceil((from - anchor) / every) * every
  const grace = Math.min(o.graceMs, Math.max(SLACK_MS, every / 2))
  const fires: FireMark[] = []
  let i = 0
  while (i < runs.length && (runs[i] as RunAt).runAtMs < from - SLACK_MS) i++
  for (;;) {
    // A run before the slot (a manual one, or a catch-up) re-anchors the next fire on it, as the gateway does.
    while (i < runs.length && (runs[i] as RunAt).runAtMs < t - SLACK_MS) {
      t = Math.max(t, (runs[i] as RunAt).runAtMs + every)
      i++
    }
    if (t + grace > o.nowMs) break
    const run = runs[i]
    if (run && run.runAtMs <= t + grace) {
      fires.push({ expectedAtMs: t, status: 'ran', runAtMs: run.runAtMs, runId: run.runId })
    } else if (run && run.runAtMs < t + every - SLACK_MS) {
      fires.push({ expectedAtMs: t, status: 'late', runAtMs: run.runAtMs, runId: run.runId })
    } else {
      fires.push({ expectedAtMs: t, status: 'missed' })
      t += every
      continue
    }
    i++
    t = run.runAtMs + every
  }
  return { ok: true, fires, staggerMs: 0, notes: [] }
}

function evaluateAt(schedule: Record<string, unknown>, runs: RunAt[], o: Opts): ScheduleVerdict {
  const at = schedule.at
  const t = typeof at === 'string' ? Date.parse(at) : typeof at === 'number' ? at : Number.NaN
  if (!Number.isFinite(t))
    return { ok: false, reason: `one-shot schedule with an unreadable time (${String(at)})` }
  // A one-shot set before the job existed fires at once when it is created: its slot is the creation.
  const slot = o.createdAtMs !== undefined && t < o.createdAtMs ? o.createdAtMs : t
  if (slot < o.fromMs - SLACK_MS || slot + o.graceMs > o.nowMs)
    return { ok: true, fires: [], staggerMs: 0, notes: [] }
  const run = runs.find((r) => r.runAtMs >= slot - SLACK_MS)
  const fire: FireMark = !run
    ? { expectedAtMs: slot, status: 'missed' }
    : {
        expectedAtMs: slot,
        status: run.runAtMs <= slot + o.graceMs ? 'ran' : 'late',
        runAtMs: run.runAtMs,
        runId: run.runId,
      }
  return { ok: true, fires: [fire], staggerMs: 0, notes: [] }
}
