import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  CK,
  CKR,
  ckrName,
  ckrOf,
  type Handle,
  loadBinding,
  mapPkcs11Error,
  type Pkcs11Module,
  pinLocked,
  type TokenInfo,
  unpadded,
} from './binding.js'
import { type PinOrigin, resolvePin } from './pin.js'
import type { Pkcs11Uri } from './uri.js'
import { Pkcs11SignerError } from './errors.js'

/** One logged-in session on one token, shared by every signer of the process (PKCS#11 login is per token). */
export interface TokenSession {
  readonly lib: Pkcs11Module
  readonly modulePath: string
  readonly slot: Handle
  readonly slotId: number
  readonly info: TokenInfo
  readonly label: string
  /** "token <label> (module path)", for messages. */
  readonly where: string
  session: Handle
  pinOrigin: PinOrigin | 'not needed' | 'PIN pad'
  /** Operations on a session must not overlap: everything runs through this chain. */
  queue: Promise<unknown>
}

interface LoadedModule {
  lib: Pkcs11Module
  tokens: Map<string, TokenSession>
}

const modules = new Map<string, LoadedModule>()
let exitHookInstalled = false

const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/pkcs11',
  '/usr/lib/aarch64-linux-gnu/pkcs11',
  '/usr/lib64/pkcs11',
  '/usr/lib/pkcs11',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib/softhsm',
  '/usr/local/lib',
  '/usr/lib',
  '/usr/local/lib/softhsm',
  '/opt/homebrew/lib',
  '/opt/homebrew/lib/softhsm',
]

/**
 * The module file: module-path, else module-name searched in the usual directories, else CLAWLINK_PKCS11_MODULE.
 * @throws SignerError PKCS11_MODULE_NOT_FOUND
 */
export function resolveModulePath(uri: Pkcs11Uri, env: NodeJS.ProcessEnv = process.env): string {
  const fix =
    'add module-path=/path/to/module.so to the URI (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so; YubiKey: libykcs11.so), or set CLAWLINK_PKCS11_MODULE'
  let path = uri.modulePath
  if (!path && uri.moduleName) {
    const names = [
      uri.moduleName,
      `${uri.moduleName}.so`,
      `lib${uri.moduleName}.so`,
      `${uri.moduleName}.dylib`,
    ]
    path = MODULE_DIRS.flatMap((d) => names.map((n) => join(d, n))).find((p) => existsSync(p))
    if (!path)
      throw new Pkcs11SignerError(
        'PKCS11_MODULE_NOT_FOUND',
        `no PKCS#11 module named "${uri.moduleName}" in ${MODULE_DIRS.join(', ')}`,
        { remedy: fix },
      )
  }
  path ??= env.CLAWLINK_PKCS11_MODULE
  if (!path)
    throw new Pkcs11SignerError('PKCS11_MODULE_NOT_FOUND', 'the pkcs11 URI names no PKCS#11 module', {
      remedy: fix,
    })
  if (!existsSync(path))
    throw new Pkcs11SignerError('PKCS11_MODULE_NOT_FOUND', `the PKCS#11 module ${path} does not exist`, {
      remedy: `install the token's PKCS#11 module (SoftHSM2: apt-get install softhsm2) or fix module-path; ${fix}`,
    })
  return path
}

/**
 * Loads and initialises a module once per process.
 * @throws SignerError PKCS11_NOT_BUILT, PKCS11_MODULE_INVALID
 */
export function openModule(path: string): Pkcs11Module {
  const cached = modules.get(path)
  if (cached) return cached.lib
  const { PKCS11 } = loadBinding()
  const lib = new PKCS11()
  try {
    lib.load(path)
  } catch (cause) {
    throw new Pkcs11SignerError(
      'PKCS11_MODULE_INVALID',
      `${path} could not be loaded as a PKCS#11 module: ${(cause as Error).message.split('\n')[0]}`,
      { cause, remedy: 'point module-path at the vendor PKCS#11 library (.so) built for this machine' },
    )
  }
  try {
    // OS locking: signatures run on libuv's thread pool (C_SignAsync).
    lib.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK })
  } catch (cause) {
    if (ckrOf(cause) !== CKR.CRYPTOKI_ALREADY_INITIALIZED) {
      lib.close()
      throw new Pkcs11SignerError('PKCS11_MODULE_INVALID', `${path} failed C_Initialize: ${ckrName(cause)}`, {
        cause,
        remedy: "check the module's configuration (SoftHSM2: SOFTHSM2_CONF and its tokendir)",
      })
    }
  }
  modules.set(path, { lib, tokens: new Map() })
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', closePkcs11Sessions)
  }
  return lib
}

/** The slot id as PKCS#11 tools print it (the handle pkcs11js gives is the CK_SLOT_ID in host order). */
export function slotNumber(slot: Handle): number {
  return Number(slot.length >= 8 ? slot.readBigUInt64LE(0) : slot.readUInt32LE(0))
}

/** An attribute the URI names (or leaves open) against the module's unpadded value. */
function eq(want: string | undefined, got: string): boolean {
  return want === undefined || want === got
}

function tokenMatches(lib: Pkcs11Module, slot: Handle, info: TokenInfo, uri: Pkcs11Uri): boolean {
  if (!eq(uri.token, info.label) || !eq(uri.manufacturer, info.manufacturerID)) return false
  if (!eq(uri.serial, info.serialNumber) || !eq(uri.model, info.model)) return false
  if (uri.slotId !== undefined && uri.slotId !== slotNumber(slot)) return false
  if (uri.slotDescription !== undefined || uri.slotManufacturer !== undefined) {
    const s = unpadded(lib.C_GetSlotInfo(slot))
    if (!eq(uri.slotDescription, s.slotDescription) || !eq(uri.slotManufacturer, s.manufacturerID))
      return false
  }
  return true
}

/**
 * The one slot whose token matches the URI's token attributes (and the module's library-* attributes).
 * @throws SignerError PKCS11_TOKEN_NOT_FOUND, PKCS11_KEY_AMBIGUOUS
 */
export function findSlot(
  lib: Pkcs11Module,
  modulePath: string,
  uri: Pkcs11Uri,
): { slot: Handle; info: TokenInfo } {
  const lib0 = unpadded(lib.C_GetInfo())
  const libOk =
    eq(uri.libraryManufacturer, lib0.manufacturerID) && eq(uri.libraryDescription, lib0.libraryDescription)
  const present = lib.C_GetSlotList(true).map((slot) => ({ slot, info: unpadded(lib.C_GetTokenInfo(slot)) }))
  const matches = libOk ? present.filter((p) => tokenMatches(lib, p.slot, p.info, uri)) : []
  const names = present.map((p) => `"${p.info.label}" (serial ${p.info.serialNumber})`)
  if (matches.length === 0) {
    throw new Pkcs11SignerError(
      'PKCS11_TOKEN_NOT_FOUND',
      `no token matching the URI in ${modulePath}; present: ${names.length ? names.join(', ') : 'none'}`,
      {
        remedy:
          'plug the token in (or check the HSM client connection), or fix token=/serial= in the URI (pkcs11-tool --module MODULE --list-token-slots lists them)',
      },
    )
  }
  if (matches.length > 1) {
    throw new Pkcs11SignerError(
      'PKCS11_KEY_AMBIGUOUS',
      `${matches.length} tokens match the URI: ${names.join(', ')}`,
      {
        remedy: 'add token=LABEL or serial=SERIAL to the URI',
      },
    )
  }
  return matches[0]!
}

async function login(ts: TokenSession, options: LoginOptions): Promise<void> {
  const flags = ts.info.flags
  if ((flags & CK.CKF_LOGIN_REQUIRED) === 0) {
    ts.pinOrigin = 'not needed'
    return
  }
  if (flags & CK.CKF_USER_PIN_LOCKED) throw pinLocked(ts.where, 'CKF_USER_PIN_LOCKED')
  if ((flags & CK.CKF_USER_PIN_INITIALIZED) === 0) throw pinLocked(ts.where, 'no user PIN was ever set')
  let pin: string | undefined
  if (flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) ts.pinOrigin = 'PIN pad'
  else {
    const resolved = await resolvePin({
      pin: options.pin,
      pinSource: options.pinSource,
      tokenLabel: ts.label,
      signal: options.signal,
    })
    pin = resolved.pin
    ts.pinOrigin = resolved.origin
  }
  try {
    ts.lib.C_Login(ts.session, CK.CKU_USER, pin)
  } catch (cause) {
    if (ckrOf(cause) === CKR.USER_ALREADY_LOGGED_IN) return
    const error = mapPkcs11Error(cause, 'logging in', ts.where)
    if (error.code === 'PKCS11_PIN_INCORRECT' && flags & CK.CKF_USER_PIN_FINAL_TRY)
      error.message += '; the next wrong PIN locks it'
    throw error
  }
}

/** How to log in. */
export interface LoginOptions {
  pin?: string | undefined
  pinSource?: string | undefined
  signal?: AbortSignal | undefined
}

/**
 * The process's logged-in session on the token the URI names: opened and logged in on first use, then reused.
 * @throws SignerError PKCS11_* codes, ABORTED
 */
export async function tokenSession(uri: Pkcs11Uri, options: LoginOptions): Promise<TokenSession> {
  const modulePath = resolveModulePath(uri)
  const lib = openModule(modulePath)
  const { slot, info } = findSlot(lib, modulePath, uri)
  const loaded = modules.get(modulePath)!
  const key = slot.toString('hex')
  const existing = loaded.tokens.get(key)
  if (existing) return existing
  const label = info.label
  const where = `token "${label}" (${modulePath})`
  let session: Handle
  try {
    session = lib.C_OpenSession(slot, CK.CKF_SERIAL_SESSION)
  } catch (cause) {
    throw mapPkcs11Error(cause, 'opening a session', where)
  }
  const ts: TokenSession = {
    lib,
    modulePath,
    slot,
    slotId: slotNumber(slot),
    info,
    label,
    where,
    session,
    pinOrigin: 'not needed',
    queue: Promise.resolve(),
  }
  try {
    await login(ts, options)
  } catch (error) {
    lib.C_CloseSession(session)
    throw error
  }
  // Another caller may have logged in meanwhile (the PIN prompt awaits): keep the first session.
  const raced = loaded.tokens.get(key)
  if (raced) {
    lib.C_CloseSession(session)
    return raced
  }
  loaded.tokens.set(key, ts)
  return ts
}

/** Runs `fn` after every earlier operation on the session has finished (PKCS#11 sessions are not reentrant). */
export function serialized<T>(ts: TokenSession, fn: () => Promise<T> | T): Promise<T> {
  const run = ts.queue.then(fn, fn)
  ts.queue = run.catch(() => undefined)
  return run
}

/** Forgets a session whose token went away, so the next signer opens a new one. */
export function dropSession(ts: TokenSession): void {
  const loaded = modules.get(ts.modulePath)
  const key = ts.slot.toString('hex')
  if (loaded?.tokens.get(key) === ts) loaded.tokens.delete(key)
  try {
    ts.lib.C_CloseSession(ts.session)
  } catch {
    // Already gone with the token.
  }
}

/**
 * Logs out, closes every session and finalises every module; runs on process exit. Signers created before
 * stop working; new ones open fresh sessions (tests use this to see tokens created meanwhile).
 */
export function closePkcs11Sessions(): void {
  for (const [path, loaded] of modules) {
    for (const ts of loaded.tokens.values()) {
      for (const call of [() => ts.lib.C_Logout(ts.session), () => ts.lib.C_CloseSession(ts.session)]) {
        try {
          call()
        } catch {
          // Best effort on the way out.
        }
      }
    }
    try {
      loaded.lib.C_Finalize()
      loaded.lib.close()
    } catch {
      // Best effort on the way out.
    }
    modules.delete(path)
  }
}
