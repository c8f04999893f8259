import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuditEntry, createAuditLog } from '../src/audit.js'
import { connectServer, text } from './helpers.js'
import { connectHttp, startHttpServer } from './http-helpers.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

async function fake(options: FakeGatewayOptions): Promise<FakeGateway> {
  const gw = await startFakeGateway(options)
  cleanups.push(() => gw.close())
  return gw
}

function readLines(path: string): AuditEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry)
}

/** Waits until the log has `n` lines (the line is written as the response leaves). */
async function lines(path: string, n: number): Promise<AuditEntry[]> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (existsSync(path) && readLines(path).length >= n) break
    await sleep(20)
  }
  return readLines(path)
}

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@clawlink/cli/package.json')),
  'dist/clawlink.cjs',
)

const SECRET_ARG = 'arg-secret-4f1c9b0e2f6f1d2b'

describe('the audit log: one line per tool call', () => {
  it('records ok, refused (allow-list), error (JOB_NOT_FOUND, RUN_FAILED), unknown tool and cancelled calls', async () => {
    const gw = await fake({
      flavor: '9.6',
      token: 'gw-token-7a1b2c3d4e5f60718293a4b5',
      jobs: [{ name: 'nightly' }, { name: 'purge' }, { name: 'broken', outcome: 'error' }],
    })
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-audit-'))
    const log = join(dir, 'nested', 'audit.jsonl')
    const s = await connectServer({
      token: gw.token,
      args: ['--url', gw.url, '--allow-job', 'nightly', '--allow-job', 'broken', '--audit-log', log],
    })
    cleanups.push(s.close)
    const byName = (n: string) => [...gw.jobs.values()].find((j) => j.name === n)!
    const ok = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: 'nightly', token: SECRET_ARG },
    })
    expect(ok.isError, text(ok)).toBeFalsy()
    const refused = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'purge' } })
    expect(refused.isError).toBe(true)
    const missing = await s.client.callTool({ name: 'get_cron_runs', arguments: { job: 'no-such-job' } })
    expect(missing.isError).toBe(true)
    const failed = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'broken', wait: true } })
    expect(failed.isError).toBe(true)
    // An unknown tool is a JSON-RPC error (-32602) since SDK v2, as the spec says.
    await expect(s.client.callTool({ name: 'delete_everything', arguments: {} })).rejects.toThrow(/not found/)
    gw.setFault({ kind: 'no-response', method: 'cron.status' })
    const abort = new AbortController()
    const cancelled = s.client.callTool({ name: 'cron_status', arguments: {} }, undefined, {
      signal: abort.signal,
    })
    await sleep(200)
    abort.abort()
    await expect(cancelled).rejects.toThrow()

    const entries = await lines(log, 6)
    expect(entries.map((e) => [e.tool, e.outcome, e.code])).toEqual([
      ['run_cron_job', 'ok', null],
      ['run_cron_job', 'refused', 'NOT_ALLOWED'],
      ['get_cron_runs', 'error', 'JOB_NOT_FOUND'],
      ['run_cron_job', 'error', 'RUN_FAILED'],
      ['delete_everything', 'refused', 'UNKNOWN_TOOL'],
      ['cron_status', 'error', 'CANCELLED'],
    ])
    const [first, second, third, fourth] = entries as [AuditEntry, AuditEntry, AuditEntry, AuditEntry]
    expect(first).toMatchObject({
      arguments: { job: 'nightly', token: '[redacted]' },
      job: { id: byName('nightly').id, name: 'nightly' },
      client: { name: 'clawlink-test', version: '0.0.0' },
      transport: 'stdio',
      runId: (ok.structuredContent as { runId: string }).runId,
    })
    expect(first.runId).toEqual(expect.any(String))
    expect(Date.parse(first.time)).toBeGreaterThan(Date.now() - 60_000)
    expect(first.durationMs).toBeGreaterThanOrEqual(0)
    // The refused job was resolved (by name) before the allow-list said no: its id is in the line.
    expect(second.job).toEqual({ id: byName('purge').id, name: 'purge' })
    expect(third).toMatchObject({ arguments: { job: 'no-such-job' }, job: null })
    expect(fourth.job).toEqual({ id: byName('broken').id, name: 'broken' })
    expect(gw.requests('cron.run').map((r) => (r.params as { id: string }).id)).not.toContain(
      byName('purge').id,
    )

    expect(statSync(log).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700)
    const raw = readFileSync(log, 'utf8')
    for (const secret of [gw.token!, SECRET_ARG]) {
      expect(raw).not.toContain(secret)
      expect(s.stderr()).not.toContain(secret)
    }
  })

  it('defaults to <profile dir>/audit.jsonl; --audit-log off writes none', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const on = await connectServer({ token: gw.token, args: ['--url', gw.url] })
    cleanups.push(on.close)
    await on.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    const path = join(on.home, 'clawlink', 'default', 'audit.jsonl')
    expect((await lines(path, 1)).map((e) => e.tool)).toEqual(['list_cron_jobs'])
    expect(on.stderr()).toContain(`audit log ${path}`)
    // `clawlink audit` reads the same profile's log.
    const cliEnv = { PATH: process.env.PATH ?? '', HOME: on.home, CLAWLINK_HOME: join(on.home, 'clawlink') }
    const shown = execFileSync(process.execPath, [CLI, 'audit', '--since', '1h'], {
      env: cliEnv,
      encoding: 'utf8',
    })
    expect(shown).toMatch(
      /^TIME +TOOL +JOB +OUTCOME +RUN ID +CLIENT\n.+ list_cron_jobs +- +ok +- +clawlink-test 0\.0\.0 \(stdio\)\n$/,
    )
    const json = JSON.parse(
      execFileSync(process.execPath, [CLI, 'audit', '--json'], { env: cliEnv, encoding: 'utf8' }),
    )
    expect(json).toMatchObject({ ok: true, file: path, entries: [{ tool: 'list_cron_jobs', outcome: 'ok' }] })

    const off = await connectServer({ token: gw.token, args: ['--url', gw.url, '--audit-log', 'off'] })
    cleanups.push(off.close)
    expect((await off.client.callTool({ name: 'list_cron_jobs', arguments: {} })).isError).toBeFalsy()
    expect(existsSync(join(off.home, 'clawlink', 'default', 'audit.jsonl'))).toBe(false)
    expect(off.stderr()).toContain('audit log off')
  })

  it('a log it cannot write is reported once on stderr and never fails a tool call', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-audit-'))
    mkdirSync(join(dir, 'audit.jsonl')) // a folder where the file should be
    const s = await connectServer({
      token: gw.token,
      args: ['--url', gw.url, '--audit-log', join(dir, 'audit.jsonl')],
    })
    cleanups.push(s.close)
    expect(
      (await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })).isError,
    ).toBeFalsy()
    for (let i = 0; i < 3; i++)
      expect((await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })).isError).toBeFalsy()
    expect(s.stderr().match(/cannot write/g)).toHaveLength(1)
    expect(gw.requests('cron.run')).toHaveLength(1)
  })

  it('over HTTP: transport http, the client of each session, and neither token in the log or on stderr', async () => {
    const gw = await fake({
      flavor: '9.6',
      token: 'gw-token-0f1e2d3c4b5a69788796a5b4',
      jobs: [{ name: 'nightly' }],
    })
    const server = await startHttpServer({ gateway: gw })
    cleanups.push(() => server.stop())
    const a = await connectHttp(server.url, server.httpToken, 'assistant-a')
    cleanups.push(a.close)
    const b = await connectHttp(server.url, server.httpToken, 'assistant-b')
    cleanups.push(b.close)
    await a.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    await b.client.callTool({ name: 'cron_status', arguments: {} })
    await fetch(server.url, { method: 'POST', headers: { authorization: 'Bearer wrong-token-1234567890' } })
    const path = join(server.home, 'clawlink', 'default', 'audit.jsonl')
    const entries = await lines(path, 2)
    expect(entries.map((e) => [e.tool, e.transport, e.client?.name, e.outcome])).toEqual([
      ['run_cron_job', 'http', 'assistant-a', 'ok'],
      ['cron_status', 'http', 'assistant-b', 'ok'],
    ])
    await a.close()
    await b.close()
    expect(await server.stop()).toBe(0)
    for (const secret of [gw.token!, server.httpToken]) {
      expect(readFileSync(path, 'utf8')).not.toContain(secret)
      expect(server.stderr()).not.toContain(secret)
    }
  })
})

describe('audit log rotation', () => {
  it('rotates past maxBytes, keeps `keep` files of 0600, and loses no line between two writers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-audit-rot-'))
    const path = join(dir, 'audit.jsonl')
    const entry = (i: number): AuditEntry => ({
      time: new Date().toISOString(),
      tool: 'cron_status',
      arguments: { i },
      job: null,
      client: null,
      transport: 'stdio',
      outcome: 'ok',
      code: null,
      runId: null,
      durationMs: 1,
    })
    // Two writers on one file, as two stdio servers sharing a profile: each sees the other's rotations.
    const warnings: string[] = []
    const one = createAuditLog({ path, maxBytes: 4096, keep: 1000, warn: (m) => warnings.push(m) })
    const two = createAuditLog({ path, maxBytes: 4096, keep: 1000, warn: (m) => warnings.push(m) })
    for (let i = 0; i < 2000; i++) (i % 3 === 0 ? two : one).record(entry(i))
    one.close()
    two.close()
    const files = readdirSync(dir).filter((f) => f.startsWith('audit.jsonl'))
    expect(files.length).toBeGreaterThan(20)
    const seen = files.flatMap((f) => readLines(join(dir, f)).map((e) => (e.arguments as { i: number }).i))
    expect(seen).toHaveLength(2000)
    expect(new Set(seen).size).toBe(2000)
    for (const f of files) {
      expect(statSync(join(dir, f)).size).toBeLessThan(4096 + 400)
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    }
    expect(warnings).toEqual([])

    const bounded = mkdtempSync(join(tmpdir(), 'clawlink-audit-rot-'))
    const small = createAuditLog({ path: join(bounded, 'audit.jsonl'), maxBytes: 2048, keep: 2 })
    for (let i = 0; i < 500; i++) small.record(entry(i))
    small.close()
    expect(readdirSync(bounded).sort()).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2'])
    // The newest lines survive: the last one written is in the current file.
    expect(readLines(join(bounded, 'audit.jsonl')).at(-1)?.arguments).toEqual({ i: 499 })
  })
})

describe('the audit log and confirmation', () => {
  it('records a run the user declined as refused (DECLINED), with the job it was about', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js')
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js')
    const { BIN, sandboxEnv } = await import('./helpers.js')
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'ask-first' }] })
    const box = sandboxEnv(gw.token ?? '')
    const log = join(box.home, 'audit.jsonl')
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '--url', gw.url, '--token-file', box.tokenFile, '--confirm', '--audit-log', log],
      env: box.env,
      stderr: 'pipe',
    })
    const client = new Client({ name: 'declines', version: '1.2.3' }, { capabilities: { elicitation: {} } })
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' as const }))
    await client.connect(transport)
    cleanups.push(() => client.close())
    const r = await client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })
    expect(r.isError).toBe(true)
    const [line] = await lines(log, 1)
    expect(line).toMatchObject({
      tool: 'run_cron_job',
      outcome: 'refused',
      code: 'DECLINED',
      job: { name: 'ask-first' },
      client: { name: 'declines', version: '1.2.3' },
    })
    expect(gw.requests('cron.run')).toHaveLength(0)
  })
})
