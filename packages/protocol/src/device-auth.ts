import { type ConnectAuth, type DeviceProof, requireText } from './connect.js'
import { base64UrlEncode, deriveDeviceId, utf8Encode } from './encoding.js'
import { ProtocolError } from './errors.js'
import { assertSignature, type DeviceSigner } from './signer.js'

export type { DeviceProof }

// The signed device proof of `connect` (docs/protocol.md §4): payload strings, normalisation and the device block. Its golden
// vectors are in ../vectors/device-auth.json.

/** Fields of the device-auth payload (docs/protocol.md §4.2). */
export interface DeviceAuthFields {
  deviceId: string
  clientId: string
  clientMode: string
  role: string
  scopes: readonly string[]
  signedAtMs: number
  token: string
  nonce: string
  platform?: unknown
  deviceFamily?: unknown
}

/** Trim, then lowercase ASCII A–Z only; non-strings and blanks become '' (docs/protocol.md §4.2 `normalizeDeviceMetadataForAuth`). */
export function normalizeDeviceMetadata(value: unknown): string {
  if (typeof value !== 'string') return ''
  return value.trim().replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32))
}

/** The token field of the signed payload: `token ?? deviceToken ?? bootstrapToken ?? ''`, raw (docs/protocol.md §4.2). */
export function signatureToken(auth?: ConnectAuth): string {
  return auth?.token ?? auth?.deviceToken ?? auth?.bootstrapToken ?? ''
}

/**
 * The canonical string a device signs (docs/protocol.md §4.2): v3 (default) appends the normalised platform and device family
 * to v2; scopes keep their order, the nonce is trimmed.
 */
export function buildDeviceAuthPayload(fields: DeviceAuthFields, version: 'v3' | 'v2' = 'v3'): string {
  const parts = [
    version,
    fields.deviceId,
    fields.clientId,
    fields.clientMode,
    fields.role,
    fields.scopes.join(','),
    String(fields.signedAtMs),
    fields.token,
    fields.nonce.trim(),
  ]
  if (version === 'v3')
    parts.push(normalizeDeviceMetadata(fields.platform), normalizeDeviceMetadata(fields.deviceFamily))
  return parts.join('|')
}

/** Input of {@link createDeviceProof}. */
export interface DeviceProofOptions {
  signer: DeviceSigner
  nonce: string
  /** Use the challenge `ts` (server clock, docs/protocol.md §4.1) when there is one. */
  signedAtMs: number
  clientId: string
  clientMode: string
  /** @default 'operator' */
  role?: string
  scopes: readonly string[]
  auth?: ConnectAuth
  platform?: string
  deviceFamily?: string
  /** @default 'v3' */
  version?: 'v3' | 'v2'
  signal?: AbortSignal
}

/**
 * Signs the connect payload with an injected signer and returns the `device` block (docs/protocol.md §4.1, §4.4).
 * @throws SignerError from the signer, or INVALID_SIGNATURE when it returns anything but 64 bytes.
 */
export async function createDeviceProof(options: DeviceProofOptions): Promise<DeviceProof> {
  if (!Number.isInteger(options.signedAtMs) || options.signedAtMs < 0) {
    throw new ProtocolError('INVALID_PARAMS', 'signedAtMs must be an integer ≥ 0')
  }
  const nonce = requireText(options.nonce, 'device.nonce')
  const deviceId = deriveDeviceId(options.signer.publicKey)
  const payload = buildDeviceAuthPayload(
    {
      deviceId,
      clientId: options.clientId,
      clientMode: options.clientMode,
      role: options.role ?? 'operator',
      scopes: options.scopes,
      signedAtMs: options.signedAtMs,
      token: signatureToken(options.auth),
      nonce,
      platform: options.platform,
      deviceFamily: options.deviceFamily,
    },
    options.version ?? 'v3',
  )
  const signOptions = options.signal ? { signal: options.signal } : undefined
  const signature = assertSignature(await options.signer.sign(utf8Encode(payload), signOptions))
  return {
    id: deviceId,
    publicKey: base64UrlEncode(options.signer.publicKey),
    signature: base64UrlEncode(signature),
    signedAt: options.signedAtMs,
    nonce,
  }
}
