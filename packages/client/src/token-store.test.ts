import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileDeviceTokenStore, createMemoryDeviceTokenStore, gatewayKey } from './token-store.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-tokens-'))
  dirs.push(dir)
  return dir
}

const DEV1 = 'a'.repeat(64)
const DEV2 = 'b'.repeat(64)
const A = gatewayKey('ws://127.0.0.1:18789')
const B = gatewayKey('ws://127.0.0.1:18790')
const key = (gateway: string, deviceId: string, role = 'operator') => ({ gateway, deviceId, role })

describe('gatewayKey', () => {
  it.each([
    ['ws://127.0.0.1:18789', 'ws://127.0.0.1:18789'],
    ['ws://127.0.0.1:18789/', 'ws://127.0.0.1:18789'],
    ['ws://LOCALHOST:18789/some/path?x=1', 'ws://localhost:18789'],
    ['ws://gw.example', 'ws://gw.example:80'],
    ['wss://gw.example', 'wss://gw.example:443'],
    ['wss://[::1]:8443', 'wss://[::1]:8443'],
  ])('%s → %s', (url, expected) => {
    expect(gatewayKey(url)).toBe(expected)
  })

  it('binds wss:// pins, normalised and order-independent; pins do not matter for ws://', () => {
    const one = gatewayKey('wss://gw:443', ['SHA256: AB:CD', 'ef01'])
    expect(one).toBe('wss://gw:443#sha256=abcd,ef01')
    expect(gatewayKey('wss://gw:443', ['ef01', 'abcd'])).toBe(one)
    expect(gatewayKey('wss://gw:443', ['abcd'])).not.toBe(one)
    expect(gatewayKey('ws://gw:80', ['abcd'])).toBe('ws://gw:80')
  })
})

describe('createFileDeviceTokenStore', () => {
  it('stores tokens by gateway + deviceId + role in a 0600 file under a 0700 directory', async () => {
    const dir = tempDir()
    const path = join(dir, 'nested', 'device-tokens.json')
    const store = createFileDeviceTokenStore(path)
    expect(await store.get(key(A, DEV1))).toBeUndefined()
    const t1 = { token: 't1', scopes: ['operator.admin'], issuedAtMs: 5, url: 'ws://127.0.0.1:18789' }
    await store.set(key(A, DEV1), t1)
    await store.set(key(A, DEV1, 'node'), { token: 't2', scopes: [] })
    await store.set(key(A, DEV2), { token: 't3', scopes: [] })
    expect(await store.get(key(A, DEV1))).toEqual(t1)
    expect((await store.get(key(A, DEV1, 'node')))?.token).toBe('t2')
    // The same device's token for gateway A is never handed out for gateway B.
    expect(await store.get(key(B, DEV1))).toBeUndefined()
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700)
    await store.delete(key(A, DEV1))
    expect(await store.get(key(A, DEV1))).toBeUndefined()
    expect((await store.get(key(A, DEV2)))?.token).toBe('t3')
    // A second store on the same file sees the same data (no in-memory cache).
    expect((await createFileDeviceTokenStore(path).get(key(A, DEV2)))?.token).toBe('t3')
    expect(await readdir(join(dir, 'nested'))).toEqual(['device-tokens.json'])
  })

  it('lists a device’s tokens with their gateways', async () => {
    const store = createFileDeviceTokenStore(join(tempDir(), 'tokens.json'))
    await store.set(key(A, DEV1), { token: 'ta', scopes: ['operator.read'] })
    await store.set(key(B, DEV1), { token: 'tb', scopes: [] })
    await store.set(key(A, DEV2), { token: 'tc', scopes: [] })
    const listed = await store.list(DEV1)
    expect(listed.map((e) => [e.key.gateway, e.token.token]).sort()).toEqual([
      [A, 'ta'],
      [B, 'tb'],
    ])
  })

  it('migrates a version-1 file to the gateway each token came from, and to no other gateway', async () => {
    const path = join(tempDir(), 'tokens.json')
    const v1 = {
      version: 1,
      tokens: {
        [`${DEV1}:operator`]: { token: 'old', scopes: ['operator.admin'], url: 'ws://127.0.0.1:18789' },
        [`${DEV2}:operator`]: { token: 'no-url', scopes: [] },
      },
    }
    writeFileSync(path, JSON.stringify(v1), { mode: 0o600 })
    const store = createFileDeviceTokenStore(path)
    expect((await store.get(key(A, DEV1)))?.token).toBe('old')
    expect(await store.get(key(B, DEV1))).toBeUndefined()
    // A token that never recorded its gateway cannot be bound to one: it is not used anywhere.
    expect(await store.get(key(A, DEV2))).toBeUndefined()
    await store.set(key(B, DEV2), { token: 'new', scopes: [] })
    const written = JSON.parse(readFileSync(path, 'utf8')) as {
      version: number
      tokens: Record<string, unknown>
    }
    expect(written.version).toBe(2)
    expect(Object.keys(written.tokens).sort()).toEqual([`${A}|${DEV1}|operator`, `${B}|${DEV2}|operator`])
  })

  it('serialises concurrent writes without losing entries', async () => {
    const path = join(tempDir(), 'tokens.json')
    const store = createFileDeviceTokenStore(path)
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.set(key(A, `${i}`.padStart(64, '0')), { token: `t${i}`, scopes: [] }),
      ),
    )
    const data = JSON.parse(readFileSync(path, 'utf8')) as { tokens: Record<string, unknown> }
    expect(Object.keys(data.tokens)).toHaveLength(20)
  })

  it('treats a corrupt file as empty and repairs it on the next write', async () => {
    const path = join(tempDir(), 'tokens.json')
    writeFileSync(path, '{not json', { mode: 0o644 })
    const store = createFileDeviceTokenStore(path)
    expect(await store.get(key(A, DEV1))).toBeUndefined()
    await store.set(key(A, DEV1), { token: 't', scopes: [] })
    expect((await store.get(key(A, DEV1)))?.token).toBe('t')
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})

describe('createMemoryDeviceTokenStore', () => {
  it('round-trips copies, bound to the gateway', async () => {
    const store = createMemoryDeviceTokenStore()
    const scopes = ['a']
    await store.set(key(A, DEV1), { token: 't', scopes })
    scopes.push('b')
    expect((await store.get(key(A, DEV1)))?.scopes).toEqual(['a'])
    expect(await store.get(key(B, DEV1))).toBeUndefined()
    expect((await store.list(DEV1)).map((e) => e.key.gateway)).toEqual([A])
    await store.delete(key(A, DEV1))
    expect(await store.get(key(A, DEV1))).toBeUndefined()
  })
})
