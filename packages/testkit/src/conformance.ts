import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as ed from '@noble/ed25519'
import {
  base64UrlDecode,
  base64UrlEncode,
  type DeviceSigner,
  hexDecode,
  SignerError,
  utf8Encode,
} from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'

/** The golden vectors shipped by @clawlink/protocol (docs/protocol.md §12.1 plus clawlink's own). */
export interface DeviceAuthVectors {
  key: { seedHex: string; publicKeyHex: string; publicKeyBase64Url: string; deviceId: string }
  payloads: { name: string; payload: string; signatureBase64Url: string }[]
}

/** Loads `@clawlink/protocol/vectors/device-auth.json`. */
export function loadVectors(): DeviceAuthVectors {
  const path = createRequire(import.meta.url).resolve('@clawlink/protocol/vectors/device-auth.json')
  return JSON.parse(readFileSync(path, 'utf8')) as DeviceAuthVectors
}

/** The RFC 8032 TEST 1 seed the vectors are signed with. */
export function vectorSeed(): Uint8Array {
  return hexDecode(loadVectors().key.seedHex)
}

/** How the conformance suite makes signers of one back-end. */
export interface SignerUnderTest {
  /** A signer with a fresh (or the back-end's own) key. */
  create(): Promise<DeviceSigner>
  /** A signer loaded with the vector seed ({@link vectorSeed}): file import, keychain import, ssh-add, exec. */
  createFromVectorSeed(): Promise<DeviceSigner>
}

/**
 * The one conformance suite every signer runs (docs/architecture.md "The signer contract"): shape, verifiable signatures,
 * byte equality with every golden vector, abort, and only SignerError on failure.
 */
export function runSignerConformance(name: string, backend: SignerUnderTest): void {
  const vectors = loadVectors()
  describe(`${name}: DeviceSigner conformance`, () => {
    it('has the contract shape: ed25519, a 32-byte public key, an async sign', async () => {
      const signer = await backend.create()
      expect(signer.algorithm).toBe('ed25519')
      expect(signer.publicKey).toBeInstanceOf(Uint8Array)
      expect(signer.publicKey).toHaveLength(32)
      const pending = signer.sign(utf8Encode('shape'))
      expect(pending).toBeInstanceOf(Promise)
      expect(await pending).toHaveLength(64)
    })

    it('signs so that @noble/ed25519 verifies, and only for that payload', async () => {
      const signer = await backend.create()
      const payload = utf8Encode(`v3|conformance|${Date.now()}`)
      const signature = await signer.sign(payload)
      expect(await ed.verifyAsync(signature, payload, signer.publicKey)).toBe(true)
      const other = Uint8Array.from(payload)
      other[0] = other[0]! ^ 1
      expect(await ed.verifyAsync(signature, other, signer.publicKey)).toBe(false)
    })

    it('reproduces every golden vector byte for byte with the vector seed', async () => {
      const signer = await backend.createFromVectorSeed()
      expect(base64UrlEncode(signer.publicKey)).toBe(vectors.key.publicKeyBase64Url)
      for (const v of vectors.payloads) {
        const signature = await signer.sign(utf8Encode(v.payload))
        expect(base64UrlEncode(signature), v.name).toBe(v.signatureBase64Url)
        expect(signature).toEqual(base64UrlDecode(v.signatureBase64Url))
      }
    })

    it('rejects with SignerError ABORTED when the signal is already aborted', async () => {
      const signer = await backend.create()
      const controller = new AbortController()
      controller.abort()
      const error = await signer.sign(utf8Encode('x'), { signal: controller.signal }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SignerError)
      expect((error as SignerError).code).toBe('ABORTED')
    })
  })
}
