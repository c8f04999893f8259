import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from './backoff.js'

describe('backoffDelayMs', () => {
  it('doubles from 1 s with positive jitter', () => {
    expect(backoffDelayMs(0, {}, () => 0)).toBe(1000)
    expect(backoffDelayMs(0, {}, () => 1)).toBe(1200)
    expect(backoffDelayMs(1, {}, () => 0)).toBe(2000)
    expect(backoffDelayMs(3, {}, () => 0.5)).toBe(8800)
  })

  it('stays within 25–30 s at the cap', () => {
    for (const r of [0, 0.3, 0.99]) {
      const delay = backoffDelayMs(20, {}, () => r)
      expect(delay).toBeLessThanOrEqual(30_000)
      expect(delay).toBeGreaterThanOrEqual(25_000)
    }
    expect(backoffDelayMs(1000, { maxDelayMs: 500, initialDelayMs: 10, jitter: 0 })).toBe(500)
  })
})
