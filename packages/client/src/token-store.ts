import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { normalizeFingerprint } from '@clawlink/protocol'
import { changeMode, makeDir, readText, removePath, renamePath, writeText } from './fs-async.js'

/** A device token issued by the gateway in `hello-ok.auth.deviceToken` (docs/protocol.md §5.6). */
export type StoredDeviceToken = {
  token: string
  /** Scopes the gateway reported with the token. */
  scopes: string[]
  issuedAtMs?: number
  /** Gateway URL the token came from (informational; the binding is the store key). */
  url?: string
}

/**
 * Which token: a device token only ever goes back to the gateway that issued it, so the key is the gateway
 * (its normalised URL plus the TLS pins, {@link gatewayKey}) as well as the device and role.
 */
export type DeviceTokenKey = { gateway: string; deviceId: string; role: string }

/** Where device tokens live between runs. */
export interface DeviceTokenStore {
  get(key: DeviceTokenKey): Promise<StoredDeviceToken | undefined>
  set(key: DeviceTokenKey, token: StoredDeviceToken): Promise<void>
  delete(key: DeviceTokenKey): Promise<void>
  /** Every stored token of a device, with the gateway each is bound to. */
  list(deviceId: string): Promise<Array<{ key: DeviceTokenKey; token: StoredDeviceToken }>>
}

function parseKey(k: string): DeviceTokenKey | undefined {
  const parts = k.split('|')
  return parts.length === 3 ? { gateway: parts[0]!, deviceId: parts[1]!, role: parts[2]! } : undefined
}

function listOf(
  entries: Iterable<[string, StoredDeviceToken | undefined]>,
  deviceId: string,
): Array<{ key: DeviceTokenKey; token: StoredDeviceToken }> {
  const out: Array<{ key: DeviceTokenKey; token: StoredDeviceToken }> = []
  for (const [k, entry] of entries) {
    const key = parseKey(k)
    const token = copyOut(entry)
    if (key && token && key.deviceId === deviceId) out.push({ key, token })
  }
  return out
}

/**
 * The identity of a gateway for token binding: scheme, lower-case host and explicit port (default ports filled
 * in), no path; for `wss://` with pins, the sorted pins too, so the same host with another certificate is
 * another gateway.
 */
export function gatewayKey(url: string, pins: readonly string[] = []): string {
  const u = new URL(url)
  const port = u.port || (u.protocol === 'wss:' ? '443' : '80')
  const base = `${u.protocol}//${u.hostname.toLowerCase()}:${port}`
  const normalised = pins.map((p) => normalizeFingerprint(p)).filter((p) => p !== '')
  if (u.protocol !== 'wss:' || normalised.length === 0) return base
  return `${base}#sha256=${[...new Set(normalised)].sort().join(',')}`
}

type Entry = StoredDeviceToken & { updatedAtMs?: number }
type StoreFile = { version: 2; tokens: Record<string, Entry> }

function keyOf(key: DeviceTokenKey): string {
  return `${key.gateway}|${key.deviceId}|${key.role}`
}

// Version 1 files keyed tokens by `deviceId:role` and recorded the issuing URL; such an entry migrates to the
// gateway it came from (no pins were stored then, so it binds to the plain URL), never to another one.
function migrate(tokens: Record<string, Entry>): Record<string, Entry> {
  const out: Record<string, Entry> = {}
  for (const [k, entry] of Object.entries(tokens)) {
    if (k.includes('|')) {
      out[k] = entry
      continue
    }
    const m = /^([0-9a-f]{64}):(.+)$/.exec(k)
    if (!m || typeof entry?.url !== 'string') continue
    try {
      out[keyOf({ gateway: gatewayKey(entry.url), deviceId: m[1]!, role: m[2]! })] ??= entry
    } catch {
      // An unparsable URL cannot be bound to a gateway: drop the token (a re-pair with the shared token fixes it).
    }
  }
  return out
}

async function readStore(path: string): Promise<StoreFile> {
  let text: string
  try {
    text = await readText(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 2, tokens: {} }
    throw error
  }
  try {
    const parsed = JSON.parse(text) as { tokens?: unknown }
    if (parsed && typeof parsed === 'object' && parsed.tokens && typeof parsed.tokens === 'object') {
      return { version: 2, tokens: migrate(parsed.tokens as Record<string, Entry>) }
    }
  } catch {
    // A corrupt cache only costs a re-pair with the shared token; start afresh rather than fail the connect.
  }
  return { version: 2, tokens: {} }
}

/** Writes `data` as JSON to a 0600 file in a 0700 folder, atomically (temp file + rename). */
export async function writeJsonFile(path: string, data: unknown): Promise<void> {
  await makeDir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeText(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await changeMode(temp, 0o600)
    await renamePath(temp, path)
  } catch (error) {
    await removePath(temp, { force: true })
    throw error
  }
}

function copyOut(entry: Entry | undefined): StoredDeviceToken | undefined {
  if (!entry || typeof entry.token !== 'string' || entry.token === '') return undefined
  const result: StoredDeviceToken = {
    token: entry.token,
    scopes: Array.isArray(entry.scopes) ? entry.scopes.filter((s) => typeof s === 'string') : [],
  }
  if (typeof entry.issuedAtMs === 'number') result.issuedAtMs = entry.issuedAtMs
  if (typeof entry.url === 'string') result.url = entry.url
  return result
}

/**
 * A JSON file of device tokens (mode 0600, parent 0700), written atomically (temp file + rename), keyed by
 * gateway, device and role. Writes within one process are serialised; concurrent processes last-writer-win.
 */
export function createFileDeviceTokenStore(path: string): DeviceTokenStore {
  let queue: Promise<unknown> = Promise.resolve()
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    async get(key) {
      const data = await serial(() => readStore(path))
      return copyOut(data.tokens[keyOf(key)])
    },
    set(key, token) {
      return serial(async () => {
        const data = await readStore(path)
        data.tokens[keyOf(key)] = { ...token, updatedAtMs: Date.now() }
        await writeJsonFile(path, data)
      })
    },
    delete(key) {
      return serial(async () => {
        const data = await readStore(path)
        if (!(keyOf(key) in data.tokens)) return
        delete data.tokens[keyOf(key)]
        await writeJsonFile(path, data)
      })
    },
    async list(deviceId) {
      const data = await serial(() => readStore(path))
      return listOf(Object.entries(data.tokens), deviceId)
    },
  }
}

/** An in-memory store (tests, short-lived processes that must not touch disk). */
export function createMemoryDeviceTokenStore(): DeviceTokenStore {
  const map = new Map<string, StoredDeviceToken>()
  return {
    async get(key) {
      const entry = map.get(keyOf(key))
      return entry ? { ...entry, scopes: [...entry.scopes] } : undefined
    },
    async set(key, token) {
      map.set(keyOf(key), { ...token, scopes: [...token.scopes] })
    },
    async delete(key) {
      map.delete(keyOf(key))
    },
    async list(deviceId) {
      return listOf(map.entries(), deviceId)
    },
  }
}
