import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { BIN, sandboxEnv } from './helpers.js'

/** A spawned `clawlink-mcp --http` (the BUILT bundle) with an isolated profile. */
export interface HttpServerProcess {
  url: string
  port: number
  httpToken: string
  home: string
  child: ChildProcess
  stderr(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Starts the server on 127.0.0.1:<free port> with a fresh bearer token file; resolves once it listens. */
export async function startHttpServer(opts: {
  gateway: { url: string; token?: string | undefined }
  args?: string[]
  env?: Record<string, string>
}): Promise<HttpServerProcess> {
  const sandbox = sandboxEnv(opts.gateway.token ?? '')
  const httpToken = randomBytes(24).toString('hex')
  const httpTokenFile = join(sandbox.home, 'http-token')
  writeFileSync(httpTokenFile, `${httpToken}\n`, { mode: 0o600 })
  const args = [BIN, '--http', '127.0.0.1:0', '--http-token-file', httpTokenFile, '--url', opts.gateway.url]
  if (opts.gateway.token) args.push('--token-file', sandbox.tokenFile)
  const child = spawn(process.execPath, [...args, ...(opts.args ?? [])], {
    env: { ...sandbox.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + 10_000
  let url: string | undefined
  while (!url) {
    url = /ready on (http:\/\/\S+)/.exec(stderr)?.[1]
    if (url) break
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`clawlink-mcp --http did not start: ${stderr}`)
    await sleep(20)
  }
  return {
    url,
    port: Number(new URL(url).port),
    httpToken,
    home: sandbox.home,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** The SDK's own Client over Streamable HTTP, sending `Authorization: Bearer <token>`. */
export async function connectHttp(url: string, token: string, name = 'clawlink-http-test') {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  })
  const client = new Client({ name, version: '1.2.3' })
  await client.connect(transport)
  return { client, transport, close: () => client.close() }
}

/** A raw `initialize` POST (what a plain HTTP client sends first). */
export function initializeRequest(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'fetch', version: '0' },
      },
    }),
  })
}
