import { lstatSync, readFileSync } from 'node:fs'
import {
  base64UrlDecode,
  base64UrlEncode,
  type DeviceSigner,
  deriveDeviceId,
  seedFromPkcs8Pem,
  SignerError,
  type SignerErrorCode,
} from '@clawlink/protocol'
import { isRecord, randomSeed, signerFromSeed, writePrivateFile } from '@clawlink/signer-kit'

/** Options of {@link createFileSigner}. */
export interface FileSignerOptions {
  /** The key file: clawlink's JSON format, or OpenClaw's legacy `identity/device.json` (read-only). */
  path: string
  /** Create a new key when the file does not exist. @default true */
  create?: boolean
}

/** A signer backed by a key file. */
export interface FileSigner extends DeviceSigner {
  readonly path: string
  /** `clawlink` for our own format; `openclaw-legacy` for a reused OpenClaw identity (never written). */
  readonly kind: 'clawlink' | 'openclaw-legacy'
  /** True when this call created the file. */
  readonly created: boolean
}

/** The file signer's own `SignerError` codes, besides protocol's generic ones (rows in docs/errors.md). */
export type FileSignerErrorCode =
  | SignerErrorCode
  | 'KEY_FILE_INSECURE'
  | 'KEY_FILE_CORRUPT'
  | 'KEY_FILE_UNREADABLE'
const FileSignerError = SignerError<FileSignerErrorCode>
type FileSignerError = SignerError<FileSignerErrorCode>

/** clawlink's key file (mode 0600): see the package README. */
interface KeyFileV1 {
  version: 1
  algorithm: 'ed25519'
  publicKey: string
  seed: string
  createdAtMs: number
}

function corrupt(path: string, why: string): FileSignerError {
  return new FileSignerError(
    'KEY_FILE_CORRUPT',
    `key file ${path} is unusable: ${why}; it was left untouched`,
    {
      remedy: `restore ${path} from a backup, or move it away and run "clawlink device init" (the device must then be paired again)`,
    },
  )
}

/** Reads and checks a key file; never modifies it. */
function readKeyFile(path: string): { seed: Uint8Array; kind: FileSigner['kind'] } {
  let stat: ReturnType<typeof lstatSync>
  try {
    stat = lstatSync(path)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FileSignerError('KEY_NOT_FOUND', `no device key at ${path}`, {
        cause,
        remedy: 'run "clawlink device init" to create one',
      })
    }
    throw new FileSignerError(
      'KEY_FILE_UNREADABLE',
      `cannot read key file ${path}: ${(cause as Error).message}`,
      { cause },
    )
  }
  if (!stat.isFile()) {
    throw new FileSignerError('KEY_FILE_UNREADABLE', `key file ${path} is not a regular file`, {
      remedy: `point --key-file at the key file itself`,
    })
  }
  // Like ssh: a private key others can read is refused, not silently used.
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0')
    throw new FileSignerError(
      'KEY_FILE_INSECURE',
      `key file ${path} is accessible by group or others (mode ${mode})`,
      {
        remedy: `chmod 600 ${path}`,
      },
    )
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new FileSignerError(
      'KEY_FILE_UNREADABLE',
      `cannot read key file ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      {
        cause,
        remedy: `check the owner and permissions of ${path}`,
      },
    )
  }
  if (text.trim().length === 0) throw corrupt(path, 'the file is empty')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw corrupt(path, 'not valid JSON (truncated?)')
  }
  if (!isRecord(data)) throw corrupt(path, 'not a JSON object')
  if (data.algorithm === 'ed25519' && typeof data.seed === 'string')
    return { seed: parseOwn(path, data), kind: 'clawlink' }
  // OpenClaw's legacy identity (docs/protocol.md §6.5): {version:1, deviceId, publicKeyPem, privateKeyPem, createdAtMs}.
  if (typeof data.privateKeyPem === 'string' && typeof data.publicKeyPem === 'string') {
    if (data.version !== 1)
      throw corrupt(path, `unsupported OpenClaw identity version ${String(data.version)}`)
    let seed: Uint8Array
    try {
      seed = seedFromPkcs8Pem(data.privateKeyPem)
    } catch {
      throw corrupt(path, 'privateKeyPem is not an Ed25519 PKCS#8 key')
    }
    return { seed, kind: 'openclaw-legacy' }
  }
  throw corrupt(path, 'neither a clawlink key file nor an OpenClaw identity/device.json')
}

function parseOwn(path: string, data: Record<string, unknown>): Uint8Array {
  if (data.version !== 1) throw corrupt(path, `unsupported key file version ${String(data.version)}`)
  let seed: Uint8Array
  try {
    seed = base64UrlDecode(data.seed as string)
  } catch {
    throw corrupt(path, 'seed is not base64url')
  }
  if (seed.length !== 32) throw corrupt(path, `seed must be 32 bytes, got ${seed.length}`)
  return seed
}

function keyFileContent(seed: Uint8Array, publicKey: Uint8Array): string {
  const file: KeyFileV1 = {
    version: 1,
    algorithm: 'ed25519',
    publicKey: base64UrlEncode(publicKey),
    seed: base64UrlEncode(seed),
    createdAtMs: Date.now(),
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

/**
 * A device signer whose Ed25519 seed lives in a 0600 file; creates the file on first use (folder 0700).
 * Also reads OpenClaw's legacy `identity/device.json`, without ever writing it.
 * @throws SignerError KEY_NOT_FOUND, KEY_FILE_INSECURE, KEY_FILE_CORRUPT, KEY_FILE_UNREADABLE
 */
export async function createFileSigner(options: FileSignerOptions): Promise<FileSigner> {
  const { path } = options
  if (typeof path !== 'string' || path.length === 0)
    throw new FileSignerError('INVALID_OPTIONS', 'the file signer needs a path')
  let created = false
  try {
    lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw readKeyFileError(path, error)
    if (options.create === false) return finish(readKeyFile(path), path, false)
    const seed = randomSeed()
    const signer = await signerFromSeed(seed)
    created = writePrivateFile(path, keyFileContent(seed, signer.publicKey), { replace: false })
  }
  return finish(readKeyFile(path), path, created)
}

function readKeyFileError(path: string, cause: unknown): FileSignerError {
  return new FileSignerError(
    'KEY_FILE_UNREADABLE',
    `cannot read key file ${path}: ${(cause as Error).message}`,
    {
      cause,
    },
  )
}

async function finish(
  read: { seed: Uint8Array; kind: FileSigner['kind'] },
  path: string,
  created: boolean,
): Promise<FileSigner> {
  const signer = await signerFromSeed(read.seed)
  return {
    algorithm: signer.algorithm,
    publicKey: signer.publicKey,
    sign: signer.sign,
    path,
    kind: read.kind,
    created,
  }
}

/**
 * Writes a key file from an existing seed (migration between machines or signers).
 * @throws SignerError KEY_EXISTS when the file exists: an existing key is never overwritten
 */
export async function importSeedToFile(path: string, seed: Uint8Array): Promise<FileSigner> {
  const signer = await signerFromSeed(seed)
  if (!writePrivateFile(path, keyFileContent(seed, signer.publicKey), { replace: false })) {
    throw new FileSignerError('KEY_EXISTS', `${path} already holds a key; it was not overwritten`, {
      remedy: `move ${path} away first if you really mean to replace this device's key`,
    })
  }
  return finish(readKeyFile(path), path, true)
}

/**
 * Reads the raw seed out of a key file, for migration only: the caller must pass `{confirm: true}`.
 * @throws SignerError INVALID_OPTIONS without confirmation
 */
export function exportSeedFromFile(path: string, options: { confirm: boolean }): Uint8Array {
  if (options?.confirm !== true) {
    throw new FileSignerError(
      'INVALID_OPTIONS',
      'exporting a private key needs an explicit confirmation ({confirm: true})',
    )
  }
  return readKeyFile(path).seed
}

/** deviceId of the key in a file, without creating anything. */
export async function deviceIdOfFile(path: string): Promise<string> {
  return deriveDeviceId((await createFileSigner({ path, create: false })).publicKey)
}
