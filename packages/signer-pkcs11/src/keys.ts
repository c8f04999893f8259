import { randomBytes } from 'node:crypto'
import { type Attribute, CK, type Handle, mapPkcs11Error } from './binding.js'
import type { TokenSession } from './session.js'
import { formatPkcs11Id, type Pkcs11Uri } from './uri.js'
import { Pkcs11SignerError } from './errors.js'

/** A private key object on the token. */
export interface TokenKey {
  handle: Handle
  label: string
  id: Uint8Array
  keyType: number
}

// CKA_EC_PARAMS for edwards25519 (PKCS#11 3.0 §2.3.10): the OID 1.3.101.112 or the PrintableString name.
const ED25519_OID = Buffer.from('06032b6570', 'hex')
const ED25519_NAME = Buffer.from('130c656477617264733235353139', 'hex')

const KEY_TYPES: Record<number, string> = { 0: 'RSA', 3: 'EC (ECDSA)', 64: 'EC_EDWARDS', 65: 'EC_MONTGOMERY' }

function ulong(value: unknown): number {
  if (!Buffer.isBuffer(value) || value.length === 0) return -1
  return value.readUIntLE(0, Math.min(value.length, 6))
}

function find(ts: TokenSession, template: Attribute[]): Handle[] {
  const { lib, session } = ts
  lib.C_FindObjectsInit(session, template)
  try {
    const found: Handle[] = []
    for (let batch = lib.C_FindObjects(session, 64); batch.length > 0; batch = lib.C_FindObjects(session, 64))
      found.push(...batch)
    return found
  } finally {
    lib.C_FindObjectsFinal(session)
  }
}

function describeKey(ts: TokenSession, handle: Handle): TokenKey {
  const [label, id, type] = ts.lib.C_GetAttributeValue(ts.session, handle, [
    { type: CK.CKA_LABEL },
    { type: CK.CKA_ID },
    { type: CK.CKA_KEY_TYPE },
  ])
  return {
    handle,
    label: Buffer.isBuffer(label?.value) ? label.value.toString('utf8') : '',
    id: Buffer.isBuffer(id?.value) ? new Uint8Array(id.value) : new Uint8Array(0),
    keyType: ulong(type?.value),
  }
}

/** "label "dev1" id %01" for candidate lists. */
export function keyName(key: { label: string; id: Uint8Array }): string {
  return `label "${key.label}" id ${key.id.length ? formatPkcs11Id(key.id) : '(none)'}`
}

function selector(uri: Pkcs11Uri): Attribute[] {
  const template: Attribute[] = [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]
  if (uri.object !== undefined) template.push({ type: CK.CKA_LABEL, value: uri.object })
  if (uri.id !== undefined) template.push({ type: CK.CKA_ID, value: Buffer.from(uri.id) })
  return template
}

/**
 * The private keys the URI selects (object= label, id=), described; private objects are visible after login only.
 * @throws SignerError PKCS11_URI_INVALID for a type other than private, PKCS11_DEVICE_ERROR
 */
export function findPrivateKeys(ts: TokenSession, uri: Pkcs11Uri): TokenKey[] {
  if (uri.type !== undefined && uri.type !== 'private') {
    throw new Pkcs11SignerError('PKCS11_URI_INVALID', `type=${uri.type} does not name a signing key`, {
      remedy: 'use type=private, or leave type out',
    })
  }
  try {
    return find(ts, selector(uri)).map((h) => describeKey(ts, h))
  } catch (cause) {
    throw mapPkcs11Error(cause, 'looking for the key', ts.where)
  }
}

/** Every private key on the token, for "not found" messages. */
export function listPrivateKeys(ts: TokenSession): TokenKey[] {
  try {
    return find(ts, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]).map((h) => describeKey(ts, h))
  } catch {
    return []
  }
}

/**
 * Checks the key is Ed25519: CKK_EC_EDWARDS on edwards25519 (not Ed448).
 * @throws SignerError PKCS11_KEY_NOT_ED25519
 */
export function assertEd25519(ts: TokenSession, key: TokenKey): void {
  const fix = {
    remedy:
      'point the URI at an Ed25519 key (CKK_EC_EDWARDS on edwards25519), or create one: clawlink device init --signer pkcs11 --pkcs11-uri URI --pkcs11-generate',
  }
  if (key.keyType !== CK.CKK_EC_EDWARDS) {
    const type = KEY_TYPES[key.keyType] ?? `key type 0x${key.keyType.toString(16)}`
    throw new Pkcs11SignerError(
      'PKCS11_KEY_NOT_ED25519',
      `the key ${keyName(key)} on ${ts.where} is ${type}, not Ed25519`,
      fix,
    )
  }
  const [params] = ts.lib.C_GetAttributeValue(ts.session, key.handle, [{ type: CK.CKA_EC_PARAMS }])
  const value = params?.value
  if (Buffer.isBuffer(value) && !value.equals(ED25519_OID) && !value.equals(ED25519_NAME)) {
    throw new Pkcs11SignerError(
      'PKCS11_KEY_NOT_ED25519',
      `the key ${keyName(key)} on ${ts.where} is an Edwards key on another curve (Ed448?), not Ed25519`,
      fix,
    )
  }
}

/** CKA_EC_POINT → 32 raw bytes: a DER OCTET STRING (04 20 …) per PKCS#11 3.0, or the raw point some modules give. */
export function unwrapEcPoint(point: Uint8Array): Uint8Array | undefined {
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) return point.slice(2)
  if (point.length === 32) return Uint8Array.from(point)
  return undefined
}

function readPoint(ts: TokenSession, handle: Handle): Uint8Array | undefined {
  try {
    const [attr] = ts.lib.C_GetAttributeValue(ts.session, handle, [{ type: CK.CKA_EC_POINT }])
    return Buffer.isBuffer(attr?.value) ? unwrapEcPoint(attr.value) : undefined
  } catch {
    return undefined
  }
}

/**
 * The raw public key of a private key: CKA_EC_POINT of the public key object with the same CKA_ID (else label),
 * or of the private key itself where the module exposes it.
 * @throws SignerError PKCS11_KEY_NOT_FOUND
 */
export function readPublicKey(ts: TokenSession, key: TokenKey): Uint8Array {
  const template: Attribute[] = [{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }]
  if (key.id.length > 0) template.push({ type: CK.CKA_ID, value: Buffer.from(key.id) })
  else template.push({ type: CK.CKA_LABEL, value: key.label })
  for (const handle of find(ts, template)) {
    const point = readPoint(ts, handle)
    if (point) return point
  }
  const own = readPoint(ts, key.handle)
  if (own) return own
  throw new Pkcs11SignerError(
    'PKCS11_KEY_NOT_FOUND',
    `the key ${keyName(key)} on ${ts.where} has no public key object (CKO_PUBLIC_KEY with CKA_EC_POINT) beside it`,
    {
      remedy:
        'import the public key next to it with the same CKA_ID (pkcs11-tool --write-object pub.der --type pubkey --id ID)',
    },
  )
}

/**
 * Generates an Ed25519 key pair on the token: the private half sensitive and never extractable.
 * @throws SignerError PKCS11_URI_INVALID without object=, PKCS11_MECHANISM_UNSUPPORTED, PKCS11_DEVICE_ERROR
 */
export function generateKeyPair(ts: TokenSession, uri: Pkcs11Uri): TokenKey {
  if (!uri.object) {
    throw new Pkcs11SignerError('PKCS11_URI_INVALID', 'generating a key needs object=LABEL in the URI', {
      remedy: 'add object=NAME (and optionally id=%01) to the URI',
    })
  }
  const id = Buffer.from(uri.id ?? randomBytes(8))
  const common: Attribute[] = [
    { type: CK.CKA_TOKEN, value: true },
    { type: CK.CKA_LABEL, value: uri.object },
    { type: CK.CKA_ID, value: id },
  ]
  const { lib } = ts
  let rw: Handle | undefined
  try {
    // Key creation needs a read-write session; signing keeps the read-only one.
    rw = lib.C_OpenSession(ts.slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION)
    const pair = lib.C_GenerateKeyPair(
      rw,
      { mechanism: CK.CKM_EC_EDWARDS_KEY_PAIR_GEN },
      [...common, { type: CK.CKA_EC_PARAMS, value: ED25519_NAME }, { type: CK.CKA_VERIFY, value: true }],
      [
        ...common,
        { type: CK.CKA_PRIVATE, value: true },
        { type: CK.CKA_SENSITIVE, value: true },
        { type: CK.CKA_EXTRACTABLE, value: false },
        { type: CK.CKA_SIGN, value: true },
      ],
    )
    return { handle: pair.privateKey, label: uri.object, id: new Uint8Array(id), keyType: CK.CKK_EC_EDWARDS }
  } catch (cause) {
    throw mapPkcs11Error(cause, 'generating an Ed25519 key pair', ts.where)
  } finally {
    if (rw) lib.C_CloseSession(rw)
  }
}
