import {
  applyCronPlan,
  createGatewayClient,
  listCronJobs,
  type PaceClock,
  WritePacer,
} from '@clawlink/client'
import { planCronApply } from '@clawlink/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fakeGatewayPerTest } from './helpers.js'

const fake = fakeGatewayPerTest()
afterEach(() => {
  vi.useRealTimers()
})

const jobs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `bulk-${i}`,
    enabled: false,
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'main',
    wakeMode: 'now',
    payload: { kind: 'systemEvent', text: `job ${i}` },
  }))

/** The clock the fake gateway counts with (Date is faked): a pacer's wait moves it on, so no real minute passes. */
const movingClock: PaceClock = {
  now: () => Date.now(),
  sleep: async (ms) => {
    vi.setSystemTime(Date.now() + ms)
  },
}

describe('cron apply on the 9.6 fake (cron write limit 30 per 60 s per method)', () => {
  async function setup() {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { gw } = await fake({ flavor: '9.6' })
    const client = createGatewayClient({ url: gw.url, token: gw.token, connectTimeoutMs: 10_000 })
    await client.connect()
    const target = { protocol: 4, version: '2026.9.6' }
    const plan = planCronApply(jobs(100), await listCronJobs(client), target)
    return { client, plan }
  }

  it('applies 100 jobs without a refusal when paced at the real limit', async () => {
    const { client, plan } = await setup()
    try {
      const progress: number[] = []
      const result = await applyCronPlan(client, plan, {
        pacer: new WritePacer(undefined, movingClock),
        onProgress: (p) => progress.push(p.etaMs),
      })
      expect(result.error).toBeUndefined()
      expect(result.applied).toHaveLength(100)
      expect(progress[0]).toBeGreaterThan(0) // an ETA while writes remain beyond the window
      expect(progress.at(-1)).toBe(0)
      expect((await listCronJobs(client)).filter((j) => j.name.startsWith('bulk-'))).toHaveLength(100)
    } finally {
      await client.close()
    }
  }, 30_000)

  it('without pacing the fake refuses the 31st write: apply stops and says what was not applied', async () => {
    const { client, plan } = await setup()
    try {
      const noPacing = new WritePacer({ max: 1000, windowMs: 1 }, movingClock)
      const result = await applyCronPlan(client, plan, { pacer: noPacing })
      expect(result.applied).toHaveLength(30)
      expect(result.notApplied).toHaveLength(70)
      expect((result.error as Error).message).toMatch(/rate limit/)
    } finally {
      await client.close()
    }
  }, 30_000)
})
