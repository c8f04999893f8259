import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeGateway, serverFor, text, withCleanups } from './helpers.js'
import { connectHttp, type HttpServerProcess, startHttpServer } from './http-helpers.js'
import { type Answers, connectV2Http, connectV2Stdio, envelope, modernPost, rpcOf } from './modern-helpers.js'

// The 2026-07-28 era (SDK v2 client) next to the 2025-11-25 one (SDK v1 client), on the same server build.
withCleanups(afterEach)
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

const JOBS = [{ name: 'nightly' }, { name: 'purge' }]
const RUN_TOOLS = [
  'run_cron_job',
  'preview_cron_job',
  'list_cron_jobs',
  'get_cron_runs',
  'cron_status',
  'check_cron_jobs',
]

async function http(
  args: string[] = [],
): Promise<{ server: HttpServerProcess; gw: Awaited<ReturnType<typeof fakeGateway>> }> {
  const gw = await fakeGateway({ flavor: '9.6', jobs: JOBS })
  const server = await startHttpServer({ gateway: gw, args })
  cleanups.push(() => server.stop())
  return { server, gw }
}

function auditLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('2026-07-28 clients (SDK v2) and 2025-11-25 clients (SDK v1) on one server', () => {
  it('stdio: both eras list the same tools in the same order, each with an icon', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: JOBS })
    const modern = await connectV2Stdio({ gateway: gw })
    cleanups.push(modern.close)
    expect(modern.client.getProtocolEra()).toBe('modern')
    const legacy = await serverFor(gw)
    const a = (await modern.client.listTools()).tools
    const b = (await legacy.client.listTools()).tools
    expect(a.map((t) => t.name)).toEqual(RUN_TOOLS)
    expect(b.map((t) => t.name)).toEqual(RUN_TOOLS)
    for (const tool of [...a, ...b]) expect(tool.icons?.[0]?.mimeType).toBe('image/svg+xml')
  })

  it('stdio: a 2026-07-28 run reports progress and returns the run; preview and the allow-list hold', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: JOBS })
    const s = await connectV2Stdio({ gateway: gw, args: ['--allow-job', 'nightly'] })
    cleanups.push(s.close)
    const progress: string[] = []
    const run = await s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'nightly', wait: true } },
      { onprogress: (p) => progress.push(String(p.message)) },
    )
    expect(run.isError, text(run)).toBeFalsy()
    expect((run.structuredContent as { outcome: string }).outcome).toBe('finished')
    expect(progress.length).toBeGreaterThan(0)
    const refused = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'purge' } })
    expect(refused.isError).toBe(true)
    expect(text(refused)).toContain('[NOT_ALLOWED]')
    expect(gw.requests('cron.run')).toHaveLength(1)
    const preview = await s.client.callTool({ name: 'preview_cron_job', arguments: { job: 'nightly' } })
    expect(preview.isError, text(preview)).toBeFalsy()
  })

  it('stdio --confirm: the 2026-07-28 client is asked through an input-required result; no means no run', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: JOBS })
    const answers: Answers = { answer: { action: 'accept', content: { run: false } }, questions: [] }
    const s = await connectV2Stdio({ gateway: gw, args: ['--confirm'], answers })
    cleanups.push(s.close)
    const no = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(text(no)).toContain('[DECLINED]')
    expect(answers.questions).toHaveLength(1)
    expect(answers.questions[0]).toContain('Run the OpenClaw cron job "nightly"')
    expect(gw.requests('cron.run')).toHaveLength(0)
    answers.answer = { action: 'accept', content: { run: true } }
    const yes = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(yes.isError, text(yes)).toBeFalsy()
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('stdio --confirm: a 2026-07-28 client that cannot ask the user is refused, nothing runs', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: JOBS })
    const s = await connectV2Stdio({ gateway: gw, args: ['--confirm'] })
    cleanups.push(s.close)
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(text(r)).toContain('[CONFIRMATION_UNAVAILABLE]')
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('HTTP: one endpoint serves a v2 client on 2026-07-28 and a v1 client on 2025-11-25', async () => {
    const { server, gw } = await http()
    const modern = await connectV2Http(server.url, server.httpToken)
    cleanups.push(modern.close)
    expect(modern.client.getProtocolEra()).toBe('modern')
    const legacy = await connectHttp(server.url, server.httpToken)
    cleanups.push(legacy.close)
    expect((await modern.client.listTools()).tools.map((t) => t.name)).toEqual(RUN_TOOLS)
    expect((await legacy.client.listTools()).tools.map((t) => t.name)).toEqual(RUN_TOOLS)
    const progress: string[] = []
    const run = await modern.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'nightly', wait: true } },
      { onprogress: (p) => progress.push(String(p.message)) },
    )
    expect(run.isError, text(run)).toBeFalsy()
    expect(progress.length).toBeGreaterThan(0)
    const old = await legacy.client.callTool({ name: 'run_cron_job', arguments: { job: 'purge' } })
    expect(old.isError, text(old)).toBeFalsy()
    expect(gw.requests('cron.run')).toHaveLength(2)
  })

  it('HTTP: server/discover, resultType, and cache hints on tools/list', async () => {
    const { server } = await http()
    const discover = await rpcOf(
      await modernPost(server.url, server.httpToken, {
        method: 'server/discover',
        params: { _meta: envelope() },
      }),
    )
    // Every version the endpoint serves: 2026-07-28 per request, the 2025 versions the SDK accepts as sessions.
    expect(discover.result?.supportedVersions).toEqual([
      '2026-07-28',
      '2025-11-25',
      '2025-06-18',
      '2025-03-26',
      '2024-11-05',
      '2024-10-07',
    ])
    const list = await rpcOf(
      await modernPost(server.url, server.httpToken, { method: 'tools/list', params: { _meta: envelope() } }),
    )
    expect(list.result?.resultType).toBe('complete')
    expect(list.result?.ttlMs).toBe(60_000)
    expect(list.result?.cacheScope).toBe('private')
  })

  it('HTTP: a wrong or missing Mcp-Method/Mcp-Name header, or no _meta, is refused with an audit line and no run', async () => {
    const { server, gw } = await http()
    const log = join(server.home, 'clawlink', 'default', 'audit.jsonl')
    const call = {
      method: 'tools/call',
      params: { name: 'run_cron_job', arguments: { job: 'nightly' }, _meta: envelope() },
    }
    const wrongMethod = await modernPost(server.url, server.httpToken, call, { 'mcp-method': 'tools/list' })
    expect(wrongMethod.status).toBe(400)
    expect((await rpcOf(wrongMethod)).error?.code).toBe(-32020)
    const wrongName = await modernPost(server.url, server.httpToken, call, { 'mcp-name': 'list_cron_jobs' })
    expect((await rpcOf(wrongName)).error?.code).toBe(-32020)
    const noMethod = await modernPost(server.url, server.httpToken, call, { 'mcp-method': undefined })
    expect((await rpcOf(noMethod)).error?.code).toBe(-32020)
    const noMeta = await modernPost(server.url, server.httpToken, {
      ...call,
      params: { name: 'run_cron_job', arguments: { job: 'nightly' } },
    })
    // The spec's answer to a 2026-07-28 request (MCP-Protocol-Version header) without its `_meta` envelope:
    // -32602 naming the missing key, the one invalid-params error that is HTTP 400 (SDK inboundClassification).
    expect(noMeta.status).toBe(400)
    expect(await rpcOf(noMeta)).toMatchObject({
      error: { code: -32602, data: { envelope: { missing: ['_meta'] } } },
    })
    expect(gw.requests('cron.run')).toHaveLength(0)
    const lines = auditLines(log)
    expect(lines.filter((l) => l.code === 'HEADER_MISMATCH')).toHaveLength(3)
    expect(lines.at(-1)).toMatchObject({ tool: 'run_cron_job', outcome: 'refused', code: 'INVALID_PARAMS' })
    for (const l of lines) expect(l.outcome).toBe('refused')
    // the server is still up and serves a good request
    const good = await modernPost(server.url, server.httpToken, call)
    expect((await rpcOf(good)).result?.isError).toBeFalsy()
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('HTTP: the audit line of a 2026-07-28 call names its client and keeps its traceparent', async () => {
    const { server } = await http()
    const log = join(server.home, 'clawlink', 'default', 'audit.jsonl')
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const r = await modernPost(server.url, server.httpToken, {
      method: 'tools/call',
      params: { name: 'list_cron_jobs', arguments: {}, _meta: { ...envelope(), traceparent } },
    })
    expect((await rpcOf(r)).result?.isError).toBeFalsy()
    const [line] = auditLines(log)
    expect(line).toMatchObject({
      tool: 'list_cron_jobs',
      outcome: 'ok',
      traceparent,
      client: { name: 'raw-2026', version: '1' },
    })
  })

  it('HTTP --confirm: the 2026-07-28 client answers the input-required result and retries', async () => {
    const { server, gw } = await http(['--confirm'])
    const answers: Answers = { answer: { action: 'decline' }, questions: [] }
    const c = await connectV2Http(server.url, server.httpToken, 'modern', answers)
    cleanups.push(c.close)
    const no = await c.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(text(no)).toContain('[DECLINED]')
    expect(answers.questions).toHaveLength(1)
    answers.answer = { action: 'accept', content: { run: true } }
    const yes = await c.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(yes.isError, text(yes)).toBeFalsy()
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('stdio: a 2026-07-28 client cancels a waiting run; the call ends CANCELLED in the audit log', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'slow', runDurationMs: 20_000 }] })
    const s = await connectV2Stdio({ gateway: gw })
    cleanups.push(s.close)
    const abort = new AbortController()
    const call = s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'slow', wait: true, timeoutSeconds: 60 } },
      { signal: abort.signal, onprogress: () => abort.abort() },
    )
    await expect(call).rejects.toThrow()
    const log = join(s.home, 'clawlink', 'default', 'audit.jsonl')
    let lines: Record<string, unknown>[] = []
    for (let i = 0; i < 100 && lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      lines = (() => {
        try {
          return auditLines(log)
        } catch {
          return []
        }
      })()
    }
    expect(lines[0]).toMatchObject({ tool: 'run_cron_job', outcome: 'error', code: 'CANCELLED' })
  })
})
