import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose'
import { OAuthSetupError, urlProblem } from './oauth-options.js'

/** Asymmetric JWS algorithms accepted by default; `none` and every HMAC (HS*) algorithm are never accepted. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** The issuer identifier (`--oauth-issuer`): tokens' `iss` must equal it. */
  issuer: string
  /** This server's resource identifier (`--oauth-audience`): tokens' `aud` must name it (RFC 8707). */
  audience: string
  /** The issuer's JWKS; else discovered from its RFC 8414 or OpenID Connect metadata. */
  jwksUrl?: string | undefined
  /** Bound of each metadata or JWKS fetch (default 5000 ms). */
  timeoutMs?: number | undefined
  /** Accepted `alg` values; only asymmetric ones are allowed (default {@link DEFAULT_ALGORITHMS}). */
  algorithms?: readonly string[] | undefined
  /** Clock skew tolerated for `exp`/`nbf`/`iat` (default 30 s). */
  clockToleranceS?: number | undefined
}

/**
 * A verified access token, shaped like the MCP SDK's `AuthInfo` (token, clientId, scopes, expiresAt in seconds,
 * resource) plus the subject. `token` is the raw bearer for the SDK only: never log or echo it.
 */
export interface VerifiedToken {
  token: string
  subject: string
  clientId: string
  scopes: string[]
  expiresAt: number
  resource: URL
  extra: { subject: string; issuer: string }
}

/** Why a token was refused (one word, for logs and tests). */
export type TokenRefusalKind =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'issuer_unavailable'

/**
 * A refused request. `status` 401 (no or bad token; `error` undefined when no token was sent, RFC 6750 §3.1) or
 * 503 (the issuer's keys could not be fetched: not the client's fault, retry later). `reason` is one line that
 * never contains the token. `code` is the audit log's code (docs/errors.md).
 */
export interface TokenRefusal {
  ok: false
  status: 401 | 503
  error: 'invalid_token' | undefined
  kind: TokenRefusalKind
  code: 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'OAUTH_UNAVAILABLE'
  reason: string
}

export type TokenCheck = { ok: true; auth: VerifiedToken } | TokenRefusal

/** Checks bearer tokens against one issuer and one resource. */
export interface JwtVerifier {
  /** Checks an `Authorization` header value (`Bearer <jwt>`; anything else counts as no token). */
  verify(authorization: string | undefined): Promise<TokenCheck>
  /** Checks a bare token. */
  verifyToken(token: string): Promise<TokenCheck>
  /** The JWKS URL, discovering it on first use. Call at start-up to fail early. @throws OAuthSetupError */
  jwksUrl(): Promise<string>
}

const MAX_TOKEN = 16_384

function refuse(kind: TokenRefusalKind, reason: string): TokenRefusal {
  if (kind === 'missing')
    return { ok: false, status: 401, error: undefined, kind, code: 'TOKEN_MISSING', reason }
  if (kind === 'issuer_unavailable')
    return { ok: false, status: 503, error: undefined, kind, code: 'OAUTH_UNAVAILABLE', reason }
  return { ok: false, status: 401, error: 'invalid_token', kind, code: 'TOKEN_INVALID', reason }
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization ?? '')?.[1]
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!res.ok) {
    await res.body?.cancel()
    throw new Error(`HTTP ${res.status}`)
  }
  const body: unknown = await res.json()
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not a JSON object')
  return body as Record<string, unknown>
}

/** Where the issuer's metadata may be: RFC 8414 §3.1 (well-known before the path), then OpenID Connect Discovery. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ]
}

/** The issuer's `jwks_uri`, from the first metadata document that answers and names this issuer. */
async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<string> {
  const problems: string[] = []
  for (const url of metadataUrls(issuer)) {
    let meta: Record<string, unknown>
    try {
      meta = await fetchJson(url, timeoutMs)
    } catch (error) {
      problems.push(
        `${url}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}`,
      )
      continue
    }
    if (typeof meta.issuer !== 'string' || meta.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, ''))
      throw new OAuthSetupError(
        'OAUTH_DISCOVERY_FAILED',
        `${url} names the issuer ${JSON.stringify(String(meta.issuer).slice(0, 200))}, not ${issuer}`,
        { remedy: 'pass --oauth-issuer exactly as the authorization server spells its issuer' },
      )
    const jwks = meta.jwks_uri
    const problem = typeof jwks === 'string' ? urlProblem(jwks, { query: true }) : 'is missing'
    if (problem !== undefined || typeof jwks !== 'string')
      throw new OAuthSetupError('OAUTH_DISCOVERY_FAILED', `the jwks_uri of ${url} ${problem}`, {
        remedy: 'the authorization server must publish its signing keys over https',
      })
    return jwks
  }
  throw new OAuthSetupError(
    'OAUTH_DISCOVERY_FAILED',
    `cannot read the metadata of the issuer ${issuer} (${problems.join('; ')})`,
    { remedy: 'check --oauth-issuer and that the authorization server is reachable from this host' },
  )
}

const CLAIM_KINDS: Record<string, TokenRefusalKind> = { iss: 'issuer', aud: 'audience', nbf: 'not_yet_valid' }

/** Maps a jose error (or a fetch failure) to a refusal, without echoing anything from the token. */
function refusalOf(error: unknown, opts: { issuer: string; audience: string }): TokenRefusal {
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return refuse('expired', 'the token has expired')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = String((error as { claim?: unknown }).claim ?? '').slice(0, 16)
      const kind = CLAIM_KINDS[claim] ?? 'claims'
      if (kind === 'issuer') return refuse(kind, `the token was not issued by ${opts.issuer}`)
      if (kind === 'audience')
        return refuse(kind, `the token's audience is not this server (${opts.audience})`)
      if (kind === 'not_yet_valid') return refuse(kind, 'the token is not valid yet (nbf)')
      return refuse(kind, `the token's ${JSON.stringify(claim)} claim is missing or invalid`)
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return refuse('algorithm', 'the token is signed with an algorithm this server does not accept')
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return refuse('signature', 'the token signature does not verify')
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return refuse('unknown_key', "no single key of the issuer's JWKS matches the token (kid, alg)")
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return refuse('malformed', 'the token is not a valid signed JWT')
  }
  const why = code === 'ERR_JWKS_TIMEOUT' ? 'timed out' : (error as Error).message
  return refuse('issuer_unavailable', `cannot fetch the issuer's signing keys: ${String(why).slice(0, 200)}`)
}

/** Scopes from RFC 9068 `scope` (space-separated), or a `scp` array some issuers use instead. */
function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter((s) => s !== '')
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string')
  return []
}

function authOf(payload: JWTPayload, token: string, opts: JwtVerifierOptions): VerifiedToken | TokenRefusal {
  const clientId = [payload.client_id, payload.azp].find(
    (v): v is string => typeof v === 'string' && v !== '',
  )
  if (typeof payload.sub !== 'string' || payload.sub === '')
    return refuse('claims', 'the token has no "sub" claim (RFC 9068)')
  if (clientId === undefined) return refuse('claims', 'the token has no "client_id" claim (RFC 9068)')
  return {
    token,
    subject: payload.sub,
    clientId,
    scopes: scopesOf(payload),
    expiresAt: payload.exp as number,
    resource: new URL(opts.audience),
    extra: { subject: payload.sub, issuer: opts.issuer },
  }
}

/**
 * A verifier of JWT access tokens (RFC 9068) for OAuth resource-server mode: the signature against the issuer's
 * JWKS (fetched, cached and refreshed by jose), `iss`, `aud` naming this resource, `exp` (required) and `nbf`, and
 * an asymmetric `alg` only — checked before any key is looked up, so `none` and HS256-with-the-public-key are
 * refused whatever the key set holds.
 */
export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const timeoutMs = opts.timeoutMs ?? 5000
  const algorithms = [...(opts.algorithms ?? DEFAULT_ALGORITHMS)]
  const symmetric = algorithms.find((a) => !DEFAULT_ALGORITHMS.includes(a))
  if (symmetric !== undefined) throw new TypeError(`algorithm ${symmetric} is not an accepted asymmetric one`)
  // RFC 8707 resource identifiers are compared as strings; a root URL is accepted with and without its slash.
  const audiences = [...new Set([opts.audience, new URL(opts.audience).href])]
  let jwksUrl: Promise<string> | undefined
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined
  const getJwksUrl = (): Promise<string> => {
    if (jwksUrl !== undefined) return jwksUrl
    const found =
      opts.jwksUrl !== undefined ? Promise.resolve(opts.jwksUrl) : discoverJwksUrl(opts.issuer, timeoutMs)
    // A failed discovery is tried again by the next request, not remembered.
    found.catch(() => {
      if (jwksUrl === found) jwksUrl = undefined
    })
    jwksUrl = found
    return found
  }
  const verifyToken = async (token: string): Promise<TokenCheck> => {
    if (token.length > MAX_TOKEN)
      return refuse('malformed', `the token is longer than ${MAX_TOKEN} characters`)
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      return refuse('malformed', 'the token is not a valid signed JWT')
    }
    if (typeof alg !== 'string' || !algorithms.includes(alg))
      return refuse('algorithm', `the token's alg is not one of ${algorithms.join(', ')}`)
    try {
      keys ??= createRemoteJWKSet(new URL(await getJwksUrl()), { timeoutDuration: timeoutMs })
    } catch (error) {
      return refuse('issuer_unavailable', (error as Error).message.slice(0, 300))
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: opts.issuer,
        audience: audiences,
        algorithms,
        clockTolerance: opts.clockToleranceS ?? 30,
        requiredClaims: ['exp'],
      })
      const auth = authOf(payload, token, opts)
      return 'ok' in auth ? auth : { ok: true, auth }
    } catch (error) {
      return refusalOf(error, opts)
    }
  }
  return {
    verifyToken,
    verify: async (authorization) => {
      const token = bearerToken(authorization)
      if (token === undefined)
        return refuse('missing', 'no bearer token (Authorization: Bearer <access token>)')
      return verifyToken(token)
    },
    jwksUrl: getJwksUrl,
  }
}
