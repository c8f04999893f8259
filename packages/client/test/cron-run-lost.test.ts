/**
 * A drop between sending `cron.run` and its answer, against the fake gateway behind the test kit's proxy: the
 * client asks the gateway whether the run started and never sends `cron.run` again.
 */
import { startProxy, type TcpProxy } from '@clawlink/testkit/proxy'
import { afterEach, describe, expect, it } from 'vitest'
import { judgeRun, runJob } from '../src/index.js'
import { cleanupAfterEach, client, gateway } from './fixture.js'
import { createTestSigner } from './helpers.js'

cleanupAfterEach()
const proxies: TcpProxy[] = []
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()))
})

async function setUp(flavor: '3.13' | '9.6', runDurationMs: number) {
  const gw = await gateway({ flavor })
  const job = gw.addJob({ name: 'lost-answer', runDurationMs })
  const proxy = await startProxy({ port: gw.port })
  proxies.push(proxy)
  const c = client(gw, { url: proxy.url, signer: createTestSigner() })
  await c.connect()
  return { gw, job, proxy, c }
}

describe('runJob when the answer to cron.run is lost', () => {
  it.each(['3.13', '9.6'] as const)(
    'finds the running run and follows it to its end (%s)',
    async (flavor) => {
      const { gw, proxy, c } = await setUp(flavor, 1500)
      void proxy.holdAfter('"method":"cron.run"').then(() => proxy.cut('reset'))
      const outcome = await runJob(c, {
        ref: 'lost-answer',
        wait: true,
        pollIntervalMs: 100,
        timeoutMs: 10_000,
      })
      expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
      expect(gw.requests('cron.run')).toHaveLength(1)
      expect(proxy.connections).toBe(2)
    },
  )

  it.each(['3.13', '9.6'] as const)('reports a run that already finished (%s)', async (flavor) => {
    const { gw, proxy, c } = await setUp(flavor, 10)
    void proxy.holdAfter('"method":"cron.run"').then(async () => {
      while (gw.requests('cron.run').length === 0) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 200)) // the 10 ms run is over before the client asks
      proxy.cut('reset')
    })
    const outcome = await runJob(c, { ref: 'lost-answer', wait: false, timeoutMs: 10_000 })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('says plainly that a run that never reached the gateway did not start, without sending it again', async () => {
    const { gw, proxy, c } = await setUp('9.6', 100)
    void proxy.cutOn('"method":"cron.run"')
    const outcome = await runJob(c, {
      ref: 'lost-answer',
      wait: true,
      timeoutMs: 10_000,
      lostAnswerGraceMs: 2000,
    })
    expect(outcome).toMatchObject({ kind: 'not-run', reason: 'not-started' })
    expect(judgeRun(outcome)).toMatchObject({
      ok: false,
      code: 'NOT_RUN',
      message: expect.stringMatching(/did not start/),
    })
    expect(gw.requests('cron.run')).toHaveLength(0)
    expect(proxy.clientFrames.filter((f) => f.text.includes('"method":"cron.run"'))).toHaveLength(1)
  })
})
