import { sha256 } from '@noble/hashes/sha2.js'
import { ProtocolError } from './errors.js'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_LOOKUP: Record<string, number> = {}
for (let i = 0; i < B64.length; i++) B64_LOOKUP[B64[i]!] = i
B64_LOOKUP['-'] = 62
B64_LOOKUP._ = 63

/** Standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = bytes[i + 1]
    const c = bytes[i + 2]
    out += B64[a >> 2]
    out += B64[((a & 3) << 4) | ((b ?? 0) >> 4)]
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]
    out += c === undefined ? '=' : B64[c & 63]
  }
  return out
}

/** base64url without padding (docs/protocol.md §4.1: `device.publicKey`, `device.signature`). */
export function base64UrlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes base64 or base64url, with or without padding (the gateway is lenient the same way, docs/protocol.md §4.1).
 * @throws ProtocolError INVALID_ENCODING on any other character or an impossible length.
 */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '')
  if (clean.length % 4 === 1)
    throw new ProtocolError('INVALID_ENCODING', `invalid base64: length ${text.length}`)
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let buffer = 0
  let bits = 0
  let j = 0
  for (const ch of clean) {
    const v = B64_LOOKUP[ch]
    if (v === undefined) throw new ProtocolError('INVALID_ENCODING', 'invalid base64: unexpected character')
    buffer = (buffer << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[j++] = (buffer >> bits) & 0xff
    }
  }
  return out
}

/** Strict base64url (no padding, no `+`/`/`). @throws ProtocolError INVALID_ENCODING */
export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new ProtocolError('INVALID_ENCODING', 'invalid base64url text')
  return base64Decode(text)
}

/** UTF-8 bytes of a string: what gets signed (docs/protocol.md §4.2). */
export function utf8Encode(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** Lowercase hex. */
export function hexEncode(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** @throws ProtocolError INVALID_ENCODING */
export function hexDecode(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ProtocolError('INVALID_ENCODING', 'invalid hex text')
  }
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}

function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new ProtocolError(
      'INVALID_KEY',
      `${what} expected ${length} bytes, got ${bytes?.length ?? typeof bytes}`,
    )
  }
}

// Ed25519 DER prefixes (docs/protocol.md §4.1, docs/testing.md §5).
const SPKI_PREFIX = hexDecode('302a300506032b6570032100')
const PKCS8_PREFIX = hexDecode('302e020100300506032b657004220420')

/** deviceId = lowercase hex sha256 of the raw 32-byte public key (docs/protocol.md §4.1). */
export function deriveDeviceId(publicKey: Uint8Array): string {
  assertLength(publicKey, 32, '"publicKey"')
  return hexEncode(sha256(publicKey))
}

function pemBody(pem: string, label: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem)
  if (!match) throw new ProtocolError('INVALID_KEY', `not a PEM ${label.toLowerCase()}`)
  return base64Decode(match[1]!.replace(/\s+/g, ''))
}

function toPem(der: Uint8Array, label: string): string {
  const b64 = base64Encode(der)
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** Raw 32-byte key from an Ed25519 SPKI DER (44 bytes). @throws ProtocolError INVALID_KEY */
export function publicKeyFromSpkiDer(der: Uint8Array): Uint8Array {
  if (der.length !== 44 || !startsWith(der, SPKI_PREFIX)) {
    throw new ProtocolError('INVALID_KEY', 'not an Ed25519 SPKI public key')
  }
  return der.slice(SPKI_PREFIX.length)
}

/** Raw 32-byte key from an Ed25519 `BEGIN PUBLIC KEY` PEM. @throws ProtocolError INVALID_KEY */
export function publicKeyFromPem(pem: string): Uint8Array {
  return publicKeyFromSpkiDer(pemBody(pem, 'PUBLIC KEY'))
}

/** SPKI PEM of a raw Ed25519 public key (the form OpenClaw's identity files hold, docs/protocol.md §6.5). */
export function publicKeyToSpkiPem(raw: Uint8Array): string {
  assertLength(raw, 32, '"publicKey"')
  return toPem(concat(SPKI_PREFIX, raw), 'PUBLIC KEY')
}

/** Raw public key from raw bytes, SPKI DER, a PEM string, or base64url/base64 of the raw key. */
export function publicKeyFrom(input: Uint8Array | string): Uint8Array {
  if (typeof input === 'string') {
    if (input.includes('BEGIN')) return publicKeyFromPem(input)
    return publicKeyFrom(base64Decode(input.trim()))
  }
  if (input.length === 44) return publicKeyFromSpkiDer(input)
  assertLength(input, 32, '"publicKey"')
  return input
}

/** 32-byte seed from an Ed25519 PKCS#8 DER (48 bytes). @throws ProtocolError INVALID_KEY */
export function seedFromPkcs8Der(der: Uint8Array): Uint8Array {
  if (der.length !== 48 || !startsWith(der, PKCS8_PREFIX)) {
    throw new ProtocolError('INVALID_KEY', 'not an Ed25519 PKCS#8 private key')
  }
  return der.slice(PKCS8_PREFIX.length)
}

/** 32-byte seed from a `BEGIN PRIVATE KEY` PEM. @throws ProtocolError INVALID_KEY */
export function seedFromPkcs8Pem(pem: string): Uint8Array {
  return seedFromPkcs8Der(pemBody(pem, 'PRIVATE KEY'))
}

/** PKCS#8 PEM of a 32-byte Ed25519 seed. */
export function seedToPkcs8Pem(seed: Uint8Array): string {
  assertLength(seed, 32, '"seed"')
  return toPem(concat(PKCS8_PREFIX, seed), 'PRIVATE KEY')
}
