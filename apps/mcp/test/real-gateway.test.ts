import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip()

describe.skipIf(skipReason !== undefined)(
  `clawlink-mcp against real OpenClaw gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    const closers: (() => Promise<void>)[] = []
    afterAll(async () => {
      for (const close of closers) await close().catch(() => {})
    })

    for (const gw of gateways) {
      it(`${gw.version}: list, run by name, run with wait, runs`, { timeout: 120_000 }, async () => {
        const name = `mcp-e2e-${gw.version}-${Date.now()}`
        const id = await addModelFreeJob(gw, name, `hello from mcp ${gw.version}`)
        const s = await connectServer({ token: gw.token, args: ['--url', gw.url] })
        closers.push(s.close)

        const listed = await s.client.callTool({ name: 'list_cron_jobs', arguments: { query: name } })
        expect(listed.isError, JSON.stringify(listed.content)).toBeFalsy()
        expect((listed.structuredContent as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([id])

        const quick = await s.client.callTool({ name: 'run_cron_job', arguments: { job: name } })
        expect(quick.isError, JSON.stringify(quick.content)).toBeFalsy()
        expect(quick.structuredContent).toMatchObject({ job: { id, name }, enqueued: true })

        // 5.7 reports a run started right after the first as already running only while it runs; wait for it.
        await new Promise((r) => setTimeout(r, 1500))
        const waited = await s.client.callTool({
          name: 'run_cron_job',
          arguments: { job: name, wait: true, timeoutSeconds: 60 },
        })
        expect(waited.isError, JSON.stringify(waited.content)).toBeFalsy()
        expect(waited.structuredContent).toMatchObject({
          enqueued: true,
          status: 'ok',
          summary: `hello from mcp ${gw.version}`,
        })

        const runs = await s.client.callTool({ name: 'get_cron_runs', arguments: { job: id, limit: 5 } })
        expect(runs.isError, JSON.stringify(runs.content)).toBeFalsy()
        const entries = (runs.structuredContent as { runs: { status: string | null }[] }).runs
        expect(entries.length).toBeGreaterThanOrEqual(1)
        expect(entries[0]?.status).toBe('ok')

        const status = await s.client.callTool({ name: 'cron_status', arguments: {} })
        // storage only where the gateway says it (9.x: sqlite); never invented for 3.13/5.7.
        expect(status.structuredContent).toMatchObject({
          enabled: true,
          storage: gw.version.startsWith('2026.9') ? 'sqlite' : null,
        })

        const preview = await s.client.callTool({ name: 'preview_cron_job', arguments: { job: name } })
        expect(preview.structuredContent).toMatchObject({
          job: { id, name },
          payload: { kind: 'systemEvent', text: `hello from mcp ${gw.version}` },
          runnable: true,
        })
      })
    }
  },
)
