import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto'
import { assertSignature, type DeviceSigner, SignerError, seedToPkcs8Pem } from '@clawlink/protocol'

/** Throws SignerError ABORTED when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SignerError('ABORTED', 'signing was aborted')
}

/**
 * An in-process Ed25519 signer over a 32-byte seed; the seed stays in a KeyObject in this closure.
 * Shared by the file and keychain back-ends, which differ only in where the seed is kept.
 *
 * Signing uses node:crypto (OpenSSL): a CLI process signs once, and @noble/ed25519's first base-point
 * multiplication builds its precompute table (~25 ms here), a third of `node -e 0`. Signatures are identical
 * (Ed25519 is deterministic); the conformance suite checks them with @noble/ed25519 and the golden vectors.
 */
export async function signerFromSeed(seed: Uint8Array): Promise<DeviceSigner> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new SignerError(
      'INVALID_OPTIONS',
      `an Ed25519 seed must be 32 bytes, got ${seed?.length ?? typeof seed}`,
    )
  }
  const key = createPrivateKey(seedToPkcs8Pem(seed))
  const publicKey = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12))
  return {
    algorithm: 'ed25519',
    publicKey,
    async sign(payload, options) {
      throwIfAborted(options?.signal)
      return assertSignature(new Uint8Array(sign(null, payload, key)))
    },
  }
}

/** A fresh random 32-byte seed from the platform CSPRNG. */
export function randomSeed(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}
