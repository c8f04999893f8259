import { describe, expect, it } from 'vitest'
import {
  evaluateSchedule,
  type ScheduleVerdict,
  staggerWindowMs,
  TOP_OF_HOUR_STAGGER_MS,
} from './fire-schedule.js'

const MIN = 60_000
const at = (iso: string) => Date.parse(iso)

function fires(v: ScheduleVerdict) {
  if (!v.ok) throw new Error(`not evaluated: ${v.reason}`)
  return v.fires.map((f) => [new Date(f.expectedAtMs).toISOString(), f.status])
}

describe('evaluateSchedule: cron', () => {
  it('judges each slot of */10 in UTC: every third run missing, one late, the future slot not judged', () => {
    const from = at('2026-05-01T10:00:00Z')
    const runs = [0, 10, 30, 40].map((m) => ({ runAtMs: from + m * MIN + 2000 }))
    runs.push({ runAtMs: from + 53 * MIN }) // the 10:50 slot ran 3 min late (grace 1 min)
    const v = evaluateSchedule({ kind: 'cron', expr: '*/10 * * * *', tz: 'UTC' }, runs, {
      fromMs: from,
      nowMs: from + 60 * MIN + 30_000, // 11:00's grace has not passed
    })
    expect(fires(v)).toEqual([
      ['2026-05-01T10:00:00.000Z', 'ran'],
      ['2026-05-01T10:10:00.000Z', 'ran'],
      ['2026-05-01T10:20:00.000Z', 'missed'],
      ['2026-05-01T10:30:00.000Z', 'ran'],
      ['2026-05-01T10:40:00.000Z', 'ran'],
      ['2026-05-01T10:50:00.000Z', 'late'],
    ])
  })

  it('follows the time zone across a DST change (Europe/Berlin, 29 March 2026)', () => {
    const v = evaluateSchedule({ kind: 'cron', expr: '0 9 * * *', tz: 'Europe/Berlin' }, [], {
      fromMs: at('2026-03-27T00:00:00Z'),
      nowMs: at('2026-03-31T00:00:00Z'),
    })
    expect(fires(v)).toEqual([
      ['2026-03-27T08:00:00.000Z', 'missed'],
      ['2026-03-28T08:00:00.000Z', 'missed'],
      ['2026-03-29T07:00:00.000Z', 'missed'],
      ['2026-03-30T07:00:00.000Z', 'missed'],
    ])
  })

  it('widens top-of-hour slots by the 5-minute stagger; a fixed hour stays exact; staggerMs overrides', () => {
    expect(staggerWindowMs({ expr: '0 * * * *' })).toBe(TOP_OF_HOUR_STAGGER_MS)
    expect(staggerWindowMs({ expr: '0 0 */2 * * *' })).toBe(TOP_OF_HOUR_STAGGER_MS)
    expect(staggerWindowMs({ expr: '0 7 * * *' })).toBe(0)
    expect(staggerWindowMs({ expr: '0 * * * *', staggerMs: 0 })).toBe(0)
    const from = at('2026-05-01T06:30:00Z')
    const opts = { fromMs: from, nowMs: from + 60 * MIN }
    const runs = [{ runAtMs: at('2026-05-01T07:04:30Z') }]
    expect(fires(evaluateSchedule({ kind: 'cron', expr: '0 * * * *', tz: 'UTC' }, runs, opts))).toEqual([
      ['2026-05-01T07:00:00.000Z', 'ran'],
    ])
    expect(fires(evaluateSchedule({ kind: 'cron', expr: '0 7 * * *', tz: 'UTC' }, runs, opts))).toEqual([
      ['2026-05-01T07:00:00.000Z', 'late'],
    ])
    const exact = { kind: 'cron', expr: '0 * * * *', tz: 'UTC', staggerMs: 0 }
    expect(fires(evaluateSchedule(exact, runs, opts))).toEqual([['2026-05-01T07:00:00.000Z', 'late']])
  })

  it('reports what it cannot evaluate, with the reason', () => {
    const o = { fromMs: 0, nowMs: MIN }
    const bad = evaluateSchedule({ kind: 'cron', expr: '61 * * * *' }, [], o)
    expect(bad.ok).toBe(false)
    expect(!bad.ok && bad.reason).toMatch(/cannot evaluate cron "61 \* \* \* \*"/)
    const tz = evaluateSchedule({ kind: 'cron', expr: '* * * * *', tz: 'Mars/Olympus' }, [], o)
    expect(!tz.ok && tz.reason).toMatch(/Mars\/Olympus/)
    const kind = evaluateSchedule({ kind: 'on-exit', command: 'x' }, [], o)
    expect(!kind.ok && kind.reason).toMatch(/"on-exit" has no fire times/)
    expect(evaluateSchedule({ kind: 'every', everyMs: 0 }, [], o).ok).toBe(false)
  })
})

describe('evaluateSchedule: every and at', () => {
  it('every 20 s from the creation: no runs means every slot is missed', () => {
    const created = at('2026-05-01T10:00:05Z')
    const v = evaluateSchedule({ kind: 'every', everyMs: 20_000 }, [], {
      fromMs: created - 3600_000,
      nowMs: created + 75_000,
      createdAtMs: created,
    })
    // slots at +20, +40, +60 s; +80 s is in the future
    expect(fires(v)).toEqual([
      ['2026-05-01T10:00:25.000Z', 'missed'],
      ['2026-05-01T10:00:45.000Z', 'missed'],
      ['2026-05-01T10:01:05.000Z', 'missed'],
    ])
  })

  it('every 10 min on its anchor; a late run re-anchors the next slot on itself, as the gateway does', () => {
    const anchor = at('2026-05-01T00:00:00Z')
    const runs = [
      { runAtMs: anchor + 10 * MIN },
      { runAtMs: anchor + 24 * MIN },
      { runAtMs: anchor + 34 * MIN },
    ]
    const v = evaluateSchedule({ kind: 'every', everyMs: 10 * MIN, anchorMs: anchor }, runs, {
      fromMs: anchor + 5 * MIN,
      nowMs: anchor + 60 * MIN,
    })
    expect(fires(v)).toEqual([
      ['2026-05-01T00:10:00.000Z', 'ran'],
      ['2026-05-01T00:20:00.000Z', 'late'],
      ['2026-05-01T00:34:00.000Z', 'ran'],
      ['2026-05-01T00:44:00.000Z', 'missed'],
      ['2026-05-01T00:54:00.000Z', 'missed'],
    ])
  })

  it('a one-shot at: missed, ran, late; outside the window nothing', () => {
    const t = at('2026-05-01T12:00:00Z')
    const o = { fromMs: t - 3600_000, nowMs: t + 3600_000 }
    const s = { kind: 'at', at: '2026-05-01T12:00:00Z' }
    expect(fires(evaluateSchedule(s, [], o))).toEqual([['2026-05-01T12:00:00.000Z', 'missed']])
    expect(fires(evaluateSchedule(s, [{ runAtMs: t + 500 }], o))).toEqual([
      ['2026-05-01T12:00:00.000Z', 'ran'],
    ])
    expect(fires(evaluateSchedule(s, [{ runAtMs: t + 10 * MIN }], o))).toEqual([
      ['2026-05-01T12:00:00.000Z', 'late'],
    ])
    expect(fires(evaluateSchedule(s, [], { fromMs: t + MIN, nowMs: t + 2 * MIN }))).toEqual([])
    expect(evaluateSchedule({ kind: 'at', at: 'tomorrow-ish' }, [], o).ok).toBe(false)
  })
})
