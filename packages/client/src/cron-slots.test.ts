import { Cron } from 'croner'
import { describe, expect, it } from 'vitest'
import { cronFireTimes } from './cron-slots.js'

/** The oracle: croner's own iteration in the named zone (or local time), one nextRun per fire. */
function byCroner(expr: string, tz: string | undefined, from: number, to: number): number[] {
  const cron = new Cron(expr, { paused: true, ...(tz ? { timezone: tz } : {}) })
  const out: number[] = []
  let cursor = new Date(from - 1)
  for (;;) {
    const next = cron.nextRun(cursor)
    if (!next || next.getTime() > to) return out
    out.push(next.getTime())
    cursor = next
  }
}

const DAY = 86_400_000
const EXPRESSIONS = [
  '5 * * * *',
  '0 * * * *',
  '*/15 * * * *',
  '30 2 * * *', // in the spring-forward gap of Europe/Berlin and America/New_York
  '30 1 * * 0', // repeated when New York falls back
  '0 9 * * 1-5',
  '0 0 1 * *',
  '0 0 L * *',
  '15 3 * * 5#2',
  '45 23 * * 6',
]
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Asia/Kolkata',
  'Pacific/Chatham',
  undefined,
]
// 40 days across every 2026 transition of these zones: New York 8 Mar, Berlin 29 Mar, Lord Howe and Chatham
// 5 Apr; Chatham 27 Sep, Lord Howe 4 Oct, Berlin 25 Oct, New York 1 Nov.
const WINDOWS = ['2026-03-05T07:13:00Z', '2026-09-24T11:00:00Z']

describe('cronFireTimes: the same fires as croner iterating in the zone', () => {
  for (const tz of ZONES) {
    it(`${tz ?? 'local time'}: ${EXPRESSIONS.length} expressions over 40-day windows across DST changes`, () => {
      for (const start of WINDOWS) {
        const from = Date.parse(start)
        const to = from + 40 * DAY + 1234
        for (const expr of EXPRESSIONS) {
          expect(cronFireTimes(expr, tz, from, to), `${expr} in ${tz} from ${start}`).toEqual(
            byCroner(expr, tz, from, to),
          )
        }
      }
    }, 60_000)
  }

  it('seconds-level expressions and a window shorter than a day', () => {
    const from = Date.parse('2026-03-29T00:30:00Z')
    for (const tz of ['Europe/Berlin', 'UTC'])
      for (const expr of ['*/20 * * * * *', '0 */7 * * * *'])
        expect(cronFireTimes(expr, tz, from, from + 3 * 3_600_000)).toEqual(
          byCroner(expr, tz, from, from + 3 * 3_600_000),
        )
  })

  it('an unknown zone or a bad expression throws, as croner does', () => {
    expect(() => cronFireTimes('5 * * * *', 'Mars/Olympus', 0, DAY)).toThrow()
    expect(() => cronFireTimes('61 * * * *', 'UTC', 0, DAY)).toThrow()
  })
})
