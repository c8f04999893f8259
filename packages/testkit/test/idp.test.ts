/**
 * The test IdP: real tokens carry the claims a resource server checks, and each minted bad token really has the
 * defect it is named after (checked with jose directly, not with clawlink-mcp's verifier).
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startIdp, type TestIdp } from '../src/idp/index.js'

const resource = 'http://127.0.0.1:8765/mcp'
let idp: TestIdp
let jwks: JSONWebKeySet
beforeAll(async () => {
  idp = await startIdp()
  jwks = (await (await fetch(idp.jwksUrl)).json()) as JSONWebKeySet
})
afterAll(async () => {
  await idp?.close()
})

describe('test IdP', () => {
  it('issues a JWT access token for the resource by client credentials', async () => {
    const token = await idp.getToken({ clientId: 'runner', resource })
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUrl)), {
      issuer: idp.issuer,
      audience: resource,
    })
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
    expect(payload).toMatchObject({ sub: 'runner', client_id: 'runner', scope: 'clawlink:read clawlink:run' })
    expect(jwks.keys.map((k) => k.kty).sort()).toEqual(['EC', 'OKP', 'RSA'])
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true)
  })

  it('refuses a scope beyond the client, a wrong secret and a resource it does not serve', async () => {
    await expect(idp.getToken({ clientId: 'reader', resource, scope: 'clawlink:run' })).rejects.toThrow(
      /invalid_scope/,
    )
    await expect(idp.getToken({ clientId: 'reader', resource: 'https://example.com/mcp' })).rejects.toThrow(
      /invalid_target/,
    )
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('reader:wrong').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
    })
    expect(res.status).toBe(401)
  })

  it('mints tokens with exactly the named defect', async () => {
    const mint = (kind: Parameters<TestIdp['mintToken']>[0]) =>
      idp.mintToken(kind, { clientId: 'writer', resource })
    const keys = createLocalJWKSet(jwks)
    const opts = { issuer: idp.issuer, audience: resource }
    await expect(jwtVerify(await mint('valid'), keys, opts)).resolves.toBeDefined()
    await expect(jwtVerify(await mint('wrong-audience'), keys, opts)).rejects.toMatchObject({ claim: 'aud' })
    await expect(jwtVerify(await mint('wrong-issuer'), keys, opts)).rejects.toMatchObject({ claim: 'iss' })
    await expect(jwtVerify(await mint('expired'), keys, opts)).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    })
    await expect(jwtVerify(await mint('not-yet-valid'), keys, opts)).rejects.toMatchObject({ claim: 'nbf' })
    await expect(jwtVerify(await mint('unknown-key'), keys, opts)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    await expect(jwtVerify(await mint('forged-signature'), keys, opts)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    await expect(jwtVerify(await mint('tampered'), keys, opts)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    const noClient = await mint('no-client-id')
    await jwtVerify(noClient, keys, opts)
    expect(decodeJwt(noClient).client_id).toBeUndefined()
    expect(decodeProtectedHeader(await mint('alg-none')).alg).toBe('none')
  })

  it('signs hs256-public-key with the public key, as an algorithm-confusion attacker would', async () => {
    const token = await idp.mintToken('hs256-public-key', { clientId: 'writer', resource })
    const header = decodeProtectedHeader(token)
    const jwk = jwks.keys.find((k) => k.kid === header.kid)
    expect(header.alg).toBe('HS256')
    expect(jwk?.kty).toBe('EC')
    const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    const opts = { issuer: idp.issuer, audience: resource, algorithms: ['HS256'] }
    await expect(jwtVerify(token, new TextEncoder().encode(String(pem)), opts)).resolves.toBeDefined()
  })
})
