import { createPublicKey, verify } from 'node:crypto'
import { type DeviceSigner, publicKeyToSpkiPem, type SignerError } from '@clawlink/protocol'
import { CK, mapPkcs11Error, mechanismUnsupported, unpadded } from './binding.js'
import {
  assertEd25519,
  findPrivateKeys,
  generateKeyPair,
  keyName,
  listPrivateKeys,
  readPublicKey,
  type TokenKey,
} from './keys.js'
import {
  dropSession,
  findSlot,
  openModule,
  resolveModulePath,
  serialized,
  slotNumber,
  type TokenSession,
  tokenSession,
} from './session.js'
import { formatPkcs11Id, type Pkcs11Uri, parsePkcs11Uri } from './uri.js'
import { Pkcs11SignerError } from './errors.js'
import { withDeadline } from '@clawlink/signer-kit'

/** Options of {@link createPkcs11Signer}. */
export interface Pkcs11SignerOptions {
  /** RFC 7512 URI of the key: `pkcs11:token=…;object=…?module-path=…&pin-source=file:…`. */
  uri: string
  /** The user PIN for callers that already hold it; otherwise pin-source, CLAWLINK_PKCS11_PIN, a TTY prompt. */
  pin?: string
  /** Create an Ed25519 key pair on the token when the URI matches no key. @default false */
  generate?: boolean
  signal?: AbortSignal
}

/** A signer whose private key never leaves the PKCS#11 token. */
export interface Pkcs11Signer extends DeviceSigner {
  readonly token: string
  readonly keyLabel: string
  readonly keyId: string
  readonly modulePath: string
  /** True when `generate` made the key pair now. */
  readonly generated: boolean
}

const STALE = new Set(['PKCS11_TOKEN_NOT_FOUND'])

function candidates(keys: TokenKey[]): string {
  return keys.length ? keys.map(keyName).join('; ') : 'none'
}

function selectKey(
  ts: TokenSession,
  uri: Pkcs11Uri,
  generate: boolean,
): { key: TokenKey; generated: boolean } {
  let keys = findPrivateKeys(ts, uri)
  let generated = false
  if (keys.length === 0 && generate) {
    generateKeyPair(ts, uri)
    keys = findPrivateKeys(ts, uri)
    generated = true
  }
  if (keys.length === 0) {
    throw new Pkcs11SignerError(
      'PKCS11_KEY_NOT_FOUND',
      `no private key matches the URI on ${ts.where}; private keys there: ${candidates(listPrivateKeys(ts))}`,
      {
        remedy:
          'fix object=/id= in the URI, or create the key on the token: clawlink device init --signer pkcs11 --pkcs11-uri URI --pkcs11-generate',
      },
    )
  }
  if (keys.length > 1) {
    throw new Pkcs11SignerError(
      'PKCS11_KEY_AMBIGUOUS',
      `${keys.length} private keys match the URI on ${ts.where}: ${candidates(keys)}`,
      { remedy: 'add id=%XX (the CKA_ID) to the URI so it names exactly one key' },
    )
  }
  return { key: keys[0]!, generated }
}

function aborted(): Pkcs11SignerError {
  return new Pkcs11SignerError('ABORTED', 'the PKCS#11 signature was aborted')
}

function makeSign(ts: TokenSession, key: TokenKey, publicKey: Uint8Array): DeviceSigner['sign'] {
  const verifier = createPublicKey(publicKeyToSpkiPem(publicKey))
  return async (payload, options) => {
    const signal = options?.signal
    if (signal?.aborted) throw aborted()
    if (payload.length === 0)
      throw new Pkcs11SignerError('INVALID_OPTIONS', 'the pkcs11 signer cannot sign an empty payload', {
        remedy: 'device-auth payloads are never empty: check the caller',
      })
    // An abort wins; the token still finishes, and its late outcome is ignored.
    const signature = await withDeadline(
      () =>
        serialized(ts, async () => {
          // Queued behind another signature and aborted meanwhile: do not touch the token.
          if (signal?.aborted) throw aborted()
          try {
            ts.lib.C_SignInit(ts.session, { mechanism: CK.CKM_EDDSA }, key.handle)
            return new Uint8Array(
              await ts.lib.C_SignAsync(ts.session, Buffer.from(payload), Buffer.alloc(64)),
            )
          } catch (cause) {
            const error = mapPkcs11Error(cause, 'signing', ts.where)
            if (STALE.has(error.code)) dropSession(ts)
            throw error
          }
        }),
      { signal, onAbort: aborted },
    )
    if (signature.length !== 64 || !verify(null, payload, verifier, signature)) {
      throw new Pkcs11SignerError(
        'INVALID_SIGNATURE',
        `${ts.where} returned a signature that does not verify with the key's public key (${keyName(key)})`,
        { remedy: 'the public key object beside the private key belongs to another key: fix the token' },
      )
    }
    return signature
  }
}

/**
 * A device signer whose Ed25519 key lives in a PKCS#11 token (HSM, YubiKey, cloud HSM, SoftHSM2), addressed by an
 * RFC 7512 URI. One logged-in session per token and process; every signature is verified before it is returned.
 * @throws SignerError PKCS11_* codes (docs/errors.md), ABORTED
 */
export async function createPkcs11Signer(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
  if (!options?.uri)
    throw new Pkcs11SignerError('INVALID_OPTIONS', 'the pkcs11 signer needs a uri (pkcs11:…)')
  const uri = parsePkcs11Uri(options.uri)
  if (options.signal?.aborted) throw aborted()
  const ts = await tokenSession(uri, { pin: options.pin, pinSource: uri.pinSource, signal: options.signal })
  const { key, generated } = await serialized(ts, () => {
    const mechanisms = ts.lib.C_GetMechanismList(ts.slot)
    if (!mechanisms.includes(CK.CKM_EDDSA)) throw mechanismUnsupported(ts.where)
    const selected = selectKey(ts, uri, options.generate === true)
    assertEd25519(ts, selected.key)
    return selected
  })
  const publicKey = await serialized(ts, () => readPublicKey(ts, key))
  return {
    algorithm: 'ed25519',
    publicKey,
    sign: makeSign(ts, key, publicKey),
    token: ts.label,
    keyLabel: key.label,
    keyId: formatPkcs11Id(key.id),
    modulePath: ts.modulePath,
    generated,
  }
}

/** One line of {@link describePkcs11Key}: what was checked, whether it passed, and the fix when not. */
export interface Pkcs11Check {
  step: 'uri' | 'module' | 'slot' | 'login' | 'key'
  ok: boolean
  detail: string
  fix?: string
}

function failed(step: Pkcs11Check['step'], error: unknown): Pkcs11Check {
  const e = error as SignerError
  return {
    step,
    ok: false,
    detail: `${e.code ?? 'ERROR'}: ${e.message}`,
    ...(e.remedy ? { fix: e.remedy } : {}),
  }
}

/**
 * Walks URI → module → slot/token → login → key type and reports each step, stopping at the first failure;
 * never throws (for `clawlink doctor`).
 */
export async function describePkcs11Key(
  uriText: string,
  options: { pin?: string; signal?: AbortSignal } = {},
): Promise<Pkcs11Check[]> {
  const checks: Pkcs11Check[] = []
  let uri: Pkcs11Uri
  try {
    uri = parsePkcs11Uri(uriText)
    checks.push({ step: 'uri', ok: true, detail: 'RFC 7512 URI parsed' })
  } catch (error) {
    return [failed('uri', error)]
  }
  let modulePath: string
  try {
    modulePath = resolveModulePath(uri)
    const info = unpadded(openModule(modulePath).C_GetInfo())
    const v = info.cryptokiVersion
    checks.push({
      step: 'module',
      ok: true,
      detail: `${modulePath} loaded (${info.manufacturerID}, Cryptoki ${v.major}.${v.minor})`,
    })
  } catch (error) {
    return [...checks, failed('module', error)]
  }
  let ts: TokenSession
  try {
    const { slot, info } = findSlot(openModule(modulePath), modulePath, uri)
    checks.push({
      step: 'slot',
      ok: true,
      detail: `token "${info.label}" (serial ${info.serialNumber}, ${info.model}) in slot ${slotNumber(slot)}`,
    })
    ts = await tokenSession(uri, { pin: options.pin, pinSource: uri.pinSource, signal: options.signal })
    checks.push({ step: 'login', ok: true, detail: `logged in (PIN: ${ts.pinOrigin})` })
  } catch (error) {
    const step = checks.length === 2 ? 'slot' : 'login'
    return [...checks, failed(step, error)]
  }
  try {
    const signer = await createPkcs11Signer({ uri: uriText, ...options })
    checks.push({
      step: 'key',
      ok: true,
      detail: `Ed25519 key label "${signer.keyLabel}" id ${signer.keyId || '(none)'}; CKM_EDDSA offered`,
    })
  } catch (error) {
    checks.push(failed('key', error))
  }
  return checks
}
