/**
 * The nginx harness against two tiny node:http backends on loopback: round-robin, headers through, SSE unbuffered,
 * fail-over when a backend dies, sessions routed by their replica prefix on request, and a stop() that leaves nothing behind.
 */
import { existsSync, readdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { mcpSessionRouting, type RunningNginx, startNginx } from '../src/nginx.js'

interface Backend {
  name: string
  port: number
  seen: IncomingHttpHeaders[]
  /** Resolves the SSE stream's hold: the second event is written only after this. */
  release: () => void
  kill: () => Promise<void>
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function backend(name: string): Promise<Backend> {
  let release = () => {}
  const held = new Promise<void>((r) => (release = r))
  const seen: IncomingHttpHeaders[] = []
  const server: Server = createServer((req, res) => {
    seen.push(req.headers)
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(`data: first from ${name}\n\n`)
      void held.then(() => res.end(`data: second from ${name}\n\n`))
      return
    }
    req.resume()
    req.on('end', () => res.writeHead(200, { 'mcp-session-id': `session-of-${name}` }).end(name))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  let killed: Promise<void> | undefined
  const kill = () => {
    killed ??= new Promise<void>((r) => {
      server.close(() => r())
      server.closeAllConnections()
    })
    return killed
  }
  cleanup.push(kill)
  return { name, port: (server.address() as AddressInfo).port, seen, release: () => release(), kill }
}

async function nginx(backends: Backend[]): Promise<RunningNginx> {
  const proxy = await startNginx({ backends: backends.map((b) => ({ port: b.port })) })
  cleanup.push(() => proxy.stop())
  return proxy
}

const ask = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init)
  return { status: res.status, body: await res.text(), session: res.headers.get('mcp-session-id') }
}

describe('nginx in front of two backends', () => {
  it('alternates between them and passes Host, Authorization and the Mcp-* headers both ways', async () => {
    const a = await backend('alpha')
    const b = await backend('beta')
    const proxy = await nginx([a, b])
    const answers: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await ask(`${proxy.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-token-0123456789',
          'mcp-session-id': 'sess-1',
          'mcp-method': 'tools/call',
          'mcp-name': 'run_cron_job',
          'mcp-protocol-version': '2026-07-28',
        },
        body: '{}',
      })
      expect(r.status).toBe(200)
      expect(r.session).toBe(`session-of-${r.body}`)
      answers.push(r.body)
    }
    expect(answers).toEqual(['alpha', 'beta', 'alpha', 'beta', 'alpha', 'beta'])
    for (const headers of [...a.seen, ...b.seen])
      expect(headers).toMatchObject({
        host: `127.0.0.1:${proxy.port}`,
        authorization: 'Bearer test-token-0123456789',
        'mcp-session-id': 'sess-1',
        'mcp-method': 'tools/call',
        'mcp-name': 'run_cron_job',
        'mcp-protocol-version': '2026-07-28',
      })
    expect(proxy.accessLog()).toHaveLength(6)
  })

  // nginx 1.22 forwards a small event at once even with proxy_buffering on; what this proves is the streaming
  // itself (an event before the stream ends), with the config the harness runs.
  it('streams SSE: the first event arrives while the backend still holds the second', async () => {
    const a = await backend('alpha')
    const proxy = await nginx([a])
    expect(proxy.config).toMatch(/proxy_buffering off;\n\s+proxy_request_buffering off;/)
    const res = await fetch(`${proxy.url}/sse`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let got = ''
    while (!got.includes('\n\n')) {
      const { value, done } = await reader.read()
      if (done) break
      got += decoder.decode(value, { stream: true })
    }
    // Only now does the backend write the rest: a buffering proxy would have held the first event back forever.
    expect(got).toBe('data: first from alpha\n\n')
    a.release()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      got += decoder.decode(value, { stream: true })
    }
    expect(got).toBe('data: first from alpha\n\ndata: second from alpha\n\n')
  })

  it('fails over when a backend is killed: every request is still answered, by the other', async () => {
    const a = await backend('alpha')
    const b = await backend('beta')
    const proxy = await nginx([a, b])
    expect((await ask(`${proxy.url}/mcp`)).body).toBe('alpha')
    await b.kill()
    const after: string[] = []
    for (let i = 0; i < 4; i++) {
      const r = await ask(`${proxy.url}/mcp`, { method: 'POST', body: '{"jsonrpc":"2.0"}' })
      expect(r.status).toBe(200)
      after.push(r.body)
    }
    expect(after).toEqual(['alpha', 'alpha', 'alpha', 'alpha'])
    // The log shows the dead backend tried first, then the live one, for the request that met it.
    expect(proxy.accessLog().some((l) => l.includes(`127.0.0.1:${b.port}, 127.0.0.1:${a.port}`))).toBe(true)
    expect(proxy.errorLog()).toMatch(/connect\(\) failed \(111: Connection refused\)/)
  })

  it("balance 'mcp-session' sends a session to the backend its id names, the rest round-robin", async () => {
    const a = await backend('alpha')
    const b = await backend('beta')
    const proxy = await startNginx({
      backends: [a, b].map((x) => ({ port: x.port, id: x.name })),
      balance: 'mcp-session',
    })
    cleanup.push(() => proxy.stop())
    const via = async (session?: string) =>
      (await ask(`${proxy.url}/mcp`, session ? { headers: { 'mcp-session-id': session } } : {})).body
    for (const owner of ['beta', 'alpha', 'beta'])
      for (let i = 0; i < 3; i++) expect(await via(`${owner}.${i}-7f3c`)).toBe(owner)
    // No session id, or one no backend's id starts: round-robin over both.
    const rest = [await via(), await via('gamma.1'), await via(), await via('alphabet.2')]
    expect(new Set(rest)).toEqual(new Set(['alpha', 'beta']))
    expect(proxy.config).toContain('~^alpha\\. mcp_alpha;')
    expect(() => mcpSessionRouting([{ port: 1, id: 'r1' }, { port: 2 }])).toThrow(/unique id.*got ""/)
    expect(() =>
      mcpSessionRouting([
        { port: 1, id: 'r1' },
        { port: 2, id: 'r1' },
      ]),
    ).toThrow(/unique id/)
  })

  it('stop() leaves no process and no folder, and is idempotent', async () => {
    const a = await backend('alpha')
    const proxy = await nginx([a])
    expect(existsSync(proxy.dir)).toBe(true)
    expect(() => process.kill(proxy.pid, 0)).not.toThrow()
    await proxy.stop()
    expect(() => process.kill(proxy.pid, 0)).toThrow(/ESRCH/)
    expect(existsSync(proxy.dir)).toBe(false)
    await proxy.stop()
    await expect(fetch(proxy.url)).rejects.toThrow()
  })

  it('a config nginx refuses is an error with its message, and leaves nothing behind', async () => {
    const ours = () =>
      readdirSync(tmpdir())
        .filter((f) => f.startsWith('clawlink-nginx-'))
        .sort()
    const before = ours()
    await expect(startNginx({ backends: [{ port: 1, host: 'no such host!' }] })).rejects.toThrow(
      /nginx exited \(1\) before listening: .*emerg/,
    )
    expect(ours()).toEqual(before)
  })
})
