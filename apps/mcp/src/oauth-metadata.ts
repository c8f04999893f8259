import { OAUTH_SCOPES, type OAuthScope } from './oauth-scopes.js'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

/** RFC 9728 protected-resource metadata, as served at {@link protectedResourceMetadataUrl}. */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers: string[]
  scopes_supported: string[]
  bearer_methods_supported: string[]
  resource_name: string
}

/** The metadata document of this server (resource = `--oauth-audience`, its one authorization server = the issuer). */
export function protectedResourceMetadata(setup: {
  issuer: string
  audience: string
}): ProtectedResourceMetadata {
  return {
    resource: setup.audience,
    authorization_servers: [setup.issuer],
    scopes_supported: [...OAUTH_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'clawlink-mcp',
  }
}

/** The path part of a resource URL without its trailing slash (`''` for a resource at the root). */
function resourcePath(resource: string): string {
  return new URL(resource).pathname.replace(/\/+$/, '')
}

/**
 * Where a client finds the metadata of `resource` (RFC 9728 §3.1: the well-known segment goes between the host and
 * the resource's path): `https://h/mcp` → `https://h/.well-known/oauth-protected-resource/mcp`. This is the
 * `resource_metadata` of a 401.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}${WELL_KNOWN}${resourcePath(resource)}`
}

/**
 * The request paths that serve the metadata document (GET): the path-specific form and the plain
 * `/.well-known/oauth-protected-resource` (for clients that try the root first). Both answer the same JSON.
 */
export function protectedResourceMetadataPaths(resource: string): string[] {
  const specific = `${WELL_KNOWN}${resourcePath(resource)}`
  return specific === WELL_KNOWN ? [WELL_KNOWN] : [specific, WELL_KNOWN]
}

/** Whether a request path (query ignored) is one of {@link protectedResourceMetadataPaths}. */
export function isProtectedResourceMetadataPath(requestPath: string, resource: string): boolean {
  const path = requestPath.split('?')[0] ?? ''
  return protectedResourceMetadataPaths(resource).includes(path.replace(/\/+$/, '') || '/')
}

/** An RFC 6750 quoted-string value: only printable ASCII, without `"` and `\`, and kept short. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]|["\\]/g, "'").slice(0, 200)}"`
}

/**
 * `WWW-Authenticate` of a 401. Without `error` (no token was sent): `Bearer resource_metadata="…"` (RFC 6750
 * §3.1). With a token that failed: `error="invalid_token"` and its one-line reason as `error_description`. `scope`
 * (optional) tells the client what to ask for.
 */
export function unauthorizedChallenge(opts: {
  resource: string
  error?: 'invalid_token' | 'invalid_request' | undefined
  description?: string | undefined
  scope?: OAuthScope | readonly OAuthScope[] | undefined
}): string {
  const parts = [`resource_metadata=${quoted(protectedResourceMetadataUrl(opts.resource))}`]
  if (opts.scope !== undefined)
    parts.push(`scope=${quoted(typeof opts.scope === 'string' ? opts.scope : opts.scope.join(' '))}`)
  if (opts.error !== undefined) {
    parts.push(`error=${quoted(opts.error)}`)
    if (opts.description !== undefined) parts.push(`error_description=${quoted(opts.description)}`)
  }
  return `Bearer ${parts.join(', ')}`
}

/**
 * `WWW-Authenticate` of a 403 for a valid token without the scope a call needs (RFC 6750 §3.1, MCP "scope
 * challenge"): `Bearer error="insufficient_scope", scope="clawlink:run", resource_metadata="…", error_description="…"`.
 */
export function insufficientScopeChallenge(opts: {
  resource: string
  scope: OAuthScope
  description?: string | undefined
}): string {
  const parts = [
    'error="insufficient_scope"',
    `scope=${quoted(opts.scope)}`,
    `resource_metadata=${quoted(protectedResourceMetadataUrl(opts.resource))}`,
  ]
  if (opts.description !== undefined) parts.push(`error_description=${quoted(opts.description)}`)
  return `Bearer ${parts.join(', ')}`
}
