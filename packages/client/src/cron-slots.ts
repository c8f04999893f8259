import { Cron } from 'croner'

/**
 * The times a cron expression fires in a window, through croner, fast enough for hundreds of jobs over 30 days.
 * Two facts of cron make most `nextRun` calls unnecessary; croner still decides every time:
 * - at a fixed UTC offset, a day either matches the day fields or not, and every matching day fires at the same
 *   times of day (the second/minute/hour fields do not depend on the day): croner gives the times of the first
 *   matching day, and one `nextRun` per matching day finds the next one;
 * - a time zone keeps one offset between its transitions: away from them (more than a day) it is a fixed offset,
 *   which croner evaluates some 20 times faster than a named zone; a day either side of a transition is left to
 *   croner's time-zone mode, with its own rules for skipped and repeated local times.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Z'])

/** A part of the window: `offsetMin` when the zone keeps that offset throughout, else evaluated in the zone. */
type Span = { from: number; to: number; offsetMin: number | undefined }

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(tz, f)
  }
  return f
}

/** The zone's offset from UTC at `t`, in minutes. @throws RangeError for an unknown zone */
function offsetMinutes(tz: string, t: number): number {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(new Date(t))) p[part.type] = Number(part.value)
  const local = Date.UTC(p.year as number, (p.month as number) - 1, p.day, p.hour, p.minute, p.second)
  return Math.round((local - Math.floor(t / 1000) * 1000) / MINUTE)
}

/** The window cut at the zone's offset changes: fixed-offset spans, and zone spans a day around each change. */
function spans(tz: string, from: number, to: number): Span[] {
  const step = 6 * HOUR
  const exact: Array<[number, number]> = []
  let prev = offsetMinutes(tz, from - DAY)
  for (let t = from - DAY + step; t <= to + DAY; t += step) {
    const off = offsetMinutes(tz, t)
    if (off !== prev) exact.push([t - step - DAY, t + DAY])
    prev = off
  }
  const out: Span[] = []
  let cursor = from
  for (const [a, b] of exact) {
    const start = Math.max(a, cursor)
    const end = Math.min(b, to)
    if (end <= start) continue
    if (start > cursor) out.push({ from: cursor, to: start, offsetMin: offsetMinutes(tz, cursor) })
    out.push({ from: start, to: end, offsetMin: undefined })
    cursor = end
  }
  if (cursor < to) out.push({ from: cursor, to, offsetMin: offsetMinutes(tz, cursor) })
  return out
}

/** Every fire in [from, to) by croner's own iteration (a zone span, or the machine's local time). */
function iterate(cron: Cron, from: number, to: number, out: number[]): void {
  let cursor = new Date(from - 1)
  for (;;) {
    const next = cron.nextRun(cursor)
    if (!next || next.getTime() >= to) return
    out.push(next.getTime())
    cursor = next
  }
}

/** Every fire in [from, to) at a fixed offset: the first matching day's times, repeated on each matching day. */
function byDay(expr: string, offsetMin: number, from: number, to: number, out: number[]): void {
  const cron = new Cron(expr, { paused: true, utcOffset: offsetMin })
  const shift = offsetMin * MINUTE
  const dayStart = (t: number): number => Math.floor((t + shift) / DAY) * DAY - shift
  let times: number[] | undefined
  let cursor = new Date(dayStart(from) - 1)
  for (;;) {
    const first = cron.nextRun(cursor)
    if (!first || first.getTime() >= to) return
    const day = dayStart(first.getTime())
    if (!times) {
      const today: number[] = []
      iterate(cron, day, day + DAY, today)
      times = today.map((t) => t - day)
    }
    for (const offset of times) {
      const t = day + offset
      if (t >= from && t < to) out.push(t)
    }
    cursor = new Date(day + DAY - 1)
  }
}

/**
 * The fire times of `expr` in [fromMs, toMs], in time zone `tz` (the machine's when undefined), ascending.
 * @throws Error from croner for an expression or zone it cannot read
 */
export function cronFireTimes(expr: string, tz: string | undefined, fromMs: number, toMs: number): number[] {
  const out: number[] = []
  const to = toMs + 1
  if (tz && UTC_ZONES.has(tz)) {
    byDay(expr, 0, fromMs, to, out)
    return out
  }
  if (!tz) {
    // The machine's zone by name, so the spans below apply (croner's local mode reads the same zone).
    const local = new Intl.DateTimeFormat().resolvedOptions().timeZone
    if (!local) {
      iterate(new Cron(expr, { paused: true }), fromMs, to, out)
      return out
    }
    return cronFireTimes(expr, local, fromMs, toMs)
  }
  new Cron(expr, { paused: true, timezone: tz }) // croner's verdict on the expression and the zone first
  for (const span of spans(tz, fromMs, to)) {
    if (span.offsetMin === undefined)
      iterate(new Cron(expr, { paused: true, timezone: tz }), span.from, span.to, out)
    else byDay(expr, span.offsetMin, span.from, span.to, out)
  }
  return out
}
