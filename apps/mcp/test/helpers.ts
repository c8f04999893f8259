import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { onTestFailed } from 'vitest'

export const BIN = new URL('../dist/clawlink-mcp.cjs', import.meta.url).pathname

/** An isolated HOME/profile environment for a server process, with a 0600 token file. */
export function sandboxEnv(token: string) {
  const home = mkdtempSync(join(tmpdir(), 'clawlink-mcp-'))
  const tokenFile = join(home, 'token')
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 })
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAWLINK_HOME: join(home, 'clawlink'),
    OPENCLAW_STATE_DIR: join(home, 'openclaw'),
  }
  return { home, env, tokenFile }
}

/** Spawns the BUILT server over stdio with an isolated profile and connects the SDK's own Client. */
export async function connectServer(opts: {
  args?: string[]
  token?: string
  env?: Record<string, string>
  home?: string
}) {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'clawlink-mcp-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAWLINK_HOME: join(home, 'clawlink'),
    OPENCLAW_STATE_DIR: join(home, 'openclaw'),
    ...opts.env,
  }
  const args = [BIN, ...(opts.args ?? [])]
  if (opts.token) {
    const file = join(home, 'token')
    writeFileSync(file, `${opts.token}\n`, { mode: 0o600 })
    args.push('--token-file', file)
  }
  const transport = new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe' })
  let stderr = ''
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  // A failed test shows what the server said (why it ended, if it did). Outside a test (a beforeAll) there is none.
  try {
    onTestFailed(() => {
      console.error(`clawlink-mcp stderr (${args.slice(1).join(' ')}):\n${stderr}`)
    })
  } catch {}
  const client = new Client({ name: 'clawlink-test', version: '0.0.0' })
  await client.connect(transport)
  return { client, home, pid: transport.pid, stderr: () => stderr, close: () => client.close() }
}

/** The text of a tool result's first content block. */
export function text(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? []
  return content.map((c) => c.text ?? '').join('\n')
}

/** Cleanups run after each test of a file that calls {@link withCleanups}. */
const cleanups: (() => Promise<unknown>)[] = []

/** Registers the after-each cleanup of {@link fakeGateway} and {@link serverFor} (call once per test file). */
export function withCleanups(afterEach: (fn: () => Promise<void>) => void): void {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  })
}

/** Registers one more cleanup. */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn)
}

/** A fake gateway closed after the test. */
export async function fakeGateway(options: FakeGatewayOptions): Promise<FakeGateway> {
  const gw = await startFakeGateway(options)
  cleanups.push(() => gw.close())
  return gw
}

/** The built server connected to `gw` with its token, closed after the test. */
export async function serverFor(gw: FakeGateway, args: string[] = [], env: Record<string, string> = {}) {
  const s = await connectServer({ token: gw.token, args: ['--url', gw.url, ...args], env })
  cleanups.push(s.close)
  return s
}

/**
 * The built server with --confirm (and `args`) for a client that declares elicitation and answers every
 * question with `answer`; the questions it was asked are collected. Closed after the test.
 */
export async function elicitingClient(
  gw: FakeGateway,
  answer: { action: 'accept' | 'decline'; content?: Record<string, unknown> },
  args: string[] = [],
) {
  const box = sandboxEnv(gw.token ?? '')
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, '--url', gw.url, '--token-file', box.tokenFile, '--confirm', ...args],
    env: box.env,
    stderr: 'pipe',
  })
  const client = new Client({ name: 'asks-the-user', version: '0' }, { capabilities: { elicitation: {} } })
  const questions: string[] = []
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(String(request.params.message))
    return answer
  })
  await client.connect(transport)
  cleanups.push(() => client.close())
  return { client, questions }
}
