import { describe, expect, it } from 'vitest'
import { type PaceClock, WritePacer } from './cron-apply.js'

function fakeClock(): PaceClock & { t: number; slept: number[] } {
  const c = {
    t: 0,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.slept.push(ms)
      c.t += ms
    },
  }
  return c
}

describe('WritePacer', () => {
  it('never lets more than max writes of a method into any window', async () => {
    const clock = fakeClock()
    const pacer = new WritePacer({ max: 30, windowMs: 60_000 }, clock)
    const times: number[] = []
    for (let i = 0; i < 100; i++) {
      await pacer.take('cron.add')
      times.push(clock.t)
      clock.t += 10 // each write takes 10 ms
    }
    for (let i = 30; i < times.length; i++) expect(times[i]! - times[i - 30]!).toBeGreaterThanOrEqual(60_000)
    expect(clock.slept.length).toBe(3) // 100 writes: three waits for a window
    expect(times[99]).toBeLessThan(4 * 61_000)
  })

  it('counts methods apart and predicts the wait', async () => {
    const clock = fakeClock()
    const pacer = new WritePacer({ max: 2, windowMs: 1000 }, clock)
    await pacer.take('cron.add')
    await pacer.take('cron.add')
    await pacer.take('cron.remove')
    expect(clock.slept).toEqual([])
    expect(pacer.delayFor('cron.add')).toBeGreaterThanOrEqual(1000)
    expect(pacer.etaMs({ 'cron.remove': 1 })).toBe(0)
    expect(pacer.etaMs({ 'cron.add': 5 })).toBeGreaterThanOrEqual(2000)
  })
})
