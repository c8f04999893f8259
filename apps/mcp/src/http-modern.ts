import { type AuthInfo, createMcpHandler, type McpServer } from '@modelcontextprotocol/server'
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

/**
 * Serves 2026-07-28 requests with the SDK's per-request handler (createMcpHandler; 2025-era requests are
 * routed to the sessions of http.ts before they get here). It checks the `_meta` envelope and the
 * `Mcp-Method`/`Mcp-Name` headers against the body itself and answers a mismatch with the spec's error; each such
 * refusal, and every tools/call, writes an audit line.
 */
export function modernEndpoint(options: ModernEndpointOptions): ModernEndpoint {
  const { audit } = options
  const factory = () => {
    const server = options.createServer()
    if (options.modernTasks) server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } })
    return instrumentServer(server, { audit, transport: 'http' })
  }
  const handler = createMcpHandler(factory, {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    onerror: (error) => options.log(`MCP request failed: ${error.message}`),
  })
  return {
    async serve(request, parsedBody, authInfo) {
      const started = Date.now()
      const task = await options.modernTasks?.answer(parsedBody, request.headers)
      if (task) return Response.json(task)
      const response = await handler.fetch(request, { parsedBody, ...(authInfo ? { authInfo } : {}) })
      const body = parsedBody as Body | null
      // A request the SDK refused before any tool ran (bad headers, a missing envelope): one audit line.
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
