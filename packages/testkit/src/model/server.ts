/**
 * A small OpenAI-compatible model server on loopback for real-gateway tests (node:http only). Behaviours are
 * chosen by a marker in the last user message ({@link behaviourOf}); `GET /_mock/stats` tells tests what it saw.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Behaviour,
  behaviourKey,
  behaviourOf,
  type ChatRequest,
  hasToolResult,
  lastUserTurn,
  pickToolCall,
  toolNames,
} from './behaviour.js'

/** The model id the server offers (`mock/mock-1` in the gateway's config). */
export const MOCK_MODEL_ID = 'mock-1'

/** Request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024

/** How many recent requests `GET /_mock/stats` lists. */
const RECENT_LIMIT = 200

/** One chat-completions request as the stats list it. */
export interface MockRequestEntry {
  at: number
  behaviour: string
  /** A tool result was in the messages (the second round of `[mock:tool]`). */
  toolResult: boolean
  /** The tool the mock asked for, on a first `[mock:tool]` round. */
  toolCall?: string
  toolsOffered: number
  /** The last user message, cut to 200 characters (tests put a unique word in it). */
  text: string
  /** How the response ended: `done`, `error`, `closed` (the client went away first). */
  end?: 'done' | 'error' | 'closed'
}

/** What `GET /_mock/stats` returns. */
export interface MockStats {
  requests: number
  byBehaviour: Record<string, number>
  toolRounds: number
  open: number
  recent: MockRequestEntry[]
}

/** A running mock model. */
export interface MockModel {
  /** `http://127.0.0.1:PORT/v1` — the provider's baseUrl. */
  baseUrl: string
  port: number
  stats(): MockStats
  close(): Promise<void>
}

/** Options of {@link startMockModel}. */
export interface MockModelOptions {
  /** @default 0 (a free port) */
  port?: number
  /** Seconds between text deltas of `[mock:slow:N]`. @default 0.7 */
  slowIntervalSeconds?: number
  /** One line per request (e.g. to a log file). */
  log?: (line: string) => void
  /** Write each request's body here (the last one wins), to see what a gateway sends. */
  dumpFile?: string
}

interface State {
  stats: MockStats
  open: Set<ServerResponse>
  options: MockModelOptions
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function openAiError(res: ServerResponse, status: number, message: string): void {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error'
  json(res, status, { error: { message, type, param: null, code: `mock_${status}` } })
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        resolve(undefined)
        req.removeAllListeners('data')
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** Streams (or, for `stream:false`, sends whole) one answer; clears its timers when the client goes away. */
class Reply {
  private readonly id = `chatcmpl-${randomBytes(6).toString('hex')}`
  private readonly created = Math.floor(Date.now() / 1000)
  private readonly timers = new Set<NodeJS.Timeout>()
  private text = ''
  closed = false

  constructor(
    private readonly res: ServerResponse,
    private readonly stream: boolean,
    onClose: () => void,
  ) {
    res.on('close', () => {
      this.closed = true
      for (const t of this.timers) clearTimeout(t)
      this.timers.clear()
      onClose()
    })
  }

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (!this.closed) fn()
    }, ms)
    this.timers.add(t)
  }

  private chunk(delta: Record<string, unknown>, finish: string | null, extra: object = {}): void {
    if (!this.stream) return
    if (!this.res.headersSent)
      this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const body = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: MOCK_MODEL_ID }
    const choices = [{ index: 0, delta, finish_reason: finish }]
    this.res.write(`data: ${JSON.stringify({ ...body, choices, ...extra })}\n\n`)
  }

  delta(text: string): void {
    this.chunk(this.text === '' ? { role: 'assistant', content: text } : { content: text }, null)
    this.text += text
  }

  private usage() {
    const completion = Math.max(1, Math.ceil(this.text.length / 4))
    return { prompt_tokens: 100, completion_tokens: completion, total_tokens: 100 + completion }
  }

  finish(toolCall?: { name: string; arguments: string }): void {
    const call = toolCall && {
      index: 0,
      id: `call_${randomBytes(6).toString('hex')}`,
      type: 'function',
      function: toolCall,
    }
    const reason = call ? 'tool_calls' : 'stop'
    if (!this.stream) {
      const message = {
        role: 'assistant',
        content: call ? null : this.text,
        ...(call ? { tool_calls: [call] } : {}),
      }
      json(this.res, 200, {
        id: this.id,
        object: 'chat.completion',
        created: this.created,
        model: MOCK_MODEL_ID,
        choices: [{ index: 0, message, finish_reason: reason }],
        usage: this.usage(),
      })
      return
    }
    if (call) this.chunk({ role: 'assistant', tool_calls: [call] }, null)
    this.chunk({}, reason, { usage: this.usage() })
    this.res.end('data: [DONE]\n\n')
  }
}

function slowText(reply: Reply, seconds: number, intervalMs: number): void {
  const end = Date.now() + seconds * 1000
  let n = 0
  const tick = () => {
    n++
    if (Date.now() >= end) {
      reply.delta(` Done after ${seconds} s.`)
      reply.finish()
      return
    }
    reply.delta(n === 1 ? `Working slowly (${seconds} s).` : ` Still working, part ${n}.`)
    reply.after(Math.min(intervalMs, Math.max(0, end - Date.now())), tick)
  }
  tick()
}

function answer(
  reply: Reply,
  behaviour: Behaviour,
  request: ChatRequest,
  toolResult: boolean,
  state: State,
): void {
  const intervalMs = (state.options.slowIntervalSeconds ?? 0.7) * 1000
  if (behaviour.kind === 'slow') {
    slowText(reply, behaviour.seconds, intervalMs)
    return
  }
  if (behaviour.kind === 'tool' && !toolResult) {
    const call = pickToolCall(request.tools)
    if (!call) reply.delta('No tools were offered, so no tool call.')
    reply.finish(call)
    return
  }
  reply.delta(behaviour.kind === 'tool' ? 'The tool answered; all done.' : 'OK from the mock model.')
  reply.finish()
}

/** The last user message from its marker on (the gateway puts its own context before it), cut to 200 characters. */
function markedText(text: string): string {
  const at = text.indexOf('[mock:')
  return (at >= 0 ? text.slice(at) : text.slice(-200)).slice(0, 200)
}

function record(state: State, entry: MockRequestEntry): void {
  const { stats } = state
  stats.requests++
  stats.byBehaviour[entry.behaviour] = (stats.byBehaviour[entry.behaviour] ?? 0) + 1
  if (entry.toolResult) stats.toolRounds++
  stats.recent.push(entry)
  if (stats.recent.length > RECENT_LIMIT) stats.recent.shift()
  state.options.log?.(
    `${new Date(entry.at).toISOString()} ${entry.behaviour}${entry.toolResult ? ' tool-result' : ''}${entry.toolCall ? ` call=${entry.toolCall}` : ''} tools=${entry.toolsOffered}`,
  )
}

async function completions(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  const raw = await readBody(req)
  if (raw === undefined) return openAiError(res, 413, `request body over ${MAX_BODY_BYTES} bytes`)
  let request: ChatRequest
  try {
    request = JSON.parse(raw) as ChatRequest
  } catch {
    return openAiError(res, 400, 'request body is not JSON')
  }
  if (!request || typeof request !== 'object') return openAiError(res, 400, 'request body is not an object')
  if (state.options.dumpFile) writeFileSync(state.options.dumpFile, raw, { mode: 0o600 })
  const { text, after } = lastUserTurn(request)
  const behaviour = behaviourOf(text)
  const toolResult = hasToolResult(after)
  const tools = toolNames(request.tools)
  const call = behaviour.kind === 'tool' && !toolResult ? pickToolCall(request.tools) : undefined
  const entry: MockRequestEntry = {
    at: Date.now(),
    behaviour: behaviourKey(behaviour),
    toolResult,
    ...(call ? { toolCall: call.name } : {}),
    toolsOffered: tools.length,
    text: markedText(text),
  }
  record(state, entry)
  if (behaviour.kind === 'http') {
    entry.end = 'error'
    return openAiError(
      res,
      behaviour.status,
      `mock model error ${behaviour.status} (asked for by [mock:http])`,
    )
  }
  state.open.add(res)
  const reply = new Reply(res, request.stream !== false, () => {
    state.open.delete(res)
    entry.end ??= 'closed'
  })
  res.on('finish', () => {
    entry.end = 'done'
  })
  if (behaviour.kind === 'hang') return // nothing until the client closes
  answer(reply, behaviour, request, toolResult, state)
}

function route(req: IncomingMessage, res: ServerResponse, state: State): void {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method === 'GET' && path === '/v1/models') {
    json(res, 200, {
      object: 'list',
      data: [{ id: MOCK_MODEL_ID, object: 'model', created: 0, owned_by: 'clawlink-testkit' }],
    })
  } else if (req.method === 'GET' && path === '/_mock/stats') {
    json(res, 200, { ...state.stats, open: state.open.size })
  } else if (req.method === 'POST' && path === '/v1/chat/completions') {
    completions(req, res, state).catch((error: Error) => {
      if (!res.headersSent) openAiError(res, 500, `mock model failed: ${error.message}`)
      else res.destroy()
    })
  } else {
    openAiError(res, 404, `no route ${req.method} ${path}`)
  }
}

/** Starts the mock model on 127.0.0.1 (never another address). */
export async function startMockModel(options: MockModelOptions = {}): Promise<MockModel> {
  const state: State = {
    stats: { requests: 0, byBehaviour: {}, toolRounds: 0, open: 0, recent: [] },
    open: new Set(),
    options,
  }
  const server: Server = createServer((req, res) => route(req, res, state))
  // A hanging or slow answer may last as long as its caller waits; only the request itself is bounded.
  server.requestTimeout = 60_000
  server.headersTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    stats: () => ({ ...state.stats, open: state.open.size, recent: [...state.stats.recent] }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of state.open) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
