import * as ed from '@noble/ed25519'
import { assertSignature, type DeviceSigner, SignerError } from '@clawlink/protocol'

/** Throws SignerError ABORTED when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SignerError('ABORTED', 'signing was aborted')
}

/**
 * An in-process Ed25519 signer over a 32-byte seed (@noble/ed25519); the seed stays in this closure.
 * Shared by the file and keychain back-ends, which differ only in where the seed is kept.
 */
export async function signerFromSeed(seed: Uint8Array): Promise<DeviceSigner> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new SignerError(
      'INVALID_OPTIONS',
      `an Ed25519 seed must be 32 bytes, got ${seed?.length ?? typeof seed}`,
    )
  }
  const secret = Uint8Array.from(seed)
  const publicKey = await ed.getPublicKeyAsync(secret)
  return {
    algorithm: 'ed25519',
    publicKey,
    async sign(payload, options) {
      throwIfAborted(options?.signal)
      return assertSignature(await ed.signAsync(payload, secret))
    },
  }
}

/** A fresh random 32-byte seed from the platform CSPRNG. */
export function randomSeed(): Uint8Array {
  return ed.utils.randomSecretKey()
}
