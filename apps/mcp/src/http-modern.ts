import {
  type AuthInfo,
  createMcpHandler,
  type McpServer,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server'
import { type AuditLog, auditRefusal } from './audit.js'
import { instrumentServer } from './instrument.js'
import { type ModernTasks, TASKS_EXTENSION } from './tasks-modern.js'

/** Options of {@link modernEndpoint}. */
export interface ModernEndpointOptions {
  createServer: () => McpServer
  audit: AuditLog | undefined
  maxBodyBytes: number
  log: (message: string) => void
  /** The tasks extension (tasks-modern.ts): signed run handles any replica with the same key answers for. */
  modernTasks?: ModernTasks | undefined
}

/** The 2026-07-28 half of the HTTP endpoint: one request, one server, nothing kept between requests. */
export interface ModernEndpoint {
  /** `authInfo`: the OAuth caller http.ts verified, for the handlers (`ctx.http.authInfo`) and the audit. */
  serve(request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Response>
  close(): Promise<void>
}

type Body = { id?: unknown; method?: unknown; params?: { name?: unknown; arguments?: unknown } }

/** The subject and client id of an OAuth-verified caller (oauth-gate.ts puts the subject in `extra`), bounded. */
function callerOf(auth: AuthInfo | undefined): { subject: string; clientId: string } | undefined {
  const subject = auth?.extra?.subject
  if (typeof subject !== 'string') return undefined
  return { subject: subject.slice(0, 256), clientId: String(auth?.clientId).slice(0, 256) }
}

/** `log` with the caller's subject and client id on every line it records. */
function withCaller(log: AuditLog, caller: ReturnType<typeof callerOf>): AuditLog {
  if (!caller) return log
  return { path: log.path, close: () => log.close(), record: (entry) => log.record({ ...entry, ...caller }) }
}

/**
 * The server/discover answer with every version this endpoint serves: the SDK's handler (legacy: 'reject') lists
 * only the 2026-07-28 era, but http.ts serves the 2025 versions the SDK accepts on the same URL (as sessions).
 */
async function withAllVersions(response: Response): Promise<Response> {
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').includes('application/json'))
    return response
  const message = (await response.clone().json()) as { result?: { supportedVersions?: unknown } }
  const listed = message.result?.supportedVersions
  if (!Array.isArray(listed)) return response
  message.result!.supportedVersions = [
    ...listed,
    ...SUPPORTED_PROTOCOL_VERSIONS.filter((v) => !listed.includes(v)),
  ]
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(JSON.stringify(message), { status: 200, headers })
}

/**
 * Serves 2026-07-28 requests with the SDK's per-request handler (createMcpHandler; 2025-era requests are
 * routed to the sessions of http.ts before they get here). It checks the `_meta` envelope and the
 * `Mcp-Method`/`Mcp-Name` headers against the body itself and answers a mismatch with the spec's error; each such
 * refusal, and every tools/call, writes an audit line (with the OAuth caller, when a token was verified).
 */
export function modernEndpoint(options: ModernEndpointOptions): ModernEndpoint {
  const factory = () => {
    const server = options.createServer()
    if (options.modernTasks) server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } })
    return instrumentServer(server, { audit: options.audit, transport: 'http' })
  }
  const handler = createMcpHandler(factory, {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    onerror: (error) => options.log(`MCP request failed: ${error.message}`),
  })
  return {
    async serve(request, parsedBody, authInfo) {
      const started = Date.now()
      const caller = callerOf(authInfo)
      const origin = { transport: 'http' as const, headers: request.headers, caller }
      const task = await options.modernTasks?.answer(parsedBody, origin)
      if (task) return Response.json(task)
      const response = await handler.fetch(request, { parsedBody, ...(authInfo ? { authInfo } : {}) })
      const body = parsedBody as Body | null
      if (body?.method === 'server/discover' && response.status === 200) return withAllVersions(response)
      // A request the SDK refused before any tool ran (bad headers, a missing envelope): one audit line.
      const audit = options.audit && withCaller(options.audit, caller)
      if (audit && response.status >= 400 && body && typeof body === 'object' && body.id !== undefined) {
        const error = await response
          .clone()
          .json()
          .then((j) => (j as { error?: { code?: number } }).error)
          .catch(() => undefined)
        auditRefusal(audit, {
          method: typeof body.method === 'string' ? body.method : '',
          name: typeof body.params?.name === 'string' ? body.params.name : undefined,
          arguments: body.params?.arguments,
          errorCode: error?.code,
          status: response.status,
          started,
        })
      }
      return response
    },
    close: () => handler.close(),
  }
}
