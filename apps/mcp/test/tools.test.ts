import { spawn } from 'node:child_process'
import { startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, connectServer, text } from './helpers.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

describe('clawlink-mcp over stdio (SDK Client spawning the built server)', () => {
  it('lists six tools (no write tools by default) with input/output schemas and annotations', async () => {
    const s = await connectServer({})
    cleanups.push(s.close)
    const { tools } = await s.client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual([
      'check_cron_jobs',
      'cron_status',
      'get_cron_runs',
      'list_cron_jobs',
      'preview_cron_job',
      'run_cron_job',
    ])
    const run = tools.find((t) => t.name === 'run_cron_job')!
    expect(run.inputSchema.required).toEqual(['job'])
    expect(Object.keys(run.inputSchema.properties ?? {}).sort()).toEqual([
      'job',
      'mode',
      'timeoutSeconds',
      'wait',
    ])
    expect(run.outputSchema?.properties).toHaveProperty('runId')
    expect(run.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false })
    expect(run.execution).toMatchObject({ taskSupport: 'optional' })
    for (const name of [
      'list_cron_jobs',
      'get_cron_runs',
      'cron_status',
      'preview_cron_job',
      'check_cron_jobs',
    ]) {
      const tool = tools.find((t) => t.name === name)!
      expect(tool.annotations?.readOnlyHint, name).toBe(true)
      expect(tool.outputSchema, name).toBeDefined()
    }
  })

  it('--read-only hides run_cron_job', async () => {
    const s = await connectServer({ args: ['--read-only'] })
    cleanups.push(s.close)
    const { tools } = await s.client.listTools()
    expect(tools.map((t) => t.name)).not.toContain('run_cron_job')
    await expect(s.client.callTool({ name: 'run_cron_job', arguments: { job: 'x' } })).rejects.toThrow(
      /Tool run_cron_job not found/,
    )
  })

  it('writes nothing but JSON-RPC on stdout', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`)
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    })
    send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.includes('"id":2')) {
          clearInterval(check)
          resolve()
        }
      }, 20)
    })
    child.stdin.end()
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    const lines = out.trim().split('\n')
    expect(lines.length).toBe(2)
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
  })
})

describe('against the fake gateway', () => {
  it('runs by name, with the allow-list enforced', async () => {
    const gw = await startFakeGateway({
      flavor: '9.6',
      jobs: [{ name: 'nightly' }, { name: 'purge-everything' }],
    })
    cleanups.push(() => gw.close())
    const s = await connectServer({ token: gw.token, args: ['--url', gw.url, '--allow-job', 'nightly'] })
    cleanups.push(s.close)
    const ok = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: 'nightly', wait: true, timeoutSeconds: 10 },
    })
    expect(ok.isError).toBeFalsy()
    expect(ok.structuredContent).toMatchObject({ job: { name: 'nightly' }, enqueued: true, status: 'ok' })
    const refused = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'purge-everything' } })
    expect(refused.isError).toBe(true)
    expect(text(refused)).toMatch(/not in this server's allow-list.*Allowed jobs: nightly/)
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('an unknown job names the closest jobs', async () => {
    const gw = await startFakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly-report' }] })
    cleanups.push(() => gw.close())
    const s = await connectServer({ token: gw.token, args: ['--url', gw.url] })
    cleanups.push(s.close)
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly-reprot' } })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/did you mean "nightly-report"/i)
  })

  it('pairing required tells the assistant the approve command with the requestId', async () => {
    const gw = await startFakeGateway({ flavor: '9.6', autoPair: false })
    cleanups.push(() => gw.close())
    const s = await connectServer({ token: gw.token, args: ['--url', gw.url] })
    cleanups.push(s.close)
    const r = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/openclaw devices approve [\w-]+/)
    expect(text(r)).toContain('PAIRING_REQUIRED')
  })

  it('a token-only session without scopes says why (missing scope)', async () => {
    const gw = await startFakeGateway({ flavor: '5.7', jobs: [{ name: 'nightly' }] })
    cleanups.push(() => gw.close())
    const s = await connectServer({ token: gw.token, args: ['--url', gw.url, '--signer', 'none'] })
    cleanups.push(s.close)
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/scope/i)
    expect(text(r)).toMatch(/device/i)
  })

  it('survives a gateway restart: reconnects and the next call succeeds', async () => {
    const first = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const port = first.port
    const s = await connectServer({ token: first.token, args: ['--url', first.url] })
    cleanups.push(s.close)
    expect((await s.client.callTool({ name: 'cron_status', arguments: {} })).isError).toBeFalsy()
    first.shutdown()
    await first.close()
    const second = await startFakeGateway({ flavor: '9.6', port, jobs: [{ name: 'nightly' }] })
    cleanups.push(() => second.close())
    let result: Awaited<ReturnType<typeof s.client.callTool>> | undefined
    for (let i = 0; i < 40; i++) {
      result = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
      if (!result.isError) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(result?.isError).toBeFalsy()
    const jobs = (result?.structuredContent as { jobs: { name: string }[] } | undefined)?.jobs ?? []
    expect(jobs.map((j) => j.name)).toContain('nightly')
    expect(second.connectionCount).toBeGreaterThan(0)
  })
})
