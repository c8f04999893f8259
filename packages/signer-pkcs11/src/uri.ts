import { SignerError } from '@clawlink/protocol'
import { Pkcs11SignerError } from './errors.js'

/** The parts of an RFC 7512 `pkcs11:` URI clawlink uses to find a token, a key, a module and a PIN. */
export interface Pkcs11Uri {
  /** Token label (CK_TOKEN_INFO.label, trailing blanks removed). */
  token?: string
  manufacturer?: string
  serial?: string
  model?: string
  /** Object label (CKA_LABEL). */
  object?: string
  /** Object class: only `private` (or absent) addresses a signing key. */
  type?: 'public' | 'private' | 'cert' | 'secret-key' | 'data'
  /** CKA_ID bytes (`id=%01%02`). */
  id?: Uint8Array
  slotId?: number
  slotDescription?: string
  slotManufacturer?: string
  libraryManufacturer?: string
  libraryDescription?: string
  libraryVersion?: string
  /** Absolute path of the PKCS#11 module (`module-path=`). */
  modulePath?: string
  /** Module file name without directory or suffix (`module-name=softhsm2`). */
  moduleName?: string
  /** File holding the user PIN (`pin-source=file:/path` or an absolute path). */
  pinSource?: string
}

const PATH_ATTRS = {
  token: 'token',
  manufacturer: 'manufacturer',
  serial: 'serial',
  model: 'model',
  object: 'object',
  type: 'type',
  id: 'id',
  'slot-id': 'slotId',
  'slot-description': 'slotDescription',
  'slot-manufacturer': 'slotManufacturer',
  'library-manufacturer': 'libraryManufacturer',
  'library-description': 'libraryDescription',
  'library-version': 'libraryVersion',
} as const

const TYPES = ['public', 'private', 'cert', 'secret-key', 'data'] as const

const EXAMPLE = 'pkcs11:token=clawlink;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so'

function invalid(message: string, remedy = `write it like ${EXAMPLE} (RFC 7512)`): Pkcs11SignerError {
  return new Pkcs11SignerError('PKCS11_URI_INVALID', message, { remedy })
}

/** Percent-decodes to bytes; RFC 7512 §2.3: every byte may be %XX, other characters are taken as UTF-8. */
function decodeBytes(raw: string, attr: string): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex))
        throw invalid(`"${attr}" has a malformed %-escape at "${raw.slice(i, i + 3)}"`)
      out.push(Number.parseInt(hex, 16))
      i += 2
    } else if (/[\s"<>\\^`{|}#]/.test(c) || c.charCodeAt(0) < 0x20) {
      throw invalid(`"${attr}" contains a character that must be %-encoded (${JSON.stringify(c)})`)
    } else {
      out.push(...new TextEncoder().encode(c))
    }
  }
  return Uint8Array.from(out)
}

function decodeText(raw: string, attr: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decodeBytes(raw, attr))
  } catch (error) {
    if (error instanceof SignerError) throw error
    throw invalid(`"${attr}" is not valid UTF-8 after %-decoding`)
  }
}

function pinSourcePath(value: string): string {
  // RFC 7512 §2.4 leaves pin-source's form to the application: we take file: URIs and absolute paths.
  const path = value.startsWith('file://') ? value.slice('file://'.length) : value.replace(/^file:/, '')
  if (!path.startsWith('/')) {
    throw invalid(
      `pin-source "${value}" is not a file: URI or an absolute path`,
      'use pin-source=file:/absolute/path/to/pin (a 0600 file owned by you)',
    )
  }
  return path
}

function setPathAttr(uri: Pkcs11Uri, name: string, raw: string): void {
  const key = PATH_ATTRS[name as keyof typeof PATH_ATTRS]
  if (key === 'id') uri.id = decodeBytes(raw, name)
  else if (key === 'slotId') {
    const text = decodeText(raw, name)
    if (!/^\d{1,10}$/.test(text)) throw invalid(`slot-id "${text}" is not a decimal number`)
    uri.slotId = Number(text)
  } else if (key === 'type') {
    const text = decodeText(raw, name)
    if (!(TYPES as readonly string[]).includes(text))
      throw invalid(`type "${text}" is not one of ${TYPES.join(', ')}`)
    uri.type = text as Pkcs11Uri['type']
  } else uri[key as Exclude<typeof key, 'id' | 'slotId' | 'type'>] = decodeText(raw, name)
}

function setQueryAttr(uri: Pkcs11Uri, name: string, raw: string, seen: Set<string>): void {
  if (name === 'pin-value') {
    throw invalid(
      'pin-value is refused: a PIN inside the URI would land in the profile, in argv and in logs',
      'put the PIN in a 0600 file and use pin-source=file:/path, or set CLAWLINK_PKCS11_PIN',
    )
  }
  if (!['module-path', 'module-name', 'pin-source'].includes(name)) {
    if (name.startsWith('x-')) return
    throw invalid(`unknown query attribute "${name}"`, 'use module-path, module-name or pin-source')
  }
  if (seen.has(name)) throw invalid(`query attribute "${name}" appears twice`)
  seen.add(name)
  const value = decodeText(raw, name)
  if (name === 'pin-source') uri.pinSource = pinSourcePath(value)
  else if (name === 'module-name') {
    if (!/^[\w.+-]+$/.test(value)) throw invalid(`module-name "${value}" must be a bare file name`)
    uri.moduleName = value
  } else {
    if (!value.startsWith('/'))
      throw invalid(
        `module-path "${value}" is not absolute`,
        'give the full path of the PKCS#11 module (.so)',
      )
    uri.modulePath = value
  }
}

/**
 * Parses an RFC 7512 PKCS#11 URI; pure (no I/O). Vendor `x-` attributes are ignored, other unknown ones and
 * `pin-value` (a secret in config and argv) are refused.
 * @throws SignerError PKCS11_URI_INVALID
 */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (typeof text !== 'string' || !/^pkcs11:/i.test(text))
    throw invalid(`"${String(text).slice(0, 40)}" is not a pkcs11: URI`)
  const body = text.slice('pkcs11:'.length)
  const q = body.indexOf('?')
  const path = q === -1 ? body : body.slice(0, q)
  const query = q === -1 ? '' : body.slice(q + 1)
  if (body.includes('#')) throw invalid('a pkcs11: URI has no fragment (#)')
  const uri: Pkcs11Uri = {}
  const seenPath = new Set<string>()
  for (const part of path.split(';')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw invalid(`path attribute "${part}" is not name=value`)
    const name = part.slice(0, eq).toLowerCase()
    if (!(name in PATH_ATTRS)) {
      if (name.startsWith('x-')) continue
      throw invalid(`unknown path attribute "${name}"`, `use ${Object.keys(PATH_ATTRS).join(', ')}`)
    }
    // RFC 7512 §2.3: a path attribute must not repeat.
    if (seenPath.has(name)) throw invalid(`path attribute "${name}" appears twice`)
    seenPath.add(name)
    setPathAttr(uri, name, part.slice(eq + 1))
  }
  const seenQuery = new Set<string>()
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw invalid(`query attribute "${part}" is not name=value`)
    setQueryAttr(uri, part.slice(0, eq).toLowerCase(), part.slice(eq + 1), seenQuery)
  }
  if (uri.modulePath && uri.moduleName) throw invalid('give module-path or module-name, not both')
  return uri
}

/** `%01%ab` for CKA_ID bytes, as p11tool and pkcs11-tool print them in URIs. */
export function formatPkcs11Id(id: Uint8Array): string {
  return Array.from(id, (b) => `%${b.toString(16).padStart(2, '0')}`).join('')
}

/** Short human text naming the token and the object (for `device show` and doctor). */
export function describePkcs11Uri(uri: Pkcs11Uri): string {
  const token =
    uri.token !== undefined
      ? `token "${uri.token}"`
      : uri.serial !== undefined
        ? `token with serial ${uri.serial}`
        : uri.slotId !== undefined
          ? `the token in slot ${uri.slotId}`
          : 'the only token'
  const parts = [uri.object ? `object "${uri.object}"` : '', uri.id ? `id ${formatPkcs11Id(uri.id)}` : '']
  return `${token}, ${parts.filter(Boolean).join(' ') || 'its only Ed25519 key'}`
}
