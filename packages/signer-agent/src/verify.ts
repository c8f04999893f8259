import { createPublicKey, verify } from 'node:crypto'
import { publicKeyToSpkiPem, SignerError } from '@clawlink/protocol'

/**
 * Checks an external signer's answer with node:crypto before it is used: an agent or program holding another
 * key must fail here, with a clear error, not later as DEVICE_SIGNATURE_INVALID at the gateway.
 */
export function verifyOrThrow(
  publicKey: Uint8Array,
  payload: Uint8Array,
  signature: Uint8Array,
  source: string,
): Uint8Array {
  const key = createPublicKey(publicKeyToSpkiPem(publicKey))
  if (signature.length !== 64 || !verify(null, payload, key, signature)) {
    throw new SignerError(
      'INVALID_SIGNATURE',
      `${source} returned a signature that does not verify with its public key`,
      {
        remedy: `check that ${source} signs with the key whose public key it reports`,
      },
    )
  }
  return signature
}
