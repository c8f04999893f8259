import { spawn } from 'node:child_process'
import type { FakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, fakeGateway, onCleanup, sandboxEnv, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)
const fake = fakeGateway
const server = serverFor
const _cleanups = { push: onCleanup }

const ID_SHAPED = '0b6c9b1e-7f0a-4c1e-9a8e-2d3c4b5a6f70'

describe('operator guardrails, checked against what the gateway received', () => {
  it.each([
    ['--allow-job by name', ['--allow-job', 'nightly'], {}],
    ['CLAWLINK_MCP_ALLOW_JOBS by name', [], { CLAWLINK_MCP_ALLOW_JOBS: 'other, nightly' }],
  ])('%s runs the allowed job and no other', async (_label, args, env) => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }, { name: 'purge' }] })
    const s = await server(gw, args, env as Record<string, string>)
    const purge = [...gw.jobs.values()].find((j) => j.name === 'purge')!
    expect(
      (await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })).isError,
    ).toBeFalsy()
    for (const job of ['purge', purge.id]) {
      const refused = await s.client.callTool({ name: 'run_cron_job', arguments: { job } })
      expect(refused.isError).toBe(true)
      expect(text(refused)).toContain("not in this server's allow-list")
    }
    const runs = gw.requests('cron.run')
    expect(runs).toHaveLength(1)
    expect(runs[0]?.params).toMatchObject({ id: [...gw.jobs.values()].find((j) => j.name === 'nightly')!.id })
  })

  it('an allow-list entry by id admits that id, by id or name; an id-shaped entry never admits a job merely named so', async () => {
    const gw = await fake({ flavor: '3.13', jobs: [{ name: 'nightly' }, { name: ID_SHAPED }] })
    const nightly = [...gw.jobs.values()].find((j) => j.name === 'nightly')!
    const s = await server(gw, ['--allow-job', nightly.id, '--allow-job', ID_SHAPED])
    expect(
      (await s.client.callTool({ name: 'run_cron_job', arguments: { job: nightly.id } })).isError,
    ).toBeFalsy()
    await new Promise((r) => setTimeout(r, 100)) // let the first run finish
    // The entry is the job's id, so referring to the job by its name is allowed too.
    expect(
      (await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })).isError,
    ).toBeFalsy()
    const impostor = await s.client.callTool({ name: 'run_cron_job', arguments: { job: ID_SHAPED } })
    expect(impostor.isError).toBe(true)
    expect(text(impostor)).toContain("not in this server's allow-list")
    expect(gw.requests('cron.run').map((r) => (r.params as { id: string }).id)).not.toContain(
      [...gw.jobs.values()].find((j) => j.name === ID_SHAPED)!.id,
    )
  })

  it.each([
    ['--read-only', ['--read-only'], {}],
    ['CLAWLINK_MCP_READ_ONLY=1', [], { CLAWLINK_MCP_READ_ONLY: '1' }],
  ])('%s offers no run tool and never sends cron.run', async (_label, args, env) => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await server(gw, args, env as Record<string, string>)
    const { tools } = await s.client.listTools()
    expect(tools.map((t) => t.name)).not.toContain('run_cron_job')
    // A tool the server does not offer is a JSON-RPC error (-32602) since SDK v2, as the spec says.
    await expect(s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })).rejects.toThrow(
      /Tool run_cron_job not found/,
    )
    const listed = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect((listed.structuredContent as { jobs: { runnable: boolean }[] }).jobs[0]?.runnable).toBe(false)
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('--call-timeout bounds a call whose answer never comes', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await server(gw, ['--call-timeout', '1'])
    gw.setFault({ kind: 'no-response', method: 'cron.list' })
    const started = Date.now()
    const r = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/1\.0 s|1000 ms/)
    expect(Date.now() - started).toBeLessThan(5000) // a hang guard
  })

  it('caps what one result may carry and asks to narrow the query', async () => {
    const jobs = Array.from({ length: 1500 }, (_, i) => ({ name: `job-${i}-${'x'.repeat(150)}` }))
    const gw = await fake({ flavor: '9.6', jobs })
    const s = await server(gw)
    const r = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect(r.isError).toBe(true)
    expect(text(r)).toContain('Narrow the query')
    const narrowed = await s.client.callTool({ name: 'list_cron_jobs', arguments: { query: 'job-7-' } })
    expect(narrowed.isError).toBeFalsy()
  })

  it('refuses over-long job arguments by schema, without touching the gateway', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await server(gw)
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'x'.repeat(2_000_000) } })
    expect(r.isError).toBe(true)
    expect(gw.requests('cron.list')).toHaveLength(0)
  })
})

/** A raw stdio MCP session with the built server: initialize, then one tools/call; returns the child. */
async function rawSession(gw: FakeGateway) {
  const env = sandboxEnv(gw.token ?? '')
  const child = spawn(process.execPath, [BIN, '--url', gw.url, '--token-file', env.tokenFile], {
    env: env.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`)
  const waitFor = async (id: number) => {
    const deadline = Date.now() + 10_000
    while (!out.includes(`"id":${id}`)) {
      if (Date.now() > deadline) throw new Error(`no answer to request ${id}: ${out}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  })
  await waitFor(1)
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'cron_status', arguments: {} } })
  await waitFor(2)
  return child
}

describe('the server does not outlive its client', () => {
  it.each(['stdin', 'SIGTERM'] as const)(
    'exits within 5 s on %s and closes its gateway session',
    async (how) => {
      const gw = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
      const child = await rawSession(gw)
      expect(gw.openConnections).toBe(1)
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const started = Date.now()
      if (how === 'stdin') child.stdin.end()
      else child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(Date.now() - started).toBeLessThan(5000)
      const deadline = Date.now() + 2000
      while (gw.openConnections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(gw.openConnections).toBe(0)
    },
  )

  it('exits when stdin closes even before any tool call', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    await new Promise((r) => setTimeout(r, 300))
    child.stdin.end()
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
  })
})
