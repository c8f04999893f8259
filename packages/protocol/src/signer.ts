import { SignerError } from './errors.js'

/**
 * Anything that can sign for a device identity: a file, a keychain, an agent, an HSM.
 * Always async, never exposes the private key; deviceId is derived from `publicKey` (docs/architecture.md).
 */
export interface DeviceSigner {
  readonly algorithm: 'ed25519'
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** Signs the payload bytes; resolves to the raw 64-byte signature. */
  sign(payload: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/** What a signer package or a plug-in module exports (`createXxxSigner`, or `createSigner` for plug-ins). */
export type SignerFactory<O = Record<string, unknown>> = (options: O) => DeviceSigner | Promise<DeviceSigner>

/**
 * Checks a signer's output is a raw 64-byte signature.
 * @throws SignerError INVALID_SIGNATURE
 */
export function assertSignature(signature: unknown): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    const got = signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature
    throw new SignerError(
      'INVALID_SIGNATURE',
      `signer returned ${got}, expected a raw 64-byte Ed25519 signature`,
    )
  }
  return signature
}

/**
 * Checks an object has the {@link DeviceSigner} shape; used for plug-in modules.
 * @returns a description of what is wrong, or undefined when it is a signer.
 */
export function describeSignerProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not an object'
  const s = value as Partial<DeviceSigner>
  if (s.algorithm !== 'ed25519') return `algorithm must be 'ed25519' (got ${JSON.stringify(s.algorithm)})`
  if (!(s.publicKey instanceof Uint8Array) || s.publicKey.length !== 32)
    return 'publicKey must be a 32-byte Uint8Array'
  if (typeof s.sign !== 'function') return 'sign must be a function'
  return undefined
}
