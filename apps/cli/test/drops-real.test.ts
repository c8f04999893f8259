/**
 * `clawlink cron run --wait` through the test kit's TCP proxy on real gateways, a 25 s agent turn each time:
 * the connection cut twice during the wait, and the answer to `cron.run` held back and then cut. Versions and
 * scenarios run concurrently (the harness lets a gateway run 4 cron jobs at once).
 */
import { randomUUID } from 'node:crypto'
import { addAgentJob, type RunningGateway, realGatewaysOrSkip, runCount } from '@clawlink/testkit/harness'
import { cutTwiceAfterCronRun, requestsSent, startProxy, type TcpProxy } from '@clawlink/testkit/proxy'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, {
  pool: 'drops',
  versions: ['2026.9.6', '2026.3.13'],
})
const wanted = gateways.filter((g) => g.version === '2026.9.6' || g.version === '2026.3.13')
const proxies: TcpProxy[] = []

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()))
})

const each = <T>(fn: (gw: RunningGateway) => Promise<T>): Promise<T[]> => Promise.all(wanted.map(fn))

/** A proxy in front of `gw`, a slow job, and `cron run --wait --json` through the proxy (not yet awaited). */
async function runThroughProxy(gw: RunningGateway, what: string) {
  const proxy = await startProxy({ port: gw.port })
  proxies.push(proxy)
  const jobId = await addAgentJob(gw, `cli-drops-${what}-${randomUUID().slice(0, 8)}`, {
    behaviour: 'slow:25',
  })
  const box = sandbox(gw.token)
  const args = ['cron', 'run', jobId, '--wait', '--json', '--timeout', '4m']
  const run = runCli([...args, '--url', proxy.url, '--token-file', box.tokenFile], box.env, 270_000)
  return { proxy, jobId, run }
}

describe
  .skipIf(skipReason !== undefined || wanted.length === 0)
  .concurrent(`cron run --wait through a proxy that drops ${skipReason ?? ''}`, () => {
    it('cut twice during the wait: exit 0 with the summary, one run on the gateway', async () => {
      await each(async (gw) => {
        const { proxy, jobId, run } = await runThroughProxy(gw, 'cut')
        await cutTwiceAfterCronRun(proxy)
        const r = await run
        expect(r.code, `${gw.version}: ${r.stdout}${r.stderr}`).toBe(0)
        const doc = JSON.parse(r.stdout)
        expect(doc, gw.version).toMatchObject({
          ok: true,
          outcome: 'finished',
          succeeded: true,
          status: 'ok',
        })
        expect(typeof doc.summary, gw.version).toBe('string')
        expect(proxy.connections, gw.version).toBeGreaterThanOrEqual(3)
        expect(requestsSent(proxy, 'cron.run'), gw.version).toBe(1)
        expect(await runCount(gw, jobId), gw.version).toBe(1)
      })
    }, 300_000)

    it("cron.run's answer held back, then cut: exit 0 with the run's real outcome, sent once", async () => {
      await each(async (gw) => {
        const { proxy, jobId, run } = await runThroughProxy(gw, 'held')
        await proxy.holdAfter('"method":"cron.run"')
        proxy.cut('reset')
        const r = await run
        expect(r.code, `${gw.version}: ${r.stdout}${r.stderr}`).toBe(0)
        expect(JSON.parse(r.stdout), gw.version).toMatchObject({
          ok: true,
          outcome: 'finished',
          succeeded: true,
        })
        expect(requestsSent(proxy, 'cron.run'), gw.version).toBe(1)
        expect(await runCount(gw, jobId), gw.version).toBe(1)
      })
    }, 300_000)
  })
