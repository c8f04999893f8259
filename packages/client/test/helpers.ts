import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeviceSigner } from '@clawlink/protocol'

/** A throwaway in-memory Ed25519 signer from node:crypto (tests only). */
export function createTestSigner(): DeviceSigner & { signCount: number } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const der = publicKey.export({ format: 'der', type: 'spki' })
  const signer = {
    algorithm: 'ed25519' as const,
    publicKey: new Uint8Array(der.subarray(der.length - 32)),
    signCount: 0,
    async sign(payload: Uint8Array): Promise<Uint8Array> {
      signer.signCount++
      return new Uint8Array(sign(null, payload, privateKey))
    },
  }
  return signer
}

/** A self-signed certificate for 127.0.0.1 made with openssl (scripts/setup.sh installs it; absent → the test fails). */
export function createSelfSignedCert(): { key: string; cert: string; fingerprint: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-tls-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const fingerprint = execFileSync('openssl', [
      'x509',
      '-in',
      join(dir, 'cert.pem'),
      '-noout',
      '-fingerprint',
      '-sha256',
    ])
      .toString()
      .trim()
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      fingerprint: fingerprint.replace(/^.*=/, ''),
    }
  } catch (error) {
    throw new Error(
      `openssl could not make a test certificate (is openssl installed? scripts/setup.sh installs it): ${(error as Error).message}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Await a promise's rejection and return the error (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection')
}

/** Poll until `condition()` holds (bounded, so a broken condition fails instead of hanging). */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
