import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  base64UrlDecode,
  base64UrlEncode,
  buildDeviceAuthPayload,
  createDeviceProof,
  type DeviceSigner,
  deriveDeviceId,
  hexDecode,
  hexEncode,
  normalizeFingerprint,
  publicKeyFromPem,
  publicKeyToSpkiPem,
  seedFromPkcs8Pem,
  seedToPkcs8Pem,
  signatureToken,
} from './index.js'

interface Vector {
  name: string
  version: 'v3' | 'v2'
  auth: Record<string, string>
  fields: Parameters<typeof buildDeviceAuthPayload>[0]
  payload: string
  signatureBase64Url: string
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/device-auth.json', import.meta.url), 'utf8')) as {
  key: Record<string, string>
  payloads: Vector[]
  negative: { name: string; signatureOf: string; payload: string }[]
  fingerprints: { input: string; normalized: string }[]
}

const seed = hexDecode(vectors.key.seedHex!)
const privateKey = createPrivateKey({
  key: Buffer.from(vectors.key.pkcs8DerHex!, 'hex'),
  format: 'der',
  type: 'pkcs8',
})
const publicKey = new Uint8Array(
  createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12),
)
const nodeSigner: DeviceSigner = {
  algorithm: 'ed25519',
  publicKey,
  async sign(payload) {
    return new Uint8Array(sign(null, payload, privateKey))
  },
}

// Literal strings from docs/protocol.md §12.1, kept here so the JSON file cannot drift from the spec.
const SPEC = {
  V1: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  V2: 'MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
  V3: '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9',
  V4: 'v3|21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9|cli|cli|operator|operator.admin,operator.read,operator.write,operator.approvals,operator.pairing|1737264000000|conf-token-123|3f1b6b2e-2c1a-4c55-9a57-0c8f1f3c2d10|linux|',
  V5: 'cVryx5rPzKRt3fejwTHVOy9Qgotd0QULp-_YZjdX_ut1CXMvMqgZkMr8r_3K0s0yzh2OR6PwsFL6DB97WuyDBg',
  V6: 'v3|21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9|cli|cli|operator||1737264000000||3f1b6b2e-2c1a-4c55-9a57-0c8f1f3c2d10|darwin|macbookpro',
  V7: 'qgtbkqWe_u0W9F01h-HTv0UPo26ApYSYTI4GUjVfsIveiksl5U_kMZUehskLYARUdDX4OiiuCtLQwtgx4RDRBw',
  V8: 'v3|21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9|cli|cli|operator|operator.admin|1737264000000|conf-token-123|3f1b6b2e-2c1a-4c55-9a57-0c8f1f3c2d10|Äbc-linux|',
  V9: 'v2|21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9|cli|cli|operator|operator.admin,operator.read,operator.write,operator.approvals,operator.pairing|1737264000000|conf-token-123|3f1b6b2e-2c1a-4c55-9a57-0c8f1f3c2d10',
  V10: 'ql4EEIJEEaNiB5VD7bhflta9nxsE22WdqYqrdwPMabSI8EWoI26gxXH-4JWfRkC7QEz3FYfeQJ_ZYVz_R80JBA',
}

describe('key vectors V1–V3 (docs/protocol.md §12.1)', () => {
  it('derives the public key, its encodings and the device id', () => {
    expect(hexEncode(publicKey)).toBe(vectors.key.publicKeyHex)
    expect(base64UrlEncode(publicKey)).toBe(SPEC.V1)
    expect(publicKeyToSpkiPem(publicKey).split('\n')[1]).toBe(SPEC.V2)
    expect(deriveDeviceId(publicKey)).toBe(SPEC.V3)
    expect(vectors.key.deviceId).toBe(SPEC.V3)
  })
  it('round-trips PEM and base64url', () => {
    expect(publicKeyFromPem(publicKeyToSpkiPem(publicKey))).toEqual(publicKey)
    expect(seedFromPkcs8Pem(seedToPkcs8Pem(seed))).toEqual(seed)
    expect(seedFromPkcs8Pem(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)).toEqual(seed)
    expect(base64UrlDecode(SPEC.V1)).toEqual(publicKey)
  })
})

describe('payload vectors', () => {
  it('the JSON file agrees with the spec strings', () => {
    const byName = new Map(vectors.payloads.map((v) => [v.name, v]))
    expect(byName.get('V4')!.payload).toBe(SPEC.V4)
    expect(byName.get('V4')!.signatureBase64Url).toBe(SPEC.V5)
    expect(byName.get('V6')!.payload).toBe(SPEC.V6)
    expect(byName.get('V6')!.signatureBase64Url).toBe(SPEC.V7)
    expect(byName.get('V8')!.payload).toBe(SPEC.V8)
    expect(byName.get('V9')!.payload).toBe(SPEC.V9)
    expect(byName.get('V9')!.signatureBase64Url).toBe(SPEC.V10)
  })

  for (const v of vectors.payloads) {
    it(`${v.name}: payload and signature reproduce byte for byte`, async () => {
      expect(signatureToken(v.auth)).toBe(v.fields.token)
      expect(buildDeviceAuthPayload(v.fields, v.version)).toBe(v.payload)
      const proof = await createDeviceProof({
        signer: nodeSigner,
        nonce: v.fields.nonce,
        signedAtMs: v.fields.signedAtMs,
        clientId: v.fields.clientId,
        clientMode: v.fields.clientMode,
        role: v.fields.role,
        scopes: v.fields.scopes,
        auth: v.auth,
        platform: v.fields.platform as string | undefined,
        deviceFamily: v.fields.deviceFamily as string | undefined,
        version: v.version,
      })
      expect(proof.signature).toBe(v.signatureBase64Url)
      expect(proof.signature).toHaveLength(86)
      expect(proof.id).toBe(SPEC.V3)
      expect(proof.publicKey).toBe(SPEC.V1)
      expect(proof.signedAt).toBe(v.fields.signedAtMs)
    })
  }

  it('V11: a signature does not verify over reordered scopes', () => {
    for (const n of vectors.negative) {
      const sig = vectors.payloads.find((v) => v.name === n.signatureOf)!.signatureBase64Url
      const pub = createPublicKey(privateKey)
      expect(verify(null, Buffer.from(n.payload), pub, base64UrlDecode(sig))).toBe(false)
      const original = vectors.payloads.find((v) => v.name === n.signatureOf)!.payload
      expect(verify(null, Buffer.from(original), pub, base64UrlDecode(sig))).toBe(true)
    }
  })

  it('V12: fingerprints normalise', () => {
    for (const f of vectors.fingerprints) expect(normalizeFingerprint(f.input)).toBe(f.normalized)
  })
})
