import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, sandboxEnv, text } from './helpers.js'
import { connectHttp, type HttpServerProcess, initializeRequest, startHttpServer } from './http-helpers.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

async function setup(args: string[] = [], jobs = [{ name: 'nightly' }, { name: 'purge' }]) {
  const gw: FakeGateway = await startFakeGateway({ flavor: '9.6', jobs })
  cleanups.push(() => gw.close())
  const server: HttpServerProcess = await startHttpServer({ gateway: gw, args })
  cleanups.push(() => server.stop())
  return { gw, server }
}

async function client(server: HttpServerProcess, name?: string) {
  const c = await connectHttp(server.url, server.httpToken, name)
  cleanups.push(c.close)
  return c.client
}

/** A GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(port: number, host: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/mcp', headers: { host, authorization: `Bearer ${token}` } },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('clawlink-mcp --http (Streamable HTTP)', () => {
  it('the SDK Client with a bearer token lists the tools and runs a job on the gateway', async () => {
    const { gw, server } = await setup()
    const c = await client(server)
    const { tools } = await c.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'check_cron_jobs',
        'cron_status',
        'get_cron_runs',
        'list_cron_jobs',
        'preview_cron_job',
        'run_cron_job',
      ].sort(),
    )
    const run = await c.callTool({ name: 'run_cron_job', arguments: { job: 'nightly', wait: true } })
    expect(run.isError, text(run)).toBeFalsy()
    expect(run.structuredContent).toMatchObject({
      job: { name: 'nightly' },
      outcome: 'finished',
      status: 'ok',
    })
    const nightly = [...gw.jobs.values()].find((j) => j.name === 'nightly')!
    expect(gw.requests('cron.run').map((r) => (r.params as { id: string }).id)).toEqual([nightly.id])
  })

  it('two concurrent MCP sessions share one gateway connection', async () => {
    const { gw, server } = await setup()
    const [a, b] = await Promise.all([client(server, 'a'), client(server, 'b')])
    const [ra, rb] = await Promise.all([
      a.callTool({ name: 'list_cron_jobs', arguments: {} }),
      b.callTool({ name: 'run_cron_job', arguments: { job: 'purge' } }),
    ])
    expect(ra.isError, text(ra)).toBeFalsy()
    expect(rb.isError, text(rb)).toBeFalsy()
    expect((ra.structuredContent as { jobs: unknown[] }).jobs).toHaveLength(2)
    expect(gw.connectionCount).toBe(1)
    expect(gw.openConnections).toBe(1)
    expect(server.stderr()).toMatch(/2 open/)
    // …and one job list: a run by name from the other session resolves from the list b's run made (another
    // job, so it cannot find b's run still going).
    const lists = gw.requests('cron.list').length
    const again = await a.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    expect(again.isError, text(again)).toBeFalsy()
    expect(gw.requests('cron.list')).toHaveLength(lists)
  })

  it('answers 401 without or with a wrong token, and runs nothing', async () => {
    const { gw, server } = await setup()
    const wrong: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${'x'.repeat(48)}` },
      { authorization: server.httpToken },
    ]
    for (const headers of wrong) {
      const res = await initializeRequest(server.url, headers)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    const ok = await initializeRequest(server.url, { authorization: `Bearer ${server.httpToken}` })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/)
    await ok.body?.cancel()
    expect(gw.connectionCount).toBe(0) // an initialize alone does not open the gateway session
  })

  it('answers 403 to a foreign Origin or Host (DNS rebinding), and accepts --http-allow-origin', async () => {
    const { server } = await setup(['--http-allow-origin', 'https://assistant.example'])
    const auth = { authorization: `Bearer ${server.httpToken}` }
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'null']) {
      expect((await initializeRequest(server.url, { ...auth, origin })).status).toBe(403)
    }
    for (const origin of [`http://localhost:${server.port}`, 'https://assistant.example']) {
      const res = await initializeRequest(server.url, { ...auth, origin })
      expect(res.status).toBe(200)
      await res.body?.cancel()
    }
    expect(await getWithHost(server.port, `evil.example:${server.port}`, server.httpToken)).toBe(403)
    expect(await getWithHost(server.port, `localhost:${server.port + 1}`, server.httpToken)).toBe(403)
    // The right Host passes the guard (400: a GET without a session is not an MCP request).
    expect(await getWithHost(server.port, `localhost:${server.port}`, server.httpToken)).toBe(400)
  })

  it('answers 413 to a body over 1 MiB, 404 off /mcp and for an unknown session', async () => {
    const { server } = await setup()
    const auth = { authorization: `Bearer ${server.httpToken}`, 'content-type': 'application/json' }
    const big = await fetch(server.url, { method: 'POST', headers: auth, body: 'x'.repeat(1024 * 1024 + 1) })
    expect(big.status).toBe(413)
    const elsewhere = await fetch(server.url.replace('/mcp', '/other'), { headers: auth })
    expect(elsewhere.status).toBe(404)
    // No OAuth metadata, even without a token: clients with a bearer header do not start an OAuth flow.
    const oauth = await fetch(server.url.replace('/mcp', '/.well-known/oauth-protected-resource/mcp'))
    expect(oauth.status).toBe(404)
    expect(await fetch(server.url.replace('/mcp', '/other')).then((r) => r.status)).toBe(401)
    const unknown = await fetch(server.url, {
      method: 'POST',
      headers: { ...auth, accept: 'application/json, text/event-stream', 'mcp-session-id': 'nope' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    })
    expect(unknown.status).toBe(404)
  })

  it.each([
    ['0.0.0.0', ['--http', '0.0.0.0:0']],
    ['127.0.0.1 too', ['--http', '0']],
  ])('refuses to start on %s without a token', async (_label, args) => {
    const gw = await startFakeGateway({ flavor: '9.6' })
    cleanups.push(() => gw.close())
    const sandbox = sandboxEnv(gw.token ?? '')
    const child = spawn(process.execPath, [BIN, ...args, '--url', gw.url], {
      env: sandbox.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(3)
    expect(stderr).toContain('HTTP_TOKEN_MISSING')
    expect(stderr).not.toContain('ready on')
  })

  it('refuses a token file other users can read', async () => {
    const sandbox = sandboxEnv('')
    const file = join(sandbox.home, 'loose-token')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, 'a'.repeat(40), { mode: 0o644 })
    const child = spawn(process.execPath, [BIN, '--http', '0', '--http-token-file', file], {
      env: sandbox.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(3)
    expect(stderr).toContain('chmod 600')
  })

  it('closes a session idle past --http-idle-timeout; the gateway session stays for the others', async () => {
    const { gw, server } = await setup(['--http-idle-timeout', '1'])
    const c = await client(server)
    expect((await c.callTool({ name: 'cron_status', arguments: {} })).isError).toBeFalsy()
    const deadline = Date.now() + 5000
    while (!/closed \(idle/.test(server.stderr()) && Date.now() < deadline) await sleep(50)
    expect(server.stderr()).toMatch(/session [0-9a-f]{8} closed \(idle for \d+ s\); 0 open/)
    await expect(c.callTool({ name: 'cron_status', arguments: {} })).rejects.toThrow(/404|Session not found/)
    const fresh = await client(server)
    expect((await fresh.callTool({ name: 'cron_status', arguments: {} })).isError).toBeFalsy()
    expect(gw.connectionCount).toBe(1)
  })

  it('SIGTERM closes every session and the gateway session, and exits 0', async () => {
    const { gw, server } = await setup()
    const c = await client(server)
    await c.callTool({ name: 'cron_status', arguments: {} })
    expect(gw.openConnections).toBe(1)
    const started = Date.now()
    expect(await server.stop()).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    const deadline = Date.now() + 2000
    while (gw.openConnections > 0 && Date.now() < deadline) await sleep(20)
    expect(gw.openConnections).toBe(0)
    expect(server.stderr()).toContain('stopping (SIGTERM)')
  })
})
