import { createHash, createPublicKey, verify } from 'node:crypto'
import { fail } from './fake-refusals.js'
import type { Conn, HandshakeFailure } from './fake-types.js'

const SIGNATURE_SKEW_MS = 120_000 // docs/protocol.md §4.3
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

function normalizeMetadata(value: unknown): string {
  if (typeof value !== 'string') return ''
  const trimmed = value.trim()
  return trimmed.replace(/[A-Z]/g, (c) => c.toLowerCase())
}

function base64UrlToBuffer(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

function deviceFail(message: string, code: string, reason: string): HandshakeFailure {
  return fail({ code: 'INVALID_REQUEST', message, details: { code, reason } })
}

/** The v3 and v2 signature payloads of a connect (docs/protocol.md §4.2); the fake accepts either. */
function signedPayloads(
  device: Record<string, unknown>,
  params: Record<string, unknown>,
  signedAt: number,
  signatureToken: string,
  nonce: string,
): { v3: string; v2: string } {
  const client = (params.client ?? {}) as Record<string, unknown>
  const scopes = (params.scopes as string[] | undefined) ?? []
  const role = typeof params.role === 'string' ? params.role : 'operator'
  const base = [
    String(device.id),
    String(client.id),
    String(client.mode),
    role,
    scopes.join(','),
    String(signedAt),
    signatureToken,
    nonce,
  ]
  const v3 = ['v3', ...base, normalizeMetadata(client.platform), normalizeMetadata(client.deviceFamily)].join(
    '|',
  )
  return { v3, v2: ['v2', ...base].join('|') }
}

/** Checks the device block of a connect; the refusal for the first check that fails, else undefined. */
export function verifyDevice(
  now: () => number,
  device: Record<string, unknown>,
  params: Record<string, unknown>,
  conn: Conn,
  signatureToken: string,
): HandshakeFailure | undefined {
  const publicKeyText = String(device.publicKey ?? '')
  const raw = base64UrlToBuffer(publicKeyText)
  if (raw.length !== 32)
    return deviceFail('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device-public-key')
  // docs/protocol.md §4.3: id, age, nonce, signature, in that order.
  if (createHash('sha256').update(raw).digest('hex') !== device.id)
    return deviceFail('device identity mismatch', 'DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device-id-mismatch')
  const signedAt = Number(device.signedAt)
  if (!Number.isFinite(signedAt) || Math.abs(now() - signedAt) > SIGNATURE_SKEW_MS)
    return deviceFail('device signature expired', 'DEVICE_AUTH_SIGNATURE_EXPIRED', 'device-signature-stale')
  const nonce = String(device.nonce ?? '').trim()
  if (!nonce) return deviceFail('device nonce required', 'DEVICE_AUTH_NONCE_REQUIRED', 'device-nonce-missing')
  if (nonce !== conn.nonce)
    return deviceFail('device nonce mismatch', 'DEVICE_AUTH_NONCE_MISMATCH', 'device-nonce-mismatch')
  const { v3, v2 } = signedPayloads(device, params, signedAt, signatureToken, nonce)
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  })
  const signature = base64UrlToBuffer(String(device.signature ?? ''))
  const ok =
    signature.length === 64 &&
    (verify(null, Buffer.from(v3, 'utf8'), key, signature) ||
      verify(null, Buffer.from(v2, 'utf8'), key, signature))
  if (!ok) return deviceFail('device signature invalid', 'DEVICE_AUTH_SIGNATURE_INVALID', 'device-signature')
  return undefined
}
