import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A device token issued by the gateway in `hello-ok.auth.deviceToken` (PROTOCOL.md §5.6). */
export type StoredDeviceToken = {
  token: string
  /** Scopes the gateway reported with the token. */
  scopes: string[]
  issuedAtMs?: number
  /** Gateway URL the token came from. */
  url?: string
}

/** Where device tokens live between runs, keyed by deviceId + role. */
export interface DeviceTokenStore {
  get(deviceId: string, role: string): Promise<StoredDeviceToken | undefined>
  set(deviceId: string, role: string, token: StoredDeviceToken): Promise<void>
  delete(deviceId: string, role: string): Promise<void>
}

type StoreFile = { version: 1; tokens: Record<string, StoredDeviceToken & { updatedAtMs?: number }> }

function keyOf(deviceId: string, role: string): string {
  return `${deviceId}:${role}`
}

async function readStore(path: string): Promise<StoreFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tokens: {} }
    throw error
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoreFile>
    if (parsed && typeof parsed === 'object' && parsed.tokens && typeof parsed.tokens === 'object') {
      return { version: 1, tokens: parsed.tokens }
    }
  } catch {
    // A corrupt cache only costs a re-pair with the shared token; start afresh rather than fail the connect.
  }
  return { version: 1, tokens: {} }
}

async function writeStore(path: string, data: StoreFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await chmod(temp, 0o600)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/**
 * A JSON file of device tokens (mode 0600, parent 0700), written atomically (temp file + rename).
 * Writes within one process are serialised; concurrent processes last-writer-win per file.
 */
export function createFileDeviceTokenStore(path: string): DeviceTokenStore {
  let queue: Promise<unknown> = Promise.resolve()
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    async get(deviceId, role) {
      const data = await serial(() => readStore(path))
      const entry = data.tokens[keyOf(deviceId, role)]
      if (!entry || typeof entry.token !== 'string' || entry.token === '') return undefined
      const result: StoredDeviceToken = {
        token: entry.token,
        scopes: Array.isArray(entry.scopes) ? entry.scopes.filter((s) => typeof s === 'string') : [],
      }
      if (typeof entry.issuedAtMs === 'number') result.issuedAtMs = entry.issuedAtMs
      if (typeof entry.url === 'string') result.url = entry.url
      return result
    },
    set(deviceId, role, token) {
      return serial(async () => {
        const data = await readStore(path)
        data.tokens[keyOf(deviceId, role)] = { ...token, updatedAtMs: Date.now() }
        await writeStore(path, data)
      })
    },
    delete(deviceId, role) {
      return serial(async () => {
        const data = await readStore(path)
        if (!(keyOf(deviceId, role) in data.tokens)) return
        delete data.tokens[keyOf(deviceId, role)]
        await writeStore(path, data)
      })
    },
  }
}

/** An in-memory store (tests, short-lived processes that must not touch disk). */
export function createMemoryDeviceTokenStore(): DeviceTokenStore {
  const map = new Map<string, StoredDeviceToken>()
  return {
    async get(deviceId, role) {
      const entry = map.get(keyOf(deviceId, role))
      return entry ? { ...entry, scopes: [...entry.scopes] } : undefined
    },
    async set(deviceId, role, token) {
      map.set(keyOf(deviceId, role), { ...token, scopes: [...token.scopes] })
    },
    async delete(deviceId, role) {
      map.delete(keyOf(deviceId, role))
    },
  }
}
