import { createRequire } from 'node:module'
import { SignerError } from '@clawlink/protocol'
import { Pkcs11SignerError } from './errors.js'

/** A PKCS#11 handle as pkcs11js passes it (an 8-byte Buffer). */
export type Handle = Buffer

/** One attribute of a template (pkcs11js shape). */
export interface Attribute {
  type: number
  value?: number | boolean | string | Buffer
}

/** The token information fields we read. */
export interface TokenInfo {
  label: string
  manufacturerID: string
  model: string
  serialNumber: string
  flags: number
}

/** The part of pkcs11js 2.x's `PKCS11` class that clawlink calls. */
export interface Pkcs11Module {
  load(path: string): void
  C_Initialize(options?: { flags?: number }): void
  C_Finalize(): void
  close(): void
  C_GetInfo(): {
    manufacturerID: string
    libraryDescription: string
    cryptokiVersion: { major: number; minor: number }
  }
  C_GetSlotList(tokenPresent?: boolean): Handle[]
  C_GetSlotInfo(slot: Handle): { slotDescription: string; manufacturerID: string; flags: number }
  C_GetTokenInfo(slot: Handle): TokenInfo
  C_GetMechanismList(slot: Handle): number[]
  C_OpenSession(slot: Handle, flags: number): Handle
  C_CloseSession(session: Handle): void
  C_Login(session: Handle, userType: number, pin?: string): void
  C_Logout(session: Handle): void
  C_FindObjectsInit(session: Handle, template: Attribute[]): void
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[]
  C_FindObjectsFinal(session: Handle): void
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): Attribute[]
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void
  C_SignAsync(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>
  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: Attribute[],
    privateTemplate: Attribute[],
  ): { publicKey: Handle; privateKey: Handle }
}

/** PKCS#11 3.0 constants (OASIS pkcs11t.h); pkcs11js 2.1 lacks the Edwards ones. */
export const CK = {
  CKF_RW_SESSION: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKF_OS_LOCKING_OK: 0x2,
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_USER_PIN_INITIALIZED: 0x8,
  CKF_PROTECTED_AUTHENTICATION_PATH: 0x100,
  CKF_USER_PIN_COUNT_LOW: 0x10000,
  CKF_USER_PIN_FINAL_TRY: 0x20000,
  CKF_USER_PIN_LOCKED: 0x40000,
  CKU_USER: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKK_RSA: 0,
  CKK_EC: 3,
  CKK_EC_EDWARDS: 0x40,
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_EXTRACTABLE: 0x162,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA: 0x1057,
} as const

/** CKR_* return values we turn into a specific error. */
export const CKR = {
  DEVICE_REMOVED: 0x32,
  KEY_TYPE_INCONSISTENT: 0x63,
  MECHANISM_INVALID: 0x70,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_PIN_NOT_INITIALIZED: 0x102,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const

const INSTALL =
  'install pkcs11js next to clawlink (it builds from source: on Debian/Ubuntu apt-get install g++ make python3, then pnpm rebuild pkcs11js), or use --signer exec around your vendor tool'

let binding: { PKCS11: new () => Pkcs11Module } | undefined

/**
 * pkcs11js is optional and native: it is required only when a pkcs11 signer is created.
 * @throws SignerError PKCS11_NOT_BUILT
 */
export function loadBinding(): { PKCS11: new () => Pkcs11Module } {
  if (binding) return binding
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as { PKCS11: new () => Pkcs11Module }
    return binding
  } catch (cause) {
    throw new Pkcs11SignerError(
      'PKCS11_NOT_BUILT',
      `the pkcs11 signer needs pkcs11js, which is not installed or not built here (${(cause as Error).message.split('\n')[0]})`,
      { cause, remedy: INSTALL },
    )
  }
}

/** The CKR_* value of a pkcs11js error, or undefined for anything else. */
export function ckrOf(error: unknown): number | undefined {
  const e = error as { name?: string; code?: unknown }
  return e?.name === 'Pkcs11Error' && typeof e.code === 'number' ? e.code : undefined
}

/** The CKR_* name pkcs11js puts in its message (`CKR_PIN_INCORRECT`), for our messages. */
export function ckrName(error: unknown): string {
  const message = (error as Error)?.message ?? String(error)
  return /CKR_\w+/.exec(message)?.[0] ?? message.split('\n')[0]!
}

/**
 * Maps a failed PKCS#11 call to a typed error; `what` says what clawlink was doing and `where` names the token.
 * Never includes the PIN: pkcs11js messages carry only the CKR name and the function.
 */
export function mapPkcs11Error(error: unknown, what: string, where: string): Pkcs11SignerError {
  if (error instanceof SignerError) return error
  const ckr = ckrOf(error)
  const name = ckrName(error)
  switch (ckr) {
    case CKR.PIN_INCORRECT:
    case CKR.PIN_INVALID:
    case CKR.PIN_LEN_RANGE:
      return new Pkcs11SignerError('PKCS11_PIN_INCORRECT', `the PIN for ${where} was refused (${name})`, {
        cause: error,
        remedy:
          'check the PIN in the pin-source file or CLAWLINK_PKCS11_PIN; each wrong try brings the token closer to locking the PIN',
      })
    case CKR.PIN_LOCKED:
    case CKR.PIN_EXPIRED:
    case CKR.USER_PIN_NOT_INITIALIZED:
      return pinLocked(where, name, error)
    case CKR.MECHANISM_INVALID:
      return mechanismUnsupported(where, error)
    case CKR.TOKEN_NOT_PRESENT:
    case CKR.DEVICE_REMOVED:
    case CKR.SESSION_CLOSED:
    case CKR.SESSION_HANDLE_INVALID:
      return new Pkcs11SignerError('PKCS11_TOKEN_NOT_FOUND', `${where} went away while ${what} (${name})`, {
        cause: error,
        remedy: 'plug the token in again (or restore the HSM connection), then retry',
      })
  }
  return new Pkcs11SignerError('PKCS11_DEVICE_ERROR', `${where} failed while ${what}: ${name}`, {
    cause: error,
    remedy: 'see the token or module documentation for this CKR_ code; check the module log',
  })
}

/** The user PIN cannot be used until the security officer resets it. */
export function pinLocked(where: string, detail: string, cause?: unknown): Pkcs11SignerError {
  return new Pkcs11SignerError(
    'PKCS11_PIN_LOCKED',
    `the user PIN of ${where} is locked or not set (${detail})`,
    {
      cause,
      remedy:
        'the security officer must set a new user PIN, e.g. pkcs11-tool --module MODULE --token-label LABEL --login --login-type so --init-pin (softhsm2-util for SoftHSM2, yubico-piv-tool for a YubiKey)',
    },
  )
}

/** The module or token cannot do Ed25519 signatures. */
export function mechanismUnsupported(where: string, cause?: unknown): Pkcs11SignerError {
  return new Pkcs11SignerError(
    'PKCS11_MECHANISM_UNSUPPORTED',
    `${where} does not offer CKM_EDDSA (Ed25519 signatures, PKCS#11 3.0)`,
    {
      cause,
      remedy:
        'use a module/firmware with EdDSA support (SoftHSM2 >= 2.6, YubiHSM 2, recent Luna/CloudHSM clients), or sign with --signer exec',
    },
  )
}

/** CK_TOKEN_INFO/CK_INFO strings are blank-padded (some modules pad with NULs): strip either. */
const BLANKS = /[ \0]+$/

/** A CK_INFO, CK_SLOT_INFO or CK_TOKEN_INFO with its string fields unpadded: read once, compared and shown as is. */
export function unpadded<T extends object>(info: T): T {
  const out = { ...info } as Record<string, unknown>
  for (const [key, value] of Object.entries(out))
    if (typeof value === 'string') out[key] = value.replace(BLANKS, '')
  return out as T
}
