import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { BIN, sandboxEnv } from './helpers.js'

/** What a v2 client answers when the server asks the user (--confirm), and the questions it was asked. */
export interface Answers {
  answer: { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean> }
  questions: string[]
}

/** The SDK v2 client, pinned to the 2026-07-28 era (or left to negotiate), optionally answering elicitations. */
function newClient(
  era: 'modern' | 'auto',
  answers?: Answers,
  capabilities: Record<string, unknown> = {},
): Client {
  const client = new Client(
    { name: 'clawlink-v2-test', version: '2.0.0' },
    {
      versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'auto' },
      capabilities: { ...(answers ? { elicitation: { form: {} } } : {}), ...capabilities },
    },
  )
  if (answers)
    client.setRequestHandler('elicitation/create', async (request) => {
      answers.questions.push(String(request.params.message))
      return answers.answer
    })
  return client
}

/** The built server over stdio, driven by the SDK v2 client. */
export async function connectV2Stdio(opts: {
  gateway: { url: string; token?: string | undefined }
  args?: string[]
  era?: 'modern' | 'auto'
  answers?: Answers
}) {
  const box = sandboxEnv(opts.gateway.token ?? '')
  const args = [BIN, '--url', opts.gateway.url, ...(opts.args ?? [])]
  if (opts.gateway.token) args.push('--token-file', box.tokenFile)
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: box.env,
    stderr: 'pipe',
  })
  let stderr = ''
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const client = newClient(opts.era ?? 'modern', opts.answers)
  await client.connect(transport)
  return { client, home: box.home, stderr: () => stderr, close: () => client.close() }
}

/** The SDK v2 client over Streamable HTTP with a bearer token. */
export async function connectV2Http(
  url: string,
  token: string,
  era: 'modern' | 'auto' = 'modern',
  answers?: Answers,
  capabilities?: Record<string, unknown>,
) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  })
  const client = newClient(era, answers, capabilities)
  await client.connect(transport)
  return { client, close: () => client.close() }
}

/** The `_meta` envelope a 2026-07-28 request carries. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  }
}

/** A raw 2026-07-28 POST with the standard headers (override or drop them with `headers`). */
export function modernPost(
  url: string,
  token: string,
  body: { id?: number; method: string; params?: Record<string, unknown> },
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const name = body.params?.name
  const all: Record<string, string | undefined> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': body.method,
    ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    ...headers,
  }
  const sent = Object.fromEntries(
    Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
  )
  return fetch(url, {
    method: 'POST',
    headers: sent,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: body.id ?? 1,
      method: body.method,
      params: body.params ?? {},
    }),
  })
}

/** The JSON-RPC message of a response, JSON or one SSE event. */
export async function rpcOf(
  response: Response,
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const body = await response.text()
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(body)
  const lines = body.split('\n').filter((l) => l.startsWith('data: '))
  const messages = lines.map((l) => JSON.parse(l.slice(6)) as { id?: unknown })
  return messages.find((m) => m.id !== undefined) as never
}
