import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { type IdpClientId, type MintKind, startIdp, type TestIdp } from '@clawlink/testkit/idp'
import {
  Client as V2Client,
  ClientCredentialsProvider,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, sandboxEnv, text } from './helpers.js'
import { connectHttp, type HttpServerProcess, startHttpServer } from './http-helpers.js'
import { connectV2Http, modernPost } from './modern-helpers.js'

/** A free loopback port: the audience names it, so it is chosen before the server starts. */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** The built clawlink-mcp in OAuth mode (its static token file is also given: OAuth mode must ignore it). */
async function startOAuthServer(gw: FakeGateway, idp: TestIdp, extra: string[] = []) {
  const port = await freePort()
  const resource = `http://127.0.0.1:${port}/mcp`
  const box = sandboxEnv('')
  const auditLog = join(box.home, 'audit.jsonl')
  const args = ['--http', `127.0.0.1:${port}`, '--oauth-issuer', idp.issuer, '--oauth-audience', resource]
  const server = await startHttpServer({ gateway: gw, args: [...args, '--audit-log', auditLog, ...extra] })
  const audit = () =>
    readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { server, resource, auditLog, audit }
}

let idp: TestIdp
let gw: FakeGateway
let srv: Awaited<ReturnType<typeof startOAuthServer>>
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  idp = await startIdp()
  closers.push(() => idp.close())
  gw = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }, { name: 'purge' }] })
  closers.push(() => gw.close())
  srv = await startOAuthServer(gw, idp, ['--allow-write'])
  closers.push(() => srv.server.stop())
})
afterAll(async () => {
  while (closers.length)
    await closers
      .pop()?.()
      .catch(() => undefined)
})

const token = (clientId: IdpClientId) => idp.getToken({ clientId, resource: srv.resource })
const post = (authorization: string | undefined, body: Record<string, unknown>) =>
  fetch(srv.resource, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...body }),
  })
const callBody = (name: string, args: Record<string, unknown> = {}) => ({
  method: 'tools/call',
  params: { name, arguments: args },
})

describe('clawlink-mcp --http --oauth-issuer … --oauth-audience … against oidc-provider', () => {
  it('serves the RFC 9728 metadata at both paths without a token', async () => {
    const origin = new URL(srv.resource).origin
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const res = await fetch(`${origin}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.json()).toEqual({
        resource: srv.resource,
        authorization_servers: [idp.issuer],
        scopes_supported: ['clawlink:read', 'clawlink:run', 'clawlink:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'clawlink-mcp',
      })
    }
    expect((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status).toBe(404)
  })

  it('answers 401 with resource_metadata without a token, and refuses the static bearer token', async () => {
    const challenge = `resource_metadata="${new URL(srv.resource).origin}/.well-known/oauth-protected-resource/mcp"`
    const bare = await post(undefined, callBody('list_cron_jobs'))
    expect(bare.status).toBe(401)
    // The scope to ask for: what the request needs (list_cron_jobs: clawlink:read; run_cron_job: clawlink:run).
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer ${challenge}, scope="clawlink:read"`)
    const run = await post(undefined, callBody('run_cron_job', { job: 'nightly' }))
    expect(run.headers.get('www-authenticate')).toBe(`Bearer ${challenge}, scope="clawlink:run"`)
    const get = await fetch(srv.resource, { headers: { accept: 'text/event-stream' } })
    expect(get.status).toBe(401)
    const stat = await post(`Bearer ${srv.server.httpToken}`, callBody('list_cron_jobs'))
    expect(stat.status).toBe(401)
    expect(stat.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(stat.headers.get('www-authenticate')).toContain(challenge)
    const lines = srv.audit().filter((l) => l.code === 'TOKEN_MISSING' && l.tool === 'list_cron_jobs')
    expect(lines.at(-1)).toMatchObject({ tool: 'list_cron_jobs', outcome: 'refused', reason: 'missing' })
  })

  it('a reader token (SDK v1 client, 2025 era) lists but cannot run: 403 insufficient_scope, no cron.run', async () => {
    const reader = await token('reader')
    const c = await connectHttp(srv.server.url, reader, 'v1-reader')
    try {
      const { tools } = await c.client.listTools()
      expect(tools.map((t) => t.name)).toContain('run_cron_job')
      const list = await c.client.callTool({ name: 'list_cron_jobs', arguments: {} })
      expect(list.isError, text(list)).toBeFalsy()
      await expect(
        c.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } }),
      ).rejects.toThrow(/403|insufficient_scope|clawlink:run/)
    } finally {
      await c.close()
    }
    const raw = await post(`Bearer ${reader}`, callBody('run_cron_job', { job: 'nightly' }))
    expect(raw.status).toBe(403)
    expect(raw.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="clawlink:run"/,
    )
    expect(gw.requests('cron.run')).toHaveLength(0)
    const lines = srv.audit()
    expect(lines.find((l) => l.tool === 'list_cron_jobs' && l.outcome === 'ok')).toMatchObject({
      subject: 'reader',
      clientId: 'reader',
    })
    expect(lines.filter((l) => l.code === 'INSUFFICIENT_SCOPE').at(-1)).toMatchObject({
      tool: 'run_cron_job',
      outcome: 'refused',
      reason: 'clawlink:run',
      subject: 'reader',
      clientId: 'reader',
      arguments: { job: 'nightly' },
    })
  })

  it('a runner token runs (SDK v1 client and SDK v2 client, 2026-07-28), and the audit names the caller', async () => {
    const runner = await token('runner')
    const v1 = await connectHttp(srv.server.url, runner, 'v1-runner')
    const r1 = await v1.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly', wait: true } })
    await v1.close()
    expect(r1.isError, text(r1)).toBeFalsy()
    const v2 = await connectV2Http(srv.server.url, runner, 'modern')
    try {
      const r2 = await v2.client.callTool({ name: 'run_cron_job', arguments: { job: 'purge', wait: true } })
      expect(r2.isError, text(r2)).toBeFalsy()
      await expect(
        v2.client.callTool({ name: 'set_cron_job_enabled', arguments: { job: 'purge', enabled: false } }),
      ).rejects.toThrow()
    } finally {
      await v2.close()
    }
    expect(gw.requests('cron.run')).toHaveLength(2)
    expect(gw.requests('cron.update')).toHaveLength(0)
    const runs = srv.audit().filter((l) => l.tool === 'run_cron_job' && l.outcome === 'ok')
    expect(runs).toHaveLength(2)
    for (const line of runs) expect(line).toMatchObject({ subject: 'runner', clientId: 'runner' })
    expect(
      srv
        .audit()
        .filter((l) => l.code === 'INSUFFICIENT_SCOPE')
        .at(-1),
    ).toMatchObject({
      tool: 'set_cron_job_enabled',
      reason: 'clawlink:write',
      subject: 'runner',
    })
  })

  it('a writer token with --allow-write writes (SDK v2 client)', async () => {
    const v2 = await connectV2Http(srv.server.url, await token('writer'), 'modern')
    try {
      const r = await v2.client.callTool({
        name: 'set_cron_job_enabled',
        arguments: { job: 'purge', enabled: false },
      })
      expect(r.isError, text(r)).toBeFalsy()
    } finally {
      await v2.close()
    }
    expect(gw.requests('cron.update')).toHaveLength(1)
    expect(srv.audit().find((l) => l.tool === 'set_cron_job_enabled' && l.outcome === 'ok')).toMatchObject({
      subject: 'writer',
      clientId: 'writer',
    })
  })

  it('a 2026-07-28 raw request is checked the same way (scope per message)', async () => {
    const reader = await token('reader')
    const denied = await modernPost(srv.resource, reader, {
      method: 'tools/call',
      params: { name: 'run_cron_job', arguments: { job: 'nightly' } },
    })
    expect(denied.status).toBe(403)
    expect(gw.requests('cron.run')).toHaveLength(2)
  })

  const BAD: [MintKind, string][] = [
    ['wrong-audience', 'audience'],
    ['wrong-issuer', 'issuer'],
    ['expired', 'expired'],
    ['alg-none', 'algorithm'],
    ['hs256-public-key', 'algorithm'],
    ['unknown-key', 'unknown_key'],
    ['forged-signature', 'signature'],
  ]
  it.each(BAD)(
    'a %s token is refused with 401 invalid_token and an audit line (%s)',
    async (kind, reason) => {
      const bad = await idp.mintToken(kind, { clientId: 'writer', resource: srv.resource })
      const res = await post(`Bearer ${bad}`, callBody('run_cron_job', { job: 'nightly' }))
      expect(res.status).toBe(401)
      const challenge = res.headers.get('www-authenticate') ?? ''
      expect(challenge).toContain('error="invalid_token"')
      expect(challenge).toContain('resource_metadata=')
      expect(srv.audit().at(-1)).toMatchObject({
        tool: 'run_cron_job',
        outcome: 'refused',
        code: 'TOKEN_INVALID',
        reason,
        arguments: {},
      })
      expect(readFileSync(srv.auditLog, 'utf8')).not.toContain(bad.split('.')[1])
      expect(gw.requests('cron.run')).toHaveLength(2)
    },
  )

  it("the SDK v2 client's own ClientCredentialsProvider finds the IdP from the 401 and gets its token", async () => {
    const provider = new ClientCredentialsProvider({
      clientId: 'runner',
      clientSecret: idp.secretOf('runner'),
      scope: 'clawlink:read clawlink:run',
      expectedIssuer: idp.issuer,
    })
    const steps = () =>
      srv
        .audit()
        .filter((l) => l.code === 'INSUFFICIENT_SCOPE' && l.tool === 'run_cron_job' && l.subject === 'runner')
    const before = steps().length
    const client = new V2Client({ name: 'cc-client', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(srv.resource), { authProvider: provider }))
    try {
      const r = await client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly', wait: true } })
      expect(r.isError, text(r)).toBeFalsy()
    } finally {
      await client.close()
    }
    expect(provider.tokens()?.access_token).toBeTruthy()
    // Its first token had what the 401 named (clawlink:read); the run's 403 made it step up to clawlink:run.
    expect(steps()).toHaveLength(before + 1)
    expect(provider.tokens()?.scope?.split(' ')).toContain('clawlink:run')
    expect(gw.requests('cron.run')).toHaveLength(3)
    expect(
      srv
        .audit()
        .filter((l) => l.tool === 'run_cron_job' && l.outcome === 'ok')
        .at(-1),
    ).toMatchObject({
      subject: 'runner',
      clientId: 'runner',
    })
  })

  it('a 2025 session belongs to the caller that opened it', async () => {
    const c = await connectHttp(srv.server.url, await token('runner'), 'owner')
    try {
      const id = c.transport.sessionId as string
      const res = await fetch(srv.resource, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': id,
          'mcp-protocol-version': '2025-06-18',
          authorization: `Bearer ${await token('reader')}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      })
      expect(res.status).toBe(404)
      expect((await c.client.listTools()).tools.length).toBeGreaterThan(0)
    } finally {
      await c.close()
    }
  })
})

/** Spawns the built server and resolves with its exit code and stderr (for start-up refusals). */
function exitOf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const box = sandboxEnv('')
  const child = spawn(process.execPath, [BIN, ...args], { env: box.env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
}

describe('OAuth mode: start-up and an unreachable issuer', () => {
  it('refuses half the flags and an issuer it cannot read, with exit 2', async () => {
    const half = await exitOf(['--http', '127.0.0.1:0', '--oauth-issuer', idp.issuer])
    expect(half.code).toBe(2)
    expect(half.stderr).toContain('OAUTH_FLAGS_INCOMPLETE')
    const port = await freePort()
    const gone = await exitOf([
      '--http',
      '127.0.0.1:0',
      '--oauth-issuer',
      `http://127.0.0.1:${port}`,
      '--oauth-audience',
      'http://127.0.0.1:1/mcp',
    ])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain('OAUTH_DISCOVERY_FAILED')
  })

  it('starts without a static token, and answers 503 while the issuer is unreachable', async () => {
    const other = await startIdp()
    let server: HttpServerProcess | undefined
    try {
      const port = await freePort()
      const resource = `http://127.0.0.1:${port}/mcp`
      const box = sandboxEnv('')
      const child = spawn(
        process.execPath,
        [BIN, '--http', `127.0.0.1:${port}`, '--oauth-issuer', other.issuer, '--oauth-audience', resource],
        {
          env: { ...box.env, CLAWLINK_MCP_AUDIT_LOG: join(box.home, 'a.jsonl') },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      )
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      closers.push(async () => child.kill('SIGTERM'))
      while (!stderr.includes('ready on')) {
        if (child.exitCode !== null) throw new Error(stderr)
        await new Promise((r) => setTimeout(r, 20))
      }
      const valid = await other.getToken({ clientId: 'runner', resource })
      await other.close()
      const res = await fetch(resource, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${valid}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      })
      expect(res.status).toBe(503)
      const audit = readFileSync(join(box.home, 'a.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(audit.at(-1)).toMatchObject({ code: 'OAUTH_UNAVAILABLE', outcome: 'error' })
    } finally {
      await server?.stop()
      await other.close().catch(() => undefined)
    }
  })
})
