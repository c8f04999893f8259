import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpServer } from '@modelcontextprotocol/server'
import { isLegacyRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server'
import type { AuditLog } from './audit.js'
import { modernEndpoint } from './http-modern.js'
import { instrumentTransport } from './instrument.js'
import type { TaskRegistry } from './tasks.js'
import type { ModernTasks } from './tasks-modern.js'
import { bearerMatches, createRequestGuard, type ListenAddress, type RequestGuard } from './http-guard.js'
import type { CallerAuth, OAuthGate } from './oauth-gate.js'

/** Options of {@link serveHttp}. */
export interface HttpServeOptions {
  address: ListenAddress
  /** The static bearer token; unused when `oauth` is set. */
  token?: string | undefined
  /** OAuth resource-server mode (oauth-gate.ts): JWT access tokens and per-message scopes instead of `token`. */
  oauth?: OAuthGate | undefined
  allowOrigins: string[]
  /** A session with no request for this long is closed. */
  idleTimeoutMs: number
  /** Every Mcp-Session-Id this process issues starts with `ID.` (a proxy routes a session's requests by it). */
  replicaId?: string | undefined
  /** Larger request bodies are answered 413 (default 1 MiB). */
  maxBodyBytes?: number
  /** At most this many live sessions (default 100); an initialize beyond it is answered 503. */
  maxSessions?: number
  /** A new McpServer for one MCP session; every session shares the one gateway session behind it. */
  createServer: () => McpServer
  audit: AuditLog | undefined
  /** The process's tasks (2025-11-25 task methods of the sessions). */
  tasks: TaskRegistry
  /** The tasks extension of 2026-07-28 clients (signed run handles; tasks-modern.ts). */
  modernTasks?: ModernTasks | undefined
  log: (message: string) => void
}

/** A running Streamable HTTP endpoint. */
export interface HttpEndpoint {
  url: string
  port: number
  sessionCount(): number
  close(): Promise<void>
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport
  server: McpServer
  inFlight: number
  lastActive: number
  /** OAuth mode: the subject and client that opened the session; nobody else may use it. */
  owner?: string
}

const DEFAULT_MAX_BODY = 1024 * 1024
const FORWARDED = ['accept', 'content-type', 'last-event-id']

function plain(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): undefined {
  if (res.headersSent) {
    res.end()
    return undefined
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null })
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
  return undefined
}

/** Reads a body up to `limit` bytes; undefined when it is larger (the socket is then left to be closed). */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Streams a web Response (JSON or an SSE stream) to the node response; a client gone cancels the stream. */
async function pipeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    headers[key] = value
  })
  res.writeHead(response.status, headers)
  if (!response.body) return void res.end()
  const reader = response.body.getReader()
  res.once('close', () => void reader.cancel().catch(() => undefined))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await new Promise((r) => res.once('drain', r).once('close', r))
    }
  } catch {
    // the client went away, or the transport closed the stream
  } finally {
    res.end()
  }
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body]
  return messages.some((m) => (m as { method?: unknown } | null)?.method === 'initialize')
}

/** The request as the SDK sees it: the MCP headers (mcp-session-id, mcp-method, mcp-name, mcp-param-…) and the body. */
function webRequest(req: IncomingMessage, port: number, body?: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers))
    if ((FORWARDED.includes(name) || name.startsWith('mcp-')) && typeof value === 'string')
      headers.set(name, value)
  const init: RequestInit = { method: req.method ?? 'GET', headers }
  if (body !== undefined && req.method === 'POST') init.body = body
  return new Request(`http://127.0.0.1:${port}${req.url ?? '/mcp'}`, init)
}

/** An unguessable session id (a random UUID), after `REPLICA.` when the replica has an id. */
const newSessionId = (replicaId: string | undefined): string =>
  replicaId ? `${replicaId}.${randomUUID()}` : randomUUID()

/** A session id for the log: its replica prefix and 8 characters of the random part. */
const shortId = (id: string): string => id.slice(0, id.indexOf('.') + 9)

/** The live MCP sessions: opened on `initialize`, dropped on DELETE, when idle, or when the server stops. */
class SessionTable {
  readonly sessions = new Map<string, Session>()
  constructor(private readonly options: HttpServeOptions) {}

  drop(id: string, why: string): void {
    const session = this.sessions.get(id)
    if (!session) return
    this.sessions.delete(id)
    this.options.log(`session ${shortId(id)} closed (${why}); ${this.sessions.size} open`)
    void Promise.allSettled([session.transport.close(), session.server.close()])
  }

  async open(maxBody: number): Promise<Session> {
    const server = this.options.createServer()
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => newSessionId(this.options.replicaId),
      onsessioninitialized: (id) => {
        this.sessions.set(id, session)
        this.options.log(`session ${shortId(id)} opened; ${this.sessions.size} open`)
      },
      onsessionclosed: (id) => this.drop(id, 'the client ended it'),
      maxRequestBodySize: maxBody,
    })
    const session: Session = { transport, server, inFlight: 0, lastActive: Date.now() }
    const audit = this.options.audit
    await server.connect(
      instrumentTransport(transport, { audit, transport: 'http', tasks: this.options.tasks }),
    )
    return session
  }

  /** Closes sessions with nothing in flight and no request for `idleTimeoutMs`. */
  sweep(): void {
    const now = Date.now()
    for (const [id, s] of this.sessions)
      if (s.inFlight === 0 && now - s.lastActive >= this.options.idleTimeoutMs)
        this.drop(id, `idle for ${Math.round((now - s.lastActive) / 1000)} s`)
  }
}

interface Admitted {
  parsedBody: unknown
  text?: string
  /** OAuth mode: the verified caller, handed to the SDK (`ctx.http.authInfo`). */
  authInfo?: CallerAuth
}

/**
 * The checks before the SDK sees a request — Host and Origin (403), the static bearer token (401), path and
 * method, the body's size (413) and syntax (400); in OAuth mode the RFC 9728 metadata (no token needed) and, once
 * the body is read, the access token (401/503) and each message's scope (403). Answers the request itself and
 * returns undefined when one fails.
 */
async function admit(
  req: IncomingMessage,
  res: ServerResponse,
  guard: RequestGuard,
  options: Pick<HttpServeOptions, 'token' | 'oauth'>,
  maxBody: number,
): Promise<Admitted | undefined> {
  const { oauth } = options
  const path = (req.url ?? '').split('?')[0] ?? ''
  if (!guard.hostAllowed(req.headers.host)) return plain(res, 403, 'Forbidden: Host not allowed')
  const document = req.method === 'GET' ? oauth?.metadata(path) : undefined
  if (document !== undefined) {
    res
      .writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
      .end(document)
    return undefined
  }
  if (!guard.originAllowed(req.headers.origin)) return plain(res, 403, 'Forbidden: Origin not allowed')
  // Without OAuth a client probing for OAuth metadata learns so at once (and keeps using its bearer header).
  if (path.startsWith('/.well-known/'))
    return plain(res, 404, oauth ? 'Not found' : 'Not found: this server takes a bearer token, no OAuth')
  if (!oauth && !bearerMatches(req.headers.authorization, options.token ?? ''))
    return plain(res, 401, 'Unauthorized: a valid bearer token is required', {
      'www-authenticate': 'Bearer realm="clawlink-mcp"',
    })
  if (path !== '/mcp') return plain(res, 404, 'Not found: the MCP endpoint is /mcp')
  if (!['GET', 'POST', 'DELETE'].includes(req.method ?? ''))
    return plain(res, 405, 'Method not allowed', { allow: 'GET, POST, DELETE' })
  let admitted: Admitted = { parsedBody: undefined }
  if (req.method === 'POST') {
    const text = await readBody(req, maxBody)
    if (text === undefined)
      return plain(res, 413, `Payload too large: at most ${maxBody} bytes`, { connection: 'close' })
    try {
      admitted = { parsedBody: JSON.parse(text), text }
    } catch {
      return plain(res, 400, 'Parse error: the body is not JSON')
    }
  }
  if (!oauth) return admitted
  const verdict = await oauth.admit(req.headers.authorization, admitted.parsedBody)
  if ('auth' in verdict) return { ...admitted, authInfo: verdict.auth }
  return plain(res, verdict.status, verdict.message, verdict.headers)
}

/** Who may use a session: in OAuth mode the token's subject and client; anyone with the static token otherwise. */
const ownerOf = (auth: CallerAuth | undefined) =>
  auth ? `${auth.extra.subject}\u0000${auth.clientId}` : undefined

/**
 * Serves MCP's Streamable HTTP at `/mcp` on node:http, both protocol eras: {@link admit} checks a request before
 * the SDK sees it. A 2026-07-28 request is served on its own (http-modern.ts: a server per request, nothing kept);
 * an older client gets one McpServer per MCP session, created on `initialize`, closed after `idleTimeoutMs`
 * without a request, on DELETE, or by {@link HttpEndpoint.close}.
 */
export async function serveHttp(options: HttpServeOptions): Promise<HttpEndpoint> {
  const table = new SessionTable(options)
  const sessions = table.sessions
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  let guard: RequestGuard | undefined
  let port = options.address.port

  const modern = modernEndpoint({ ...options, maxBodyBytes: maxBody })
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!guard) return plain(res, 503, 'Starting')
    const admitted = await admit(req, res, guard, options, maxBody)
    if (!admitted) return
    const { parsedBody, text, authInfo } = admitted
    // 2026-07-28 requests (a `_meta` envelope, no session) are served per request; the rest by their session.
    if (req.method === 'POST') {
      const request = webRequest(req, port, text)
      if (!(await isLegacyRequest(request, parsedBody, { maxRequestBodySize: maxBody })))
        return pipeResponse(await modern.serve(request, parsedBody, authInfo), res)
    }
    const id = req.headers['mcp-session-id']
    let session = typeof id === 'string' ? sessions.get(id) : undefined
    if (session?.owner !== ownerOf(authInfo)) session = undefined // another caller's session does not exist
    if (typeof id === 'string' && !session) return plain(res, 404, 'Session not found: initialize again')
    if (!session) {
      if (req.method !== 'POST' || !isInitialize(parsedBody))
        return plain(res, 400, 'Bad request: no mcp-session-id; send initialize first')
      if (sessions.size >= (options.maxSessions ?? 100))
        return plain(res, 503, 'Too many sessions: close idle clients and retry', { 'retry-after': '60' })
      session = await table.open(maxBody)
      session.owner = ownerOf(authInfo)
    }
    // A GET is the long-lived notification stream: it does not keep a session from expiring.
    const counted = req.method !== 'GET'
    if (counted) session.inFlight++
    session.lastActive = Date.now()
    try {
      const response = await session.transport.handleRequest(webRequest(req, port), { parsedBody, authInfo })
      await pipeResponse(response, res)
    } finally {
      if (counted) session.inFlight--
      session.lastActive = Date.now()
      if (!session.transport.sessionId) void session.server.close() // an initialize that failed
    }
  }

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`HTTP request failed: ${(error as Error).message}`)
      plain(res, 500, 'Internal error')
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.address.port, options.address.host, () => resolve())
  })
  port = (http.address() as AddressInfo).port
  guard = createRequestGuard(options.address, port, options.allowOrigins)
  const sweep = setInterval(() => table.sweep(), Math.max(100, Math.min(options.idleTimeoutMs / 4, 30_000)))
  sweep.unref()

  const host = options.address.host.includes(':') ? `[${options.address.host}]` : options.address.host
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweep)
      for (const id of [...sessions.keys()]) table.drop(id, 'server stopping')
      await modern.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
