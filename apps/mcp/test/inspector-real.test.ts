import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { type HttpServerProcess, startHttpServer } from './http-helpers.js'

// The MCP Inspector's own CLI (a devDependency, pinned), run as a user runs it: a separate process speaking
// Streamable HTTP to the built server, which talks to a real OpenClaw 2026.9.6 gateway.
const INSPECTOR = new URL(
  '../node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
  import.meta.url,
).pathname
const VERSION = '2026.9.6'

const { gateways, skipReason } = realGatewaysOrSkip()
const gw = gateways.find((g) => g.version === VERSION)

function inspector(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [INSPECTOR, '--cli', ...args],
      // Its own HOME: the Inspector keeps a catalog in ~/.mcp-inspector.
      { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

describe.skipIf(!gw)(
  `the MCP Inspector CLI over HTTP against a real ${VERSION} gateway${skipReason ? ` (${skipReason})` : gw ? '' : ` (no ${VERSION} running)`}`,
  () => {
    const servers: HttpServerProcess[] = []
    afterAll(async () => {
      for (const s of servers) await s.stop()
    })

    it('lists the tools and runs a job by name, with a bearer token; refuses without one', {
      timeout: 180_000,
    }, async () => {
      if (!gw) throw new Error('unreachable: skipped without a gateway')
      const name = `mcp-inspector-${Date.now()}`
      const id = await addModelFreeJob(gw, name, 'hello from the inspector')
      const server = await startHttpServer({ gateway: { url: gw.url, token: gw.token } })
      servers.push(server)
      const http = [server.url, '--transport', 'http']
      const auth = ['--header', `Authorization: Bearer ${server.httpToken}`]

      const listed = await inspector(server.home, [...http, ...auth, '--method', 'tools/list'])
      expect(listed.code, listed.stderr).toBe(0)
      const tools = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)
      expect(tools.sort()).toEqual([
        'check_cron_jobs',
        'cron_status',
        'get_cron_runs',
        'list_cron_jobs',
        'preview_cron_job',
        'run_cron_job',
      ])

      const called = await inspector(server.home, [
        ...http,
        ...auth,
        '--method',
        'tools/call',
        '--tool-name',
        'run_cron_job',
        '--tool-arg',
        `job=${name}`,
        'wait=true',
        'timeoutSeconds=60',
      ])
      expect(called.code, called.stderr).toBe(0)
      const result = JSON.parse(called.stdout) as { isError?: boolean; structuredContent?: unknown }
      expect(result.isError, called.stdout).toBeFalsy()
      expect(result.structuredContent).toMatchObject({
        job: { id, name },
        outcome: 'finished',
        status: 'ok',
        summary: 'hello from the inspector',
      })

      const refused = await inspector(server.home, [
        ...http,
        '--header',
        'Authorization: Bearer not-the-token-0123456789',
        '--method',
        'tools/list',
      ])
      expect(refused.code).not.toBe(0)
      expect(refused.stdout).not.toContain('run_cron_job')

      const audit = readFileSync(join(server.home, 'clawlink', 'default', 'audit.jsonl'), 'utf8')
      const lines = audit
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines).toMatchObject([
        {
          tool: 'run_cron_job',
          transport: 'http',
          client: { name: 'inspector-cli' },
          outcome: 'ok',
          job: { id, name },
        },
      ])
      expect(await server.stop()).toBe(0)
      for (const secret of [gw.token ?? '', server.httpToken].filter(Boolean)) {
        expect(audit).not.toContain(secret)
        expect(server.stderr()).not.toContain(secret)
      }
    })
  },
)
