import { createRequire } from 'node:module'
import {
  base64UrlDecode,
  base64UrlEncode,
  type DeviceSigner,
  SignerError,
  type SignerErrorCode,
} from '@clawlink/protocol'
import { randomSeed, signerFromSeed, withDeadline } from '@clawlink/signer-kit'

/** The part of keytar we use (keytar 7). */
interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
}

/** Options of {@link createKeychainSigner}. */
export interface KeychainSignerOptions {
  /** One account per clawlink profile. */
  account: string
  /** @default 'clawlink' */
  service?: string
  /** Create a seed when the keychain has none. @default true */
  create?: boolean
  /** Deadline of every keychain call: a missing Secret Service must not hang the CLI. @default 5000 */
  timeoutMs?: number
  /** Migration: store this seed (refused when the account already holds one). */
  importSeed?: Uint8Array
  signal?: AbortSignal
}

/** A signer whose seed lives only in the OS keychain. */
export interface KeychainSigner extends DeviceSigner {
  readonly service: string
  readonly account: string
  readonly created: boolean
}

/** The keychain signer's own `SignerError` codes, besides protocol's generic ones (rows in docs/errors.md). */
export type KeychainSignerErrorCode =
  | SignerErrorCode
  | 'KEYCHAIN_UNAVAILABLE'
  | 'KEYTAR_NOT_BUILT'
  | 'KEY_FILE_CORRUPT'
const KeychainSignerError = SignerError<KeychainSignerErrorCode>

const FALLBACK = 'use the file signer instead (--signer file), or start/unlock the keyring'

let cached: Keytar | undefined

/** keytar is optional and native: load it only when the keychain signer is chosen. */
function loadKeytar(): Keytar {
  if (cached) return cached
  try {
    cached = createRequire(import.meta.url)('keytar') as Keytar
    return cached
  } catch (cause) {
    throw new KeychainSignerError(
      'KEYTAR_NOT_BUILT',
      `the keychain signer needs keytar, which is not built here (${(cause as Error).message.split('\n')[0]})`,
      {
        cause,
        remedy:
          'on Debian/Ubuntu: apt-get install libsecret-1-dev pkg-config g++ make, then pnpm rebuild keytar (macOS and Windows need only a C++ toolchain); or use --signer file',
      },
    )
  }
}

/** One keychain call, bounded by `timeoutMs` and `signal`: a missing Secret Service must not hang the CLI. */
function bounded<T>(
  what: string,
  call: () => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  return withDeadline(
    () =>
      call().catch((cause: unknown) => {
        throw new KeychainSignerError(
          'KEYCHAIN_UNAVAILABLE',
          `the OS keychain did not answer (${what}): ${(cause as Error).message}`,
          { cause, remedy: FALLBACK },
        )
      }),
    {
      timeoutMs,
      signal,
      onTimeout: () =>
        new KeychainSignerError(
          'KEYCHAIN_UNAVAILABLE',
          `the OS keychain did not answer within ${timeoutMs} ms (${what})`,
          { remedy: FALLBACK },
        ),
      onAbort: () => new KeychainSignerError('ABORTED', `${what} was aborted`),
    },
  )
}

function decodeStored(stored: string, where: string): Uint8Array {
  let seed: Uint8Array
  try {
    seed = base64UrlDecode(stored)
  } catch {
    seed = new Uint8Array(0)
  }
  if (seed.length !== 32) {
    throw new KeychainSignerError(
      'KEY_FILE_CORRUPT',
      `${where} does not hold a 32-byte base64url seed; it was left untouched`,
      {
        remedy:
          'restore it, or delete the item and run "clawlink device init --signer keychain" (then pair again)',
      },
    )
  }
  return seed
}

/**
 * A device signer whose 32-byte Ed25519 seed is kept only in the OS keychain (keytar: Secret Service,
 * macOS Keychain, Windows Credential Manager), created on first use; signing happens in-process.
 * @throws SignerError KEYTAR_NOT_BUILT, KEYCHAIN_UNAVAILABLE (bounded by timeoutMs), KEY_NOT_FOUND, KEY_EXISTS, KEY_FILE_CORRUPT
 */
export async function createKeychainSigner(options: KeychainSignerOptions): Promise<KeychainSigner> {
  if (!options?.account)
    throw new KeychainSignerError(
      'INVALID_OPTIONS',
      'the keychain signer needs an account (the profile name)',
    )
  const service = options.service ?? 'clawlink'
  const timeoutMs = options.timeoutMs ?? 5000
  const keytar = loadKeytar()
  const where = `keychain item ${service}/${options.account}`
  const stored = await bounded(
    'reading the seed',
    () => keytar.getPassword(service, options.account),
    timeoutMs,
    options.signal,
  )
  let seed: Uint8Array
  if (stored !== null && !options.importSeed) {
    seed = decodeStored(stored, where)
  } else {
    if (stored !== null) {
      throw new KeychainSignerError('KEY_EXISTS', `${where} already holds a key; it was not overwritten`, {
        remedy: `delete it deliberately first (e.g. secret-tool clear service ${service} account ${options.account})`,
      })
    }
    if (!options.importSeed && options.create === false) {
      throw new KeychainSignerError('KEY_NOT_FOUND', `no device key in ${where}`, {
        remedy: 'run "clawlink device init --signer keychain"',
      })
    }
    seed = options.importSeed ? Uint8Array.from(options.importSeed) : randomSeed()
    const value = base64UrlEncode(seed)
    await bounded(
      'storing the seed',
      () => keytar.setPassword(service, options.account, value),
      timeoutMs,
      options.signal,
    )
  }
  const created = stored === null
  const signer = await signerFromSeed(seed)
  return {
    algorithm: signer.algorithm,
    publicKey: signer.publicKey,
    sign: signer.sign,
    service,
    account: options.account,
    created,
  }
}

/**
 * Reads the seed out of the keychain for migration; needs `confirm: true`.
 * @throws SignerError INVALID_OPTIONS without confirmation, KEY_NOT_FOUND
 */
export async function exportKeychainSeed(options: {
  account: string
  service?: string
  confirm: boolean
  timeoutMs?: number
}): Promise<Uint8Array> {
  if (options?.confirm !== true) {
    throw new KeychainSignerError(
      'INVALID_OPTIONS',
      'exporting a private key needs an explicit confirmation ({confirm: true})',
    )
  }
  const service = options.service ?? 'clawlink'
  const stored = await bounded(
    'reading the seed',
    () => loadKeytar().getPassword(service, options.account),
    options.timeoutMs ?? 5000,
    undefined,
  )
  if (stored === null)
    throw new KeychainSignerError(
      'KEY_NOT_FOUND',
      `no device key in keychain item ${service}/${options.account}`,
    )
  return base64UrlDecode(stored)
}

/** Removes the seed (tests and explicit resets only). */
export async function deleteKeychainSeed(options: {
  account: string
  service?: string
  timeoutMs?: number
}): Promise<boolean> {
  return bounded(
    'deleting the seed',
    () => loadKeytar().deletePassword(options.service ?? 'clawlink', options.account),
    options.timeoutMs ?? 5000,
    undefined,
  )
}
