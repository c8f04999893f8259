import { createServer } from 'node:net'
import { IDP_CLIENTS, type IdpClientId, type MintKind, startIdp, type TestIdp } from '@clawlink/testkit/idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJwtVerifier, type JwtVerifier, OAuthSetupError, type TokenCheck } from '../src/oauth.js'

const RESOURCE = 'http://127.0.0.1:8765/mcp'

/** The refusal of a check that must fail, with the token never in its reason. */
function refusal(check: TokenCheck, token: string) {
  if (check.ok) throw new Error(`accepted a token that should be refused (client ${check.auth.clientId})`)
  expect(check.reason).not.toContain(token)
  expect(check.reason).not.toContain(token.split('.')[1] ?? token)
  expect(check.reason).not.toMatch(/\n/)
  return check
}

let idp: TestIdp
let verifier: JwtVerifier
beforeAll(async () => {
  idp = await startIdp()
  verifier = createJwtVerifier({ issuer: idp.issuer, audience: RESOURCE })
})
afterAll(async () => {
  await idp?.close()
})

describe('tokens from the real IdP (oidc-provider, client credentials, resource indicator)', () => {
  it("discovers the issuer's JWKS from its metadata", async () => {
    expect(await verifier.jwksUrl()).toBe(idp.jwksUrl)
  })

  it.each(Object.keys(IDP_CLIENTS) as IdpClientId[])(
    'accepts a token of %s with its subject, client and scopes',
    async (clientId) => {
      const token = await idp.getToken({ clientId, resource: RESOURCE })
      const check = await verifier.verify(`Bearer ${token}`)
      if (!check.ok) throw new Error(`refused: ${check.kind}: ${check.reason}`)
      expect(check.auth).toMatchObject({
        subject: clientId,
        clientId,
        scopes: IDP_CLIENTS[clientId].split(' '),
        token,
        extra: { subject: clientId, issuer: idp.issuer },
      })
      expect(check.auth.resource.href).toBe(RESOURCE)
      expect(check.auth.expiresAt).toBeGreaterThan(Date.now() / 1000)
    },
  )

  it('carries only the scopes granted when a client asks for fewer', async () => {
    const token = await idp.getToken({ clientId: 'writer', resource: RESOURCE, scope: 'clawlink:write' })
    const check = await verifier.verifyToken(token)
    expect(check.ok && check.auth.scopes).toEqual(['clawlink:write'])
  })

  it('refuses a real token issued for another resource (RFC 8707 audience)', async () => {
    const token = await idp.getToken({ clientId: 'runner', resource: 'http://127.0.0.1:8766/mcp' })
    const check = refusal(await verifier.verify(`Bearer ${token}`), token)
    expect(check).toMatchObject({
      status: 401,
      error: 'invalid_token',
      kind: 'audience',
      code: 'TOKEN_INVALID',
    })
    expect(check.reason).toContain(RESOURCE)
  })
})

describe('deliberately bad tokens', () => {
  it('accepts the minted control token, so each refusal below is its one defect', async () => {
    const token = await idp.mintToken('valid', { clientId: 'runner', resource: RESOURCE })
    const check = await verifier.verifyToken(token)
    expect(check.ok && check.auth.clientId).toBe('runner')
  })

  const cases: [MintKind, string][] = [
    ['wrong-audience', 'audience'],
    ['wrong-issuer', 'issuer'],
    ['expired', 'expired'],
    ['not-yet-valid', 'not_yet_valid'],
    ['alg-none', 'algorithm'],
    ['hs256-public-key', 'algorithm'],
    ['unknown-key', 'unknown_key'],
    ['forged-signature', 'signature'],
    ['tampered', 'signature'],
    ['no-client-id', 'claims'],
  ]
  it.each(cases)('refuses %s as invalid_token (%s)', async (kind, expected) => {
    const token = await idp.mintToken(kind, { clientId: 'writer', resource: RESOURCE })
    const check = refusal(await verifier.verify(`Bearer ${token}`), token)
    expect(check).toMatchObject({
      status: 401,
      error: 'invalid_token',
      kind: expected,
      code: 'TOKEN_INVALID',
    })
  })

  it('treats a missing or non-Bearer Authorization as no token (401 without an error code)', async () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words'])
      expect(await verifier.verify(header)).toMatchObject({
        ok: false,
        status: 401,
        error: undefined,
        kind: 'missing',
        code: 'TOKEN_MISSING',
      })
  })

  it('refuses a bearer that is not a JWT, and one too long to be a token', async () => {
    expect(await verifier.verify('Bearer not-a-jwt')).toMatchObject({
      kind: 'malformed',
      error: 'invalid_token',
    })
    expect(await verifier.verifyToken(`a.${'b'.repeat(20_000)}.c`)).toMatchObject({ kind: 'malformed' })
  })

  it('never accepts HMAC algorithms, even when asked to', () => {
    expect(() =>
      createJwtVerifier({ issuer: idp.issuer, audience: RESOURCE, algorithms: ['HS256'] }),
    ).toThrow(/HS256 is not an accepted asymmetric one/)
  })
})

describe('other signing algorithms and key sources', () => {
  it.each(['RS256', 'EdDSA'] as const)('accepts %s tokens from the IdP', async (alg) => {
    const other = await startIdp({ alg })
    try {
      const v = createJwtVerifier({ issuer: other.issuer, audience: RESOURCE, jwksUrl: other.jwksUrl })
      const token = await other.getToken({ clientId: 'reader', resource: RESOURCE })
      expect(await v.verifyToken(token)).toMatchObject({ ok: true, auth: { clientId: 'reader' } })
      const narrow = createJwtVerifier({ issuer: other.issuer, audience: RESOURCE, algorithms: ['ES256'] })
      expect(await narrow.verifyToken(token)).toMatchObject({ ok: false, kind: 'algorithm' })
    } finally {
      await other.close()
    }
  })

  it('refuses discovery when the metadata names another issuer', async () => {
    const localhost = idp.issuer.replace('127.0.0.1', 'localhost')
    const v = createJwtVerifier({ issuer: localhost, audience: RESOURCE })
    const error = await v.jwksUrl().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthSetupError)
    expect(error).toMatchObject({ code: 'OAUTH_DISCOVERY_FAILED' })
    expect((error as Error).message).toContain(idp.issuer)
  })

  it('answers 503 (not the client’s fault) while the issuer cannot be reached, and says so at start-up', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => resolve(port))
      })
    })
    const v = createJwtVerifier({ issuer: `http://127.0.0.1:${closed}`, audience: RESOURCE, timeoutMs: 2000 })
    const error = await v.jwksUrl().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'OAUTH_DISCOVERY_FAILED' })
    expect((error as Error).message).toContain(
      `http://127.0.0.1:${closed}/.well-known/oauth-authorization-server`,
    )
    const token = await idp.getToken({ clientId: 'reader', resource: RESOURCE })
    expect(await v.verifyToken(token)).toMatchObject({
      ok: false,
      status: 503,
      kind: 'issuer_unavailable',
      code: 'OAUTH_UNAVAILABLE',
    })
  })
})
