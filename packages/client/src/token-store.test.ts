import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileDeviceTokenStore, createMemoryDeviceTokenStore } from './token-store.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-tokens-'))
  dirs.push(dir)
  return dir
}

describe('createFileDeviceTokenStore', () => {
  it('stores tokens by deviceId + role in a 0600 file under a 0700 directory', async () => {
    const dir = tempDir()
    const path = join(dir, 'nested', 'device-tokens.json')
    const store = createFileDeviceTokenStore(path)
    expect(await store.get('dev1', 'operator')).toBeUndefined()
    await store.set('dev1', 'operator', {
      token: 't1',
      scopes: ['operator.admin'],
      issuedAtMs: 5,
      url: 'ws://x',
    })
    await store.set('dev1', 'node', { token: 't2', scopes: [] })
    await store.set('dev2', 'operator', { token: 't3', scopes: [] })
    expect(await store.get('dev1', 'operator')).toEqual({
      token: 't1',
      scopes: ['operator.admin'],
      issuedAtMs: 5,
      url: 'ws://x',
    })
    expect((await store.get('dev1', 'node'))?.token).toBe('t2')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700)
    await store.delete('dev1', 'operator')
    expect(await store.get('dev1', 'operator')).toBeUndefined()
    expect((await store.get('dev2', 'operator'))?.token).toBe('t3')
    // A second store on the same file sees the same data (no in-memory cache).
    expect((await createFileDeviceTokenStore(path).get('dev2', 'operator'))?.token).toBe('t3')
    expect(await readdir(join(dir, 'nested'))).toEqual(['device-tokens.json'])
  })

  it('serialises concurrent writes without losing entries', async () => {
    const path = join(tempDir(), 'tokens.json')
    const store = createFileDeviceTokenStore(path)
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.set(`d${i}`, 'operator', { token: `t${i}`, scopes: [] })),
    )
    const data = JSON.parse(readFileSync(path, 'utf8')) as { tokens: Record<string, unknown> }
    expect(Object.keys(data.tokens)).toHaveLength(20)
  })

  it('treats a corrupt file as empty and repairs it on the next write', async () => {
    const path = join(tempDir(), 'tokens.json')
    writeFileSync(path, '{not json', { mode: 0o644 })
    const store = createFileDeviceTokenStore(path)
    expect(await store.get('d', 'operator')).toBeUndefined()
    await store.set('d', 'operator', { token: 't', scopes: [] })
    expect((await store.get('d', 'operator'))?.token).toBe('t')
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})

describe('createMemoryDeviceTokenStore', () => {
  it('round-trips copies', async () => {
    const store = createMemoryDeviceTokenStore()
    const scopes = ['a']
    await store.set('d', 'operator', { token: 't', scopes })
    scopes.push('b')
    expect((await store.get('d', 'operator'))?.scopes).toEqual(['a'])
    await store.delete('d', 'operator')
    expect(await store.get('d', 'operator')).toBeUndefined()
  })
})
