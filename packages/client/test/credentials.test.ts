import { GatewayError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { type ClientProgressEvent, createMemoryDeviceTokenStore, type SharedSecrets } from '../src/index.js'
import { client, cleanupAfterEach, connectParams, gateway } from './fixture.js'
import { createTestSigner, rejectionOf } from './helpers.js'

cleanupAfterEach()

/** A credentials source the test rewrites, counting how often the client read it. */
function source(first: SharedSecrets) {
  const state = { current: first, reads: 0 }
  return {
    state,
    read: async (): Promise<SharedSecrets> => {
      state.reads++
      return { ...state.current, source: '--token-file /t' }
    },
  }
}

function authTokens(gw: Awaited<ReturnType<typeof gateway>>): unknown[] {
  return gw.requests('connect').map((r) => (r.params as { auth?: { token?: unknown } }).auth?.token)
}

describe('credentials that change', () => {
  it('after 4001 the reconnect reads the rotated token from its source and serves again', async () => {
    const gw = await gateway({ flavor: '9.6', token: 'old-token' })
    const src = source({ token: 'old-token' })
    const events: ClientProgressEvent[] = []
    const c = client(gw, {
      token: 'old-token',
      credentials: src.read,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
      onProgress: (e) => events.push(e),
    })
    await c.request('cron.list', {})
    src.state.current = { token: 'new-token' }
    const dropped = new Promise<void>((resolve) =>
      c.onConnectionChange((e) => e.kind === 'disconnected' && resolve()),
    )
    gw.rotateSharedToken('new-token')
    await dropped
    await expect(c.request('cron.list', {})).resolves.toMatchObject({ jobs: [] })
    expect(events).toContainEqual({ kind: 'credentials-reloaded', source: '--token-file /t' })
    expect(events.some((e) => e.kind === 'disconnected' && e.code === 4001)).toBe(true)
    expect(authTokens(gw).slice(-2)).toEqual(['old-token', 'new-token'])
    expect(src.state.reads).toBe(1)
  })

  it('re-reads once per connect: an unchanged source ends the attempt with the mismatch, no loop', async () => {
    const gw = await gateway({ flavor: '9.6', token: 'rotated' })
    const src = source({ token: 'stale' })
    const c = client(gw, { token: 'stale', credentials: src.read })
    const error = await rejectionOf(c.connect())
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('AUTH_TOKEN_MISMATCH')
    expect(src.state.reads).toBe(1)
    expect(gw.requests('connect')).toHaveLength(1)
  })

  it('a second mismatch after a reload is final (the reloaded token is wrong too)', async () => {
    const gw = await gateway({ flavor: '3.13', token: 'right' })
    const src = source({ token: 'also-wrong' })
    const c = client(gw, { token: 'wrong', credentials: src.read })
    const error = await rejectionOf(c.connect())
    expect(error.code).toBe('AUTH_TOKEN_MISMATCH')
    expect(src.state.reads).toBe(1)
    expect(authTokens(gw)).toEqual(['wrong', 'also-wrong'])
  })

  it('the source is read before the device-token fallback, and an unreadable source is a warning', async () => {
    const gw = await gateway({ flavor: '9.6', token: 'now' })
    const store = createMemoryDeviceTokenStore()
    const signer = createTestSigner()
    await client(gw, { signer, deviceTokenStore: store, token: 'now' }).connect()
    const events: ClientProgressEvent[] = []
    const failing = async (): Promise<SharedSecrets> => {
      throw new Error('cannot read the token file /t: ENOENT')
    }
    const c = client(gw, {
      signer,
      deviceTokenStore: store,
      token: 'before',
      credentials: failing,
      onProgress: (e) => events.push(e),
    })
    await c.connect()
    expect(c.authMethod).toBe('device-token') // the §5.6 fallback still applies
    expect(events).toContainEqual(expect.objectContaining({ kind: 'warning', code: 'CREDENTIALS_RELOAD' }))
    const d = client(gw, {
      signer,
      deviceTokenStore: store,
      token: 'before',
      credentials: async () => ({ token: 'now' }),
    })
    await d.connect()
    expect(d.authMethod).toBe('token')
    expect(connectParams(gw).auth).toMatchObject({ token: 'now' })
  })

  it('a revoked device token is cleared and a shared token that appeared since is read and used', async () => {
    const gw = await gateway({ flavor: '9.6', token: 'shared' })
    const store = createMemoryDeviceTokenStore()
    const signer = createTestSigner()
    await client(gw, { signer, deviceTokenStore: store, token: 'shared' }).connect()
    gw.revokeDeviceTokens()
    const events: ClientProgressEvent[] = []
    const c = client(gw, {
      signer,
      deviceTokenStore: store,
      token: undefined,
      credentials: async () => ({ token: 'shared' }),
      onProgress: (e) => events.push(e),
    })
    await c.connect()
    expect(c.authMethod).toBe('token')
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['device-token-cleared', 'credentials-reloaded', 'connected']),
    )
  })
})

describe('the device token store', () => {
  it('is written when a token is issued or changes, not on every connect that hands the same one back', async () => {
    const gw = await gateway({ flavor: '9.6', token: 'shared' })
    const memory = createMemoryDeviceTokenStore()
    let writes = 0
    const store = {
      ...memory,
      set: async (...args: Parameters<typeof memory.set>) => {
        writes++
        await memory.set(...args)
      },
    }
    const signer = createTestSigner()
    for (let i = 0; i < 3; i++)
      await client(gw, { signer, deviceTokenStore: store, token: 'shared' }).connect()
    expect(writes).toBe(1)
    gw.revokeDeviceTokens() // the next connect falls back to the shared token and gets a new device token
    await client(gw, { signer, deviceTokenStore: store, token: 'shared' }).connect()
    expect(writes).toBe(2)
  })
})
