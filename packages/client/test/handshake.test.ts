import { join } from 'node:path'
import { CLAWLINK_SCOPES, GatewayError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { startFakeGateway } from '@clawlink/testkit/fake-gateway'
import {
  ClientError,
  type ClientProgressEvent,
  createFileDeviceTokenStore,
  createMemoryDeviceTokenStore,
} from '../src/index.js'
import { client, cleanupAfterEach, connectParams, gateway, tempDir, tokenKey } from './fixture.js'
import { createTestSigner, rejectionOf } from './helpers.js'

cleanupAfterEach()

describe('handshake', () => {
  it('connects to a v4 gateway with a signed device, protocol 3..4, cli/cli and the clawlink scopes', async () => {
    const gw = await gateway({ flavor: '9.6' })
    const store = createMemoryDeviceTokenStore()
    const signer = createTestSigner()
    const c = client(gw, { signer, deviceTokenStore: store })
    const hello = await c.connect()
    expect(hello.protocol).toBe(4)
    expect(c.state).toBe('open')
    expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
    const params = connectParams(gw)
    expect(params).toMatchObject({
      minProtocol: 3,
      maxProtocol: 4,
      role: 'operator',
      scopes: [...CLAWLINK_SCOPES],
      client: { id: 'cli', mode: 'cli' },
      auth: { token: gw.token },
    })
    const challenge = gw.frames.find((f) => f.direction === 'out' && f.frame?.event === 'connect.challenge')
    const device = params.device as Record<string, unknown>
    // docs/protocol.md §4.1: signedAt is the challenge ts.
    expect(device.signedAt).toBe((challenge?.frame?.payload as { ts?: number } | undefined)?.ts)
    expect(device.id).toBe(c.deviceId)
    const stored = await store.get(tokenKey(gw, c))
    expect(stored?.token).toHaveLength(43)
    expect(stored?.url).toBe(gw.url)
  })

  it('connects to v3 gateways (3.13 and 5.7) with the same client', async () => {
    for (const flavor of ['3.13', '5.7'] as const) {
      const gw = await gateway({ flavor })
      const c = client(gw, { signer: createTestSigner() })
      const hello = await c.connect()
      expect(hello.protocol).toBe(3)
      expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
      await expect(c.request('cron.list', {})).resolves.toMatchObject({ jobs: [] })
    }
  })

  it('reconnects with the stored device token and no shared token', async () => {
    const gw = await gateway()
    const dir = tempDir()
    const store = createFileDeviceTokenStore(join(dir, 'profile', 'device-tokens.json'))
    const signer = createTestSigner()
    const first = client(gw, { signer, deviceTokenStore: store })
    await first.connect()
    await first.close()
    const stored = await store.get(tokenKey(gw, first))
    const second = client(gw, { signer, deviceTokenStore: store, token: undefined })
    await second.connect()
    expect(second.authMethod).toBe('device-token')
    const auth = connectParams(gw).auth as Record<string, string>
    expect(auth.deviceToken).toBe(stored?.token)
    expect(auth.token).toBe(stored?.token)
    await expect(second.request('cron.list', {})).resolves.toBeDefined()
  })

  it('connects even when the device token store fails, with a warning', async () => {
    const gw = await gateway()
    const broken = {
      get: () => Promise.reject(new Error('EACCES: store unreadable')),
      set: () => Promise.reject(new Error('ENOSPC: disk full')),
      delete: () => Promise.resolve(),
      list: () => Promise.resolve([]),
    }
    const progress: ClientProgressEvent[] = []
    const c = client(gw, {
      signer: createTestSigner(),
      deviceTokenStore: broken,
      onProgress: (e) => progress.push(e),
    })
    await c.connect()
    const warnings = progress.filter((e) => e.kind === 'warning' && e.code === 'DEVICE_TOKEN_STORE')
    expect(warnings.map((w) => (w as { message: string }).message).join(' ')).toContain('disk full')
  })

  it('clears a stale device token on AUTH_DEVICE_TOKEN_MISMATCH', async () => {
    const gw = await gateway()
    const store = createMemoryDeviceTokenStore()
    const signer = createTestSigner()
    await client(gw, { signer, deviceTokenStore: store }).connect()
    gw.revokeDeviceTokens()
    const progress: ClientProgressEvent[] = []
    const c = client(gw, {
      signer,
      deviceTokenStore: store,
      token: undefined,
      onProgress: (e) => progress.push(e),
    })
    const error = await rejectionOf(c.connect())
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH')
    expect(await store.get(tokenKey(gw, c))).toBeUndefined()
    expect(progress.some((e) => e.kind === 'device-token-cleared')).toBe(true)
  })

  it('falls back to the stored device token when the shared token is wrong (loopback)', async () => {
    const gw = await gateway()
    const store = createMemoryDeviceTokenStore()
    const signer = createTestSigner()
    await client(gw, { signer, deviceTokenStore: store }).connect()
    const c = client(gw, { signer, deviceTokenStore: store, token: 'rotated-away' })
    await c.connect()
    expect(c.authMethod).toBe('device-token')
  })

  it('reports a protocol mismatch with the client range', async () => {
    const gw = await gateway({ fault: { kind: 'protocol-mismatch' } })
    const error = await rejectionOf(client(gw, { signer: createTestSigner() }).connect())
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PROTOCOL_MISMATCH')
    expect(String(error.remedy)).not.toBe('')
  })

  it('reports pairing required with the requestId and the approve command', async () => {
    const gw = await gateway({ autoPair: false })
    const error = await rejectionOf(client(gw, { signer: createTestSigner() }).connect())
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('PAIRING_REQUIRED')
    const requestId = String(error.requestId)
    expect(requestId).toMatch(/[0-9a-f-]{36}/)
    expect(String(error.remedy)).toContain(`openclaw devices approve ${requestId}`)
  })

  it('reports a pending scope upgrade', async () => {
    const gw = await gateway({ fault: { kind: 'pairing-required', reason: 'scope-upgrade' } })
    const error = await rejectionOf(client(gw, { signer: createTestSigner() }).connect())
    expect(error.code).toBe('SCOPE_UPGRADE_PENDING')
    expect(String(error.remedy)).toContain(String(error.requestId))
  })

  it('reports a wrong shared token as AUTH_TOKEN_MISMATCH with the next step', async () => {
    for (const flavor of ['3.13', '9.6'] as const) {
      const gw = await gateway({ flavor })
      const error = await rejectionOf(client(gw, { token: 'wrong' }).connect())
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe('AUTH_TOKEN_MISMATCH')
      expect((error.details as Record<string, unknown>).recommendedNextStep).toBe('update_auth_credentials')
      expect(error.message).not.toContain('wrong')
    }
  })

  it('reports an expired signature with the measured clock skew', async () => {
    // The gateway clock runs 5 minutes ahead and the challenge has no ts: the client signs with its own clock.
    const gw = await gateway({ clockOffsetMs: 300_000, omitChallengeTs: true })
    const error = await rejectionOf(client(gw, { signer: createTestSigner() }).connect())
    expect(error.code).toBe('DEVICE_SIGNATURE_EXPIRED')
    expect(error.message).toContain('no ts')
    const gw2 = await gateway({ clockOffsetMs: 300_000, fault: { kind: 'signature-expired' } })
    const error2 = await rejectionOf(client(gw2, { signer: createTestSigner() }).connect())
    expect(error2.code).toBe('DEVICE_SIGNATURE_EXPIRED')
    expect(error2.message).toMatch(/gateway ahead of this machine by 5\.0 min/)
    expect(String(error2.remedy)).toContain('clock')
  })

  it('retries while the gateway is starting, then connects', async () => {
    const gw = await gateway({ fault: { kind: 'gateway-starting', retryAfterMs: 20, times: 3 } })
    const progress: ClientProgressEvent[] = []
    const c = client(gw, { signer: createTestSigner(), onProgress: (e) => progress.push(e) })
    await c.connect()
    expect(progress.filter((e) => e.kind === 'gateway-starting')).toHaveLength(3)
    expect(gw.requests('connect')).toHaveLength(4)
  })

  it('gives up on a gateway that keeps starting, within the budget', async () => {
    const gw = await gateway({ fault: { kind: 'gateway-starting', retryAfterMs: 20 } })
    const c = client(gw, { signer: createTestSigner(), startingRetry: { maxAttempts: 2 } })
    const error = await rejectionOf(c.connect())
    expect(error.code).toBe('GATEWAY_STARTING')
    expect(error.retryable).toBe(true)
    expect(gw.requests('connect')).toHaveLength(3)
  })

  it('explains a close before hello-ok (handshake timeout or rejection)', async () => {
    const gw = await gateway({ fault: { kind: 'close-before-hello' } })
    const error = await rejectionOf(client(gw, { signer: createTestSigner() }).connect())
    expect(error).toBeInstanceOf(ClientError)
    expect(error.code).toBe('CLOSED_BEFORE_HELLO')
    expect(error.closeCode).toBe(1000)
    expect(error.message).toContain('close 1000')
    expect(String(error.remedy)).toContain('handshake timeout')
  })

  it('uses the close code when the gateway closes without a response', async () => {
    const gw = await gateway({
      fault: {
        kind: 'connect-error',
        error: { code: 'INVALID_REQUEST', message: 'x' },
        sendResponse: false,
        closeCode: 1008,
        closeReason: 'slow consumer',
      },
    })
    const error = await rejectionOf(client(gw).connect())
    expect(error.code).toBe('CLOSED_BEFORE_HELLO')
    expect(error.closeCode).toBe(1008)
    expect(error.message).toContain('slow consumer')
  })

  it('does not hang when the gateway is silent after the challenge', async () => {
    const gw = await gateway({ fault: { kind: 'silence-after-challenge' } })
    const error = await rejectionOf(client(gw, { connectTimeoutMs: 150 }).connect())
    expect(error.code).toBe('REQUEST_TIMEOUT')
  })

  it('does not hang when no challenge comes', async () => {
    const gw = await gateway({ fault: { kind: 'no-challenge' } })
    const error = await rejectionOf(client(gw, { challengeTimeoutMs: 150 }).connect())
    expect(error.code).toBe('CHALLENGE_TIMEOUT')
    expect(gw.requests('connect')).toHaveLength(0)
  })

  it('fails fast with CONNECT_REFUSED and names the URL', async () => {
    const gw = await startFakeGateway()
    await gw.close()
    const c = client(gw)
    const error = await rejectionOf(c.connect())
    expect(error.code).toBe('CONNECT_REFUSED')
    expect(error.message).toContain(gw.url)
    expect(String(error.remedy)).toContain('openclaw gateway status')
  })

  it('stops waiting when the caller aborts', async () => {
    const gw = await gateway({ fault: { kind: 'silence-after-challenge' } })
    const controller = new AbortController()
    const pending = client(gw, { connectTimeoutMs: 10_000 }).connect({ signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    const error = await rejectionOf(pending)
    expect(error.code).toBe('ABORTED')
  })
})
