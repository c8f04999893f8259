import { createPublicKey, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'

/** The signing algorithms the test IdP can issue access tokens with. */
export type IdpAlg = 'ES256' | 'RS256' | 'EdDSA'

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>

/** One signing key of the IdP: the pair (for minting) and the private JWK (for oidc-provider's `jwks`). */
export interface IdpKey {
  alg: IdpAlg
  kid: string
  pair: KeyPair
  privateJwk: JWK
}

/** A fresh extractable key for `alg`, with a random `kid`. */
export async function makeKey(alg: IdpAlg): Promise<IdpKey> {
  const pair = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  })
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg, use: 'sig' }
  return { alg, kid, pair, privateJwk }
}

/** The kinds of deliberately bad (or, for a control, good) tokens {@link mintToken} makes. */
export type MintKind =
  | 'valid'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'expired'
  | 'not-yet-valid'
  | 'alg-none'
  | 'hs256-public-key'
  | 'unknown-key'
  | 'forged-signature'
  | 'tampered'
  | 'no-client-id'

/** What a minted token claims. */
export interface MintClaims {
  issuer: string
  clientId: string
  scope: string
  resource: string
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function claimsOf(kind: MintKind, c: MintClaims): JWTPayload {
  const now = Math.floor(Date.now() / 1000)
  const claims: JWTPayload = {
    iss: kind === 'wrong-issuer' ? `${c.issuer}/not-this-one` : c.issuer,
    sub: c.clientId,
    aud: kind === 'wrong-audience' ? 'https://elsewhere.invalid/mcp' : c.resource,
    client_id: c.clientId,
    scope: c.scope,
    jti: randomUUID(),
    iat: kind === 'expired' ? now - 7200 : now,
    exp: kind === 'expired' ? now - 3600 : now + 600,
  }
  if (kind === 'not-yet-valid') claims.nbf = now + 3600
  if (kind === 'no-client-id') delete claims.client_id
  return claims
}

/**
 * A JWT access token shaped like the IdP's own (RFC 9068 claims, `typ: at+jwt`) with one defect named by `kind`:
 * signed by `key` unless the kind is about the signature (`alg-none`; `hs256-public-key`: HMAC with the public key's
 * PEM as the secret and the real kid; `unknown-key`: another key, its own kid; `forged-signature`: another key under
 * the real kid; `tampered`: a valid token whose scope was widened after signing).
 */
export async function mintToken(kind: MintKind, key: IdpKey, c: MintClaims): Promise<string> {
  const claims = claimsOf(kind, c)
  if (kind === 'alg-none') return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`
  if (kind === 'hs256-public-key') {
    // The PEM as a published key file holds it (trailing newline included).
    const pem = createPublicKey({ key: await exportJWK(key.pair.publicKey), format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
      .sign(new TextEncoder().encode(String(pem)))
  }
  let signer = key
  if (kind === 'unknown-key') signer = await makeKey(key.alg)
  if (kind === 'forged-signature') signer = { ...(await makeKey(key.alg)), kid: key.kid }
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid })
    .sign(signer.pair.privateKey)
  if (kind !== 'tampered') return token
  const [header, , signature] = token.split('.')
  const widened = { ...claims, sub: 'admin', scope: 'clawlink:read clawlink:run clawlink:write' }
  return `${header}.${b64(widened)}.${signature}`
}
