/**
 * run_cron_job through the test kit's TCP proxy on real gateways, via the official SDK client: a 25 s agent turn
 * with the connection cut twice during the wait returns the ok result, and the gateway has exactly one run.
 */
import { randomUUID } from 'node:crypto'
import { addAgentJob, type RunningGateway, realGatewaysOrSkip, runCount } from '@clawlink/testkit/harness'
import { cutTwiceAfterCronRun, requestsSent, startProxy, type TcpProxy } from '@clawlink/testkit/proxy'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, {
  pool: 'drops',
  versions: ['2026.9.6', '2026.3.13'],
})
const wanted = gateways.filter((g) => g.version === '2026.9.6' || g.version === '2026.3.13')
const cleanup: Array<() => Promise<unknown>> = []

afterAll(async () => {
  await Promise.allSettled(cleanup.map((fn) => fn()))
})

describe.skipIf(skipReason !== undefined || wanted.length === 0)(
  `run_cron_job through a proxy that drops ${skipReason ?? ''}`,
  () => {
    it('a 25 s run with the connection cut twice: the ok result, one run on the gateway', async () => {
      await Promise.all(
        wanted.map(async (gw: RunningGateway) => {
          const proxy: TcpProxy = await startProxy({ port: gw.port })
          cleanup.push(() => proxy.close())
          const mcp = await connectServer({ token: gw.token, args: ['--url', proxy.url] })
          cleanup.push(() => mcp.close())
          const name = `mcp-drops-${randomUUID().slice(0, 8)}`
          const jobId = await addAgentJob(gw, name, { behaviour: 'slow:25' })
          const call = mcp.client.callTool(
            { name: 'run_cron_job', arguments: { job: name, wait: true, timeoutSeconds: 240 } },
            undefined,
            { resetTimeoutOnProgress: true, onprogress: () => {} },
          )
          await cutTwiceAfterCronRun(proxy)
          const r = await call
          expect(r.isError, `${gw.version}: ${text(r)} ${mcp.stderr()}`).not.toBe(true)
          expect(r.structuredContent, gw.version).toMatchObject({
            ok: true,
            outcome: 'finished',
            succeeded: true,
            status: 'ok',
          })
          expect(proxy.connections, gw.version).toBeGreaterThanOrEqual(3)
          expect(requestsSent(proxy, 'cron.run'), gw.version).toBe(1)
          expect(await runCount(gw, jobId), gw.version).toBe(1)
        }),
      )
    }, 300_000)
  },
)
