import type { AuthInfo } from '@modelcontextprotocol/server'
import { type AuditLog, redactArguments } from './audit.js'
import {
  insufficientScopeChallenge,
  isProtectedResourceMetadataPath,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  unauthorizedChallenge,
} from './oauth-metadata.js'
import type { OAuthSetup } from './oauth-options.js'
import { requiredScopeForRequest } from './oauth-scopes.js'
import { createJwtVerifier, type JwtVerifier } from './oauth-verify.js'

/** The verified caller of one HTTP request, as the SDK's handlers see it (`ctx.http.authInfo`). */
export type CallerAuth = AuthInfo & { extra: { subject: string; issuer: string } }

/** An HTTP answer the gate gives instead of the SDK. */
export interface GateAnswer {
  status: number
  headers: Record<string, string>
  message: string
}

/** OAuth resource-server mode of the HTTP endpoint: metadata, the bearer check and the scope of each message. */
export interface OAuthGate {
  readonly setup: OAuthSetup
  /** The RFC 9728 document when `path` is one of its GET paths (no token needed), else undefined. */
  metadata(path: string): string | undefined
  /**
   * Verifies the request's token, then the scope each JSON-RPC message of `body` needs. A refusal (401/503/403) is
   * answered by the caller and has already written its audit line; the token never appears in either.
   */
  admit(authorization: string | undefined, body: unknown): Promise<{ auth: CallerAuth } | GateAnswer>
}

type Message = { method?: unknown; params?: { name?: unknown; arguments?: unknown } }

function messagesOf(body: unknown): Message[] {
  const list = Array.isArray(body) ? body : body === undefined ? [] : [body]
  return list.filter((m): m is Message => m !== null && typeof m === 'object')
}

/** Each message's method and tool name, and the scope it needs (undefined: any valid token). */
function scopesOf(body: unknown) {
  return messagesOf(body).map((m) => {
    const method = typeof m.method === 'string' ? m.method : ''
    const name = typeof m.params?.name === 'string' ? m.params.name : undefined
    return { message: m, method, name, scope: requiredScopeForRequest(method, name) }
  })
}

/** The audit line of a request the gate refused (one per request, naming its first message). */
function auditGateRefusal(
  audit: AuditLog | undefined,
  r: { body: unknown; code: string; reason: string; subject?: string; clientId?: string; args?: boolean },
): void {
  if (!audit) return
  const first = messagesOf(r.body)[0]
  const method = typeof first?.method === 'string' ? first.method : ''
  const name = typeof first?.params?.name === 'string' ? first.params.name : undefined
  audit.record({
    time: new Date().toISOString(),
    tool: (method === 'tools/call' && name ? name : method || '(none)').slice(0, 128),
    // An unauthenticated caller's arguments are not kept: the log is not theirs to fill.
    arguments: r.args ? redactArguments(first?.params?.arguments ?? {}) : {},
    job: null,
    client: null,
    transport: 'http',
    outcome: r.code === 'OAUTH_UNAVAILABLE' ? 'error' : 'refused',
    code: r.code,
    reason: r.reason,
    runId: null,
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.clientId !== undefined ? { clientId: r.clientId } : {}),
    durationMs: 0,
  })
}

/**
 * Starts OAuth mode: discovers the issuer's JWKS once (so a wrong issuer stops the start) and returns the gate.
 * @throws OAuthSetupError
 */
export async function startOAuthGate(
  setup: OAuthSetup,
  audit: AuditLog | undefined,
  verifier: JwtVerifier = createJwtVerifier(setup),
): Promise<OAuthGate> {
  await verifier.jwksUrl()
  const resource = setup.audience
  const document = JSON.stringify(protectedResourceMetadata(setup))
  const resourceMetadataUrl = protectedResourceMetadataUrl(resource)
  return {
    setup,
    metadata: (path) => (isProtectedResourceMetadataPath(path, resource) ? document : undefined),
    async admit(authorization, body) {
      const needs = scopesOf(body)
      const check = await verifier.verify(authorization)
      if (!check.ok) {
        auditGateRefusal(audit, { body, code: check.code, reason: check.kind })
        const description = check.error === undefined ? undefined : check.reason
        // The scope to ask for (MCP scope selection): what this request needs, else the least useful one.
        const scope = needs.find((n) => n.scope !== undefined)?.scope ?? 'clawlink:read'
        const challenge = unauthorizedChallenge({ resource, error: check.error, description, scope })
        const headers: Record<string, string> = { 'www-authenticate': challenge }
        if (check.status === 503) headers['retry-after'] = '30'
        return { status: check.status, headers, message: `Unauthorized: ${check.reason}` }
      }
      const { subject, ...auth } = check.auth
      const who = { subject, clientId: auth.clientId }
      for (const { message, method, name, scope } of needs) {
        if (scope === undefined || auth.scopes.includes(scope)) continue
        auditGateRefusal(audit, {
          body: message,
          code: 'INSUFFICIENT_SCOPE',
          reason: scope,
          ...who,
          args: true,
        })
        const description = `${method === 'tools/call' ? (name ?? '').slice(0, 64) : method} needs the scope ${scope}`
        const challenge = insufficientScopeChallenge({ resource, scope, description })
        return {
          status: 403,
          headers: { 'www-authenticate': challenge },
          message: `Forbidden: ${description}`,
        }
      }
      return { auth: { ...auth, resourceMetadataUrl } }
    },
  }
}
