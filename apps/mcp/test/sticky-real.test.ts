/**
 * 2025-11-25 clients (the SDK v1 client over Streamable HTTP) through nginx in front of two clawlink-mcp replicas
 * (`--replica-id r1`, `r2`) on a real 2026.9.6 gateway whose agent turns answer from the mock model. With the
 * README's routing (the test kit's `balance: 'mcp-session'`: a map from the session id's replica prefix to that
 * replica, round-robin for the rest) every client initializes, lists the tools and runs a cron job with progress,
 * the sessions are spread over both replicas, and every request of a session reaches the replica that issued it.
 * Through a plain round robin the same clients lose their session ("Session not found", 404).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addAgentJob, pickPort, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { mcpSessionRouting, type RunningNginx, startNginx } from '@clawlink/testkit/nginx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxEnv } from './helpers.js'
import { connectHttp, type HttpServerProcess, initializeRequest, startHttpServer } from './http-helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents', versions: ['2026.9.6'] })
const gw = gateways[0]
const CLIENTS = 4
const IDS = ['r1', 'r2']

let token: string
const replicas: HttpServerProcess[] = []
let sticky: RunningNginx
let plain: RunningNginx

/** What one client's session did: its id, the tools it saw, the run's result and its progress messages. */
interface Session {
  sessionId: string
  tools: string[]
  result: Record<string, unknown>
  progress: string[]
}

/** One 2025-11-25 client's whole session through `front`: initialize, tools/list, run_cron_job with progress. */
async function session(front: RunningNginx, n: number): Promise<Session> {
  const job = await addJob() // its own job: a job already running is not started again
  const mcp = await connectHttp(`${front.url}/mcp`, token, `sticky-${n}`)
  try {
    const sessionId = mcp.transport.sessionId ?? ''
    const tools = (await mcp.client.listTools()).tools.map((t) => t.name)
    const progress: string[] = []
    const run = await mcp.client.callTool(
      { name: 'run_cron_job', arguments: { job, wait: true } },
      undefined,
      {
        resetTimeoutOnProgress: true,
        onprogress: (p) => void progress.push(p.message ?? ''),
      },
    )
    return { sessionId, tools, result: (run.structuredContent ?? {}) as Record<string, unknown>, progress }
  } finally {
    await mcp.close()
  }
}

async function addJob(): Promise<string> {
  const name = `mcp-sticky-${randomUUID().slice(0, 8)}`
  await addAgentJob(gw!, name, { behaviour: 'slow:6' })
  return name
}

describe.skipIf(skipReason !== undefined || !gw)(
  `2025-11-25 sessions behind nginx ${skipReason ?? ''}`,
  () => {
    beforeAll(async () => {
      const box = sandboxEnv('')
      token = randomBytes(24).toString('hex')
      const tokenFile = join(box.home, 'http-token')
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 })
      const first = await pickPort()
      const ports = [first, await pickPort(first + 4)]
      const allow = ports.flatMap((p) => ['--http-allow-origin', `http://127.0.0.1:${p}`])
      for (const id of IDS)
        replicas.push(
          await startHttpServer({
            gateway: { url: gw!.url, token: gw!.token },
            args: ['--http-token-file', tokenFile, '--replica-id', id, ...allow],
          }),
        )
      const backends = replicas.map((r, i) => ({ port: r.port, id: IDS[i]! }))
      sticky = await startNginx({ backends, balance: 'mcp-session', port: ports[0]! })
      plain = await startNginx({ backends, port: ports[1]! })
    }, 120_000)

    afterAll(async () => {
      await Promise.allSettled([sticky?.stop(), plain?.stop(), ...replicas.map((r) => r.stop())])
    })

    it('routed by the session prefix: every session works, and the sessions are on both replicas', async () => {
      const sessions = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => session(sticky, n)))
      for (const s of sessions) {
        expect(s.sessionId).toMatch(/^r[12]\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(s.tools).toContain('run_cron_job')
        expect(s.result, JSON.stringify(s.result)).toMatchObject({
          ok: true,
          outcome: 'finished',
          succeeded: true,
        })
        expect(s.progress.length, 'progress notifications while the run went on').toBeGreaterThan(0)
      }
      // The initializes went round-robin: both replicas hold sessions.
      expect(new Set(sessions.map((s) => s.sessionId.split('.')[0])), JSON.stringify(sessions)).toEqual(
        new Set(IDS),
      )
      // nginx's log: every request that carried a session id went to the replica that issued it, and succeeded.
      const portOf = new Map(IDS.map((id, i) => [id, replicas[i]!.port]))
      const routed = sticky
        .accessLog()
        .map((l) => /^(\S+) \S+ (\d+) upstream=(.*) session=(r[12])\./.exec(l))
        .filter((m) => m !== null)
      const posts = routed.filter((m) => m[1] === 'POST')
      expect(posts.length).toBeGreaterThanOrEqual(CLIENTS * 3) // initialized, tools/list, tools/call at least
      for (const [line, method, status, upstream, id] of routed) {
        expect(upstream, line).toBe(`127.0.0.1:${portOf.get(id!)}`)
        // 499: the client closed its own GET notification stream (close()) before the replica's first byte.
        if (method === 'GET' && status === '499') continue
        expect(Number(status), line).toBeLessThan(300)
      }
    }, 180_000)

    it('through a plain round robin the same clients lose their session: 404 "Session not found"', async () => {
      const outcomes = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, n) => session(plain, n)))
      const failed = outcomes.flatMap((o) =>
        o.status === 'rejected' ? [o.reason as Error & { code?: number }] : [],
      )
      expect(failed.length, 'clients whose session broke').toBeGreaterThan(0)
      for (const error of failed) {
        expect(error.code, error.message).toBe(404)
        expect(error.message).toMatch(/Session not found: initialize again/)
      }
      // The log agrees: requests with a session id reached the other replica and were answered 404.
      expect(plain.accessLog().some((l) => / 404 upstream=\S+ session=r[12]\./.test(l))).toBe(true)
    }, 180_000)
  },
)

// No gateway needed: an initialize does not reach it.
describe('--replica-id', () => {
  const unreachable = { url: 'ws://127.0.0.1:9' }

  it('CLAWLINK_MCP_REPLICA_ID prefixes the session ids; the rest stays a random UUID', async () => {
    const server = await startHttpServer({ gateway: unreachable, env: { CLAWLINK_MCP_REPLICA_ID: 'eu-2' } })
    try {
      expect(server.stderr()).toMatch(/ready on .*; replica eu-2\)/)
      const auth = { authorization: `Bearer ${server.httpToken}` }
      const ids = [await initializeRequest(server.url, auth), await initializeRequest(server.url, auth)].map(
        (r) => r.headers.get('mcp-session-id') ?? '',
      )
      for (const id of ids)
        expect(id).toMatch(/^eu-2\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      expect(ids[0]).not.toBe(ids[1])
    } finally {
      await server.stop()
    }
  })

  it('refuses an id a proxy could not route by, naming the flag or variable and the fix', async () => {
    await expect(startHttpServer({ gateway: unreachable, args: ['--replica-id', 'R1.a'] })).rejects.toThrow(
      /--replica-id "R1.a" is not a replica id \[HTTP_REPLICA_ID\]\n.*fix: use 1 to 32 of a-z, 0-9 and -/,
    )
    const env = { CLAWLINK_MCP_REPLICA_ID: `r${'1'.repeat(32)}` }
    await expect(startHttpServer({ gateway: unreachable, env })).rejects.toThrow(
      /CLAWLINK_MCP_REPLICA_ID "r1{32}" is not a replica id \[HTTP_REPLICA_ID\]/,
    )
  })
})

it("the README's nginx routing is what the test kit generates (and the test above runs)", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const shown = /\n(upstream mcp_r1 [\s\S]*?\n {2}default mcp_all;[^\n]*\n\})/.exec(readme)?.[1] ?? ''
  const words = (text: string) => text.replace(/#.*$/gm, '').split(/\s+/).filter(Boolean)
  expect(shown).not.toBe('')
  expect(words(shown)).toEqual(words(mcpSessionRouting(IDS.map((id, i) => ({ port: 8801 + i, id })))))
  expect(readme).toContain('proxy_pass http://$mcp_upstream;')
})
