import { execFile } from 'node:child_process'
import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectServer, sandboxEnv, text } from './helpers.js'

// The CLI and run_cron_job present the same use-case (runJob); for every kind of outcome they must agree.
const CLI = new URL('../../cli/dist/clawlink.cjs', import.meta.url).pathname

let gw: FakeGateway
let box: ReturnType<typeof sandboxEnv>
let mcp: Awaited<ReturnType<typeof connectServer>>

beforeAll(async () => {
  gw = await startFakeGateway({
    flavor: '9.6',
    jobs: [
      { name: 'fine' },
      { name: 'broken', outcome: 'error' },
      { name: 'busy', runDurationMs: 30_000 },
      { name: 'later', nextRunAtMs: Date.now() + 3_600_000 },
    ],
  })
  box = sandboxEnv(gw.token ?? '')
  mcp = await connectServer({ token: gw.token, args: ['--url', gw.url] })
})
afterAll(async () => {
  await mcp?.close()
  await gw?.close()
})

function cli(args: string[]): Promise<{ code: number; doc: Record<string, unknown> }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'cron', 'run', ...args, '--json', '--url', gw.url, '--token-file', box.tokenFile],
      { env: box.env },
      (error, stdout) => {
        const code = error ? Number((error as { code?: number }).code ?? -1) : 0
        resolve({ code, doc: JSON.parse(stdout) as Record<string, unknown> })
      },
    )
  })
}

async function tool(args: Record<string, unknown>) {
  const r = await mcp.client.callTool({ name: 'run_cron_job', arguments: args })
  return {
    isError: r.isError === true,
    text: text(r),
    content: r.structuredContent as Record<string, unknown> | undefined,
  }
}

describe('the CLI and run_cron_job agree on every outcome', () => {
  it('ok: finished and succeeded, with a runId', async () => {
    const c = await cli(['fine', '--wait'])
    const m = await tool({ job: 'fine', wait: true })
    expect(c.code).toBe(0)
    expect(m.isError).toBe(false)
    for (const doc of [c.doc, m.content]) {
      expect(doc).toMatchObject({ outcome: 'finished', succeeded: true, status: 'ok', job: { name: 'fine' } })
      expect(doc?.runId).toMatch(/^manual:/)
    }
    // Both are the client's one record of the run: every fact they share is the same (two runs: ids and times differ).
    const shared = Object.keys(c.doc).filter(
      (k) => k in (m.content ?? {}) && !['runId', 'durationMs'].includes(k),
    )
    expect(shared).toEqual(
      expect.arrayContaining(['ok', 'job', 'outcome', 'status', 'succeeded', 'observedBy']),
    )
    for (const key of shared) expect(m.content?.[key], key).toEqual(c.doc[key])
  })

  it('error: a failed run is a failure (RUN_FAILED) in both', async () => {
    const c = await cli(['broken', '--wait'])
    const m = await tool({ job: 'broken', wait: true })
    expect(c.code).toBe(10)
    expect(c.doc).toMatchObject({ ok: false, error: { code: 'RUN_FAILED' } })
    expect(m.isError).toBe(true)
    expect(m.text).toContain('[RUN_FAILED]')
  })

  it('already-running: no new run, a failure (ALREADY_RUNNING) in both', async () => {
    await tool({ job: 'busy' })
    await new Promise((r) => setTimeout(r, 50))
    const c = await cli(['busy'])
    const m = await tool({ job: 'busy' })
    expect(c.code).toBe(13)
    expect(c.doc).toMatchObject({ ok: false, error: { code: 'ALREADY_RUNNING' } })
    expect(m.isError).toBe(true)
    expect(m.text).toContain('[ALREADY_RUNNING]')
  })

  it('not-due: a success that ran nothing, in both', async () => {
    const c = await cli(['later', '--due'])
    const m = await tool({ job: 'later', mode: 'due' })
    expect(c.code).toBe(0)
    expect(m.isError).toBe(false)
    for (const doc of [c.doc, m.content])
      expect(doc).toMatchObject({ outcome: 'not-run', reason: 'not-due', runId: null })
  })

  it('job gone: JOB_NOT_FOUND in both, nothing run', async () => {
    const before = gw.requests('cron.run').length
    const c = await cli(['no-such-job'])
    const m = await tool({ job: 'no-such-job' })
    expect(c.code).toBe(9)
    expect(c.doc).toMatchObject({ ok: false, error: { code: 'JOB_NOT_FOUND' } })
    expect(m.isError).toBe(true)
    expect(m.text).toContain('[JOB_NOT_FOUND]')
    expect(gw.requests('cron.run').length).toBe(before)
  })
})
