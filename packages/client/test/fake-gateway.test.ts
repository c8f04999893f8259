import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLAWLINK_SCOPES, GatewayError } from '@clawlink/protocol'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  type ClientProgressEvent,
  createFileDeviceTokenStore,
  createGatewayClient,
  createMemoryDeviceTokenStore,
  type GatewayClient,
  type GatewayClientOptions,
  waitForCronRun,
} from '../src/index.js'
import { createSelfSignedCert, createTestSigner, rejectionOf, until } from './helpers.js'

const gateways: FakeGateway[] = []
const clients: GatewayClient[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(gateways.splice(0).map((g) => g.close()))
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function gateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const gw = await startFakeGateway(options)
  gateways.push(gw)
  return gw
}

function client(gw: FakeGateway, options: Partial<GatewayClientOptions> = {}): GatewayClient {
  const c = createGatewayClient({
    url: gw.url,
    token: gw.token,
    connectTimeoutMs: 2000,
    challengeTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    ...options,
  })
  clients.push(c)
  return c
}

function connectParams(gw: FakeGateway, index = -1): Record<string, unknown> {
  const frames = gw.requests('connect')
  const frame = frames.at(index)
  if (!frame) throw new Error('no connect frame recorded')
  return frame.params as Record<string, unknown>
}

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
    // PROTOCOL.md §4.1: signedAt is the challenge ts.
    expect(device.signedAt).toBe((challenge?.frame?.payload as { ts?: number } | undefined)?.ts)
    expect(device.id).toBe(c.deviceId)
    const stored = await store.get(c.deviceId ?? '', 'operator')
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
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-client-'))
    dirs.push(dir)
    const store = createFileDeviceTokenStore(join(dir, 'profile', 'device-tokens.json'))
    const signer = createTestSigner()
    const first = client(gw, { signer, deviceTokenStore: store })
    await first.connect()
    await first.close()
    const stored = await store.get(first.deviceId ?? '', 'operator')
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
    expect(await store.get(c.deviceId ?? '', 'operator')).toBeUndefined()
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

describe('token-only connections', () => {
  it('explains the cleared scopes on 3.13 (no auth in hello-ok) and lets health through', async () => {
    const gw = await gateway({ flavor: '3.13' })
    const progress: ClientProgressEvent[] = []
    const c = client(gw, { onProgress: (e) => progress.push(e) })
    const hello = await c.connect()
    expect(hello.auth).toBeUndefined()
    expect(progress.some((e) => e.kind === 'warning' && e.code === 'NO_SCOPES_TOKEN_ONLY')).toBe(true)
    await expect(c.request('health')).resolves.toMatchObject({ ok: true })
    const error = await rejectionOf(c.request('cron.list', {}))
    expect(error.code).toBe('NO_SCOPES_TOKEN_ONLY')
    expect(error.missingScope).toBe('operator.read')
    expect(String(error.remedy)).toContain('clawlink device init')
    expect(gw.requests('cron.list')).toHaveLength(0)
  })

  it('explains the cleared scopes on 9.6 for a non-cli client id', async () => {
    const gw = await gateway({ flavor: '9.6' })
    const c = client(gw, { client: { id: 'test', mode: 'test' } })
    await c.connect()
    expect(c.scopes).toEqual([])
    const error = await rejectionOf(c.request('cron.run', { id: 'x' }))
    expect(error.code).toBe('NO_SCOPES_TOKEN_ONLY')
    expect(error.missingScope).toBe('operator.admin')
  })

  it('keeps the scopes of a cli/cli token-only client on 9.6 loopback', async () => {
    const gw = await gateway({ flavor: '9.6', jobs: [{ name: 'a' }] })
    const c = client(gw)
    await c.connect()
    expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
    await expect(c.request('cron.list', {})).resolves.toMatchObject({ total: 1 })
  })
})

describe('requests', () => {
  it('reports a missing scope the same way on v3 and v4', async () => {
    for (const flavor of ['3.13', '9.6'] as const) {
      const gw = await gateway({ flavor })
      const c = client(gw, { signer: createTestSigner(), scopes: ['operator.read'], scopePreflight: false })
      await c.connect()
      const error = await rejectionOf(c.request('cron.run', { id: 'x' }))
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe('MISSING_SCOPE')
      expect(error.missingScope).toBe('operator.admin')
    }
  })

  it('catches a missing scope before sending (pre-flight)', async () => {
    const gw = await gateway()
    const c = client(gw, { signer: createTestSigner(), scopes: ['operator.read'] })
    await c.connect()
    const error = await rejectionOf(c.request('cron.run', { id: 'x' }))
    expect(error.code).toBe('SCOPE_PREFLIGHT')
    expect(error.missingScope).toBe('operator.admin')
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('reports an unknown job as JOB_NOT_FOUND on v3 and v4', async () => {
    for (const flavor of ['5.7', '9.6'] as const) {
      const gw = await gateway({ flavor })
      const c = client(gw, { signer: createTestSigner() })
      const error = await rejectionOf(c.request('cron.run', { id: 'does-not-exist', mode: 'force' }))
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe('JOB_NOT_FOUND')
      expect(error.jobId).toBe('does-not-exist')
    }
  })

  it('reports rate limiting with retryAfterMs', async () => {
    const gw = await gateway({ fault: { kind: 'rate-limited', method: 'cron.run', retryAfterMs: 4000 } })
    const job = gw.addJob({ name: 'j' })
    const c = client(gw, { signer: createTestSigner() })
    const error = await rejectionOf(c.request('cron.run', { id: job.id }))
    expect(error.code).toBe('RATE_LIMITED')
    expect(error.retryAfterMs).toBe(4000)
    expect(error.retryable).toBe(true)
  })

  it('skips malformed JSON, unknown frame types and interim responses', async () => {
    const gw = await gateway()
    const lines: string[] = []
    const c = client(gw, { signer: createTestSigner(), debugLog: (l) => lines.push(l) })
    await c.connect()
    for (const kind of ['malformed-json', 'unknown-frame', 'interim-accepted'] as const) {
      gw.setFault({ kind, times: 1 })
      await expect(c.request('health')).resolves.toMatchObject({ ok: true })
    }
    expect(c.state).toBe('open')
    expect(lines.some((l) => l.includes('ignored frame'))).toBe(true)
  })

  it('refuses a request above policy.maxPayload locally', async () => {
    const gw = await gateway({ maxPayload: 2000 })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const error = await rejectionOf(c.request('echo', { blob: 'x'.repeat(5000) }))
    expect(error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(gw.requests('echo')).toHaveLength(0)
  })

  it('times out a request the gateway never answers', async () => {
    const gw = await gateway({ fault: { kind: 'no-response', method: 'health' } })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 100 }))
    expect(error.code).toBe('REQUEST_TIMEOUT')
  })

  it('fails in-flight requests with a retryable CONNECTION_CLOSED when the socket drops', async () => {
    const gw = await gateway({ fault: { kind: 'close-mid-request', method: 'cron.list', code: 1011 } })
    const c = client(gw, { signer: createTestSigner() })
    const error = await rejectionOf(c.request('cron.list', {}))
    expect(error.code).toBe('CONNECTION_CLOSED')
    expect(error.retryable).toBe(true)
    expect(error.closeCode).toBe(1011)
  })

  it('fails the request when an oversized frame makes the socket close (1009)', async () => {
    const gw = await gateway({
      fault: { kind: 'oversized-frame', method: 'health', bytes: 64 * 1024 * 1024 + 16 },
    })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 10_000 }))
    expect(error.code).toBe('CONNECTION_CLOSED')
    expect(error.retryable).toBe(true)
  }, 20_000)

  it('bounds a signer that never answers', async () => {
    const gw = await gateway()
    const signer = { ...createTestSigner(), sign: () => new Promise<Uint8Array>(() => undefined) }
    const error = await rejectionOf(client(gw, { signer, connectTimeoutMs: 100 }).connect())
    expect(error.code).toBe('REQUEST_TIMEOUT')
    expect(error.message).toContain('signer')
  })

  it('turns shutdown + 1012 into SHUTDOWN and delivers the shutdown event', async () => {
    const gw = await gateway({ fault: { kind: 'no-response', method: 'health' } })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const events: string[] = []
    c.on('shutdown', (frame) => events.push(frame.event))
    const pending = c.request('health', undefined, { timeoutMs: 5000 })
    await new Promise((r) => setTimeout(r, 20))
    gw.shutdown()
    const error = await rejectionOf(pending)
    expect(error.code).toBe('SHUTDOWN')
    expect(events).toEqual(['shutdown'])
  })

  it('detects a dead gateway with the tick watchdog (close 4000)', async () => {
    const gw = await gateway({ tickIntervalMs: 60, sendTicks: false, fault: { kind: 'no-response' } })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 5000 }))
    expect(error.code).toBe('TICK_TIMEOUT')
    expect(error.closeCode).toBe(4000)
  })

  it('keeps a connection with regular ticks alive', async () => {
    const gw = await gateway({ tickIntervalMs: 100 })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const ticks: number[] = []
    c.on('tick', (f) => ticks.push(f.seq ?? 0))
    await until(() => ticks.length >= 3)
    expect(c.state).toBe('open')
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b))
  })

  it('redacts secrets in the debug log', async () => {
    const gw = await gateway()
    const lines: string[] = []
    const store = createMemoryDeviceTokenStore()
    const c = client(gw, {
      signer: createTestSigner(),
      deviceTokenStore: store,
      debugLog: (l) => lines.push(l),
    })
    await c.connect()
    const text = lines.join('\n')
    const device = connectParams(gw).device as Record<string, string>
    const stored = await store.get(c.deviceId ?? '', 'operator')
    expect(text).toContain('connect')
    for (const secret of [gw.token ?? '', device.signature ?? '', device.nonce ?? '', stored?.token ?? '']) {
      expect(secret).not.toBe('')
      expect(text).not.toContain(secret)
    }
  })
})

describe('cron runs', () => {
  it('follows a run to finished by runId (5.7+) and by job + time (3.13)', async () => {
    for (const flavor of ['3.13', '5.7', '9.6'] as const) {
      const gw = await gateway({ flavor })
      const job = gw.addJob({ name: 'conf-job', runDurationMs: 30 })
      const c = client(gw, { signer: createTestSigner() })
      const result = (await c.request('cron.run', { id: job.id, mode: 'force' })) as { runId: string }
      expect(result.runId).toMatch(/^manual:/)
      const finished = await c.waitForCronFinished(
        { jobId: job.id, runId: result.runId },
        { timeoutMs: 2000 },
      )
      expect(finished.status).toBe('ok')
      expect(finished.jobId).toBe(job.id)
      if (flavor === '3.13') expect(finished.runId).toBeUndefined()
      else expect(finished.runId).toBe(result.runId)
    }
  })

  it('finds a finished run already received before waiting', async () => {
    const gw = await gateway({ flavor: '3.13' })
    const job = gw.addJob({ name: 'fast', runDurationMs: 1 })
    const c = client(gw, { signer: createTestSigner() })
    await c.request('cron.run', { id: job.id })
    await new Promise((r) => setTimeout(r, 50))
    await expect(c.waitForCronFinished({ jobId: job.id }, { timeoutMs: 100 })).resolves.toMatchObject({
      action: 'finished',
    })
  })

  it('falls back to polling cron.runs when the event was missed', async () => {
    const gw = await gateway({ flavor: '9.6' })
    const job = gw.addJob({ name: 'missed', runDurationMs: 1 })
    const first = client(gw, { signer: createTestSigner() })
    const result = (await first.request('cron.run', { id: job.id })) as { runId: string }
    await first.close()
    await new Promise((r) => setTimeout(r, 50))
    const second = client(gw, { signer: createTestSigner() })
    await second.connect()
    const outcome = await waitForCronRun(
      second,
      { jobId: job.id, runId: result.runId },
      { timeoutMs: 2000, pollIntervalMs: 20 },
    )
    expect(outcome.source).toBe('poll')
    expect(outcome.status).toBe('ok')
  })

  it('times out waiting for a run that never finishes', async () => {
    const gw = await gateway()
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const error = await rejectionOf(c.waitForCronFinished({ jobId: 'nope' }, { timeoutMs: 50 }))
    expect(error.code).toBe('REQUEST_TIMEOUT')
  })
})

describe('reconnect', () => {
  it('reconnects after a drop; requests made meanwhile wait for the next hello', async () => {
    const gw = await gateway()
    const progress: ClientProgressEvent[] = []
    const c = client(gw, {
      signer: createTestSigner(),
      reconnect: { initialDelayMs: 30, maxDelayMs: 100 },
      onProgress: (e) => progress.push(e),
    })
    await c.connect()
    gw.dropConnections(1001, 'going away')
    await until(() => c.state !== 'open')
    expect(c.state).toBe('reconnecting')
    await expect(c.request('health')).resolves.toMatchObject({ ok: true })
    expect(c.state).toBe('open')
    expect(progress.some((e) => e.kind === 'reconnected')).toBe(true)
  })

  /** A connected reconnecting client whose gateway drops it and then answers with `fault`. */
  async function droppedClient(
    fault: FakeGatewayOptions['fault'],
  ): Promise<{ gw: FakeGateway; c: GatewayClient }> {
    const gw = await gateway()
    const c = client(gw, { signer: createTestSigner(), reconnect: { initialDelayMs: 10, maxDelayMs: 20 } })
    await c.connect()
    gw.setFault(fault)
    gw.dropConnections()
    await until(() => c.state !== 'open')
    return { gw, c }
  }

  it('pauses on a terminal error (pairing) instead of looping', async () => {
    const { gw, c } = await droppedClient({ kind: 'pairing-required' })
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 1000 }))
    expect(error.code).toBe('PAIRING_REQUIRED')
    expect(c.state).toBe('paused')
    const connects = gw.requests('connect').length
    await new Promise((r) => setTimeout(r, 80))
    expect(gw.requests('connect').length).toBe(connects)
  })

  it('fails a request that cannot reconnect in time with REQUEST_TIMEOUT', async () => {
    const { c } = await droppedClient({ kind: 'no-challenge' })
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 100 }))
    expect(error.code).toBe('REQUEST_TIMEOUT')
  })
})

describe('URLs and TLS', () => {
  it('refuses plaintext ws:// to a public host unless allowed', () => {
    expect(() => createGatewayClient({ url: 'ws://gateway.example.com:18789' })).toThrowError(
      expect.objectContaining({ code: 'INSECURE_URL' }),
    )
    expect(() =>
      createGatewayClient({ url: 'ws://gateway.example.com:18789', allowInsecurePlaintext: true }),
    ).not.toThrow()
    expect(() => createGatewayClient({ url: 'ws://100.101.1.2:18789' })).not.toThrow()
    expect(() => createGatewayClient({ url: 'ws://box.tail1234.ts.net' })).not.toThrow()
  })

  it('requires wss:// for a fingerprint pin', () => {
    expect(() => createGatewayClient({ url: 'ws://127.0.0.1:1', tlsFingerprints: ['ab:cd'] })).toThrowError(
      expect.objectContaining({ code: 'TLS_PIN_REQUIRES_WSS' }),
    )
  })

  const cert = createSelfSignedCert()
  it.skipIf(!cert)('accepts a pinned self-signed certificate and refuses a wrong pin', async () => {
    if (!cert) return
    const gw = await gateway({ tls: { key: cert.key, cert: cert.cert } })
    expect(gw.url.startsWith('wss://')).toBe(true)
    const good = client(gw, {
      signer: createTestSigner(),
      tlsFingerprints: ['0'.repeat(64), `SHA256:${cert.fingerprint}`],
    })
    await expect(good.connect()).resolves.toMatchObject({ protocol: 4 })
    const bad = client(gw, { signer: createTestSigner(), tlsFingerprints: ['ab'.repeat(32)] })
    const error = await rejectionOf(bad.connect())
    expect(error.code).toBe('TLS_PIN_MISMATCH')
    const unpinned = client(gw, { signer: createTestSigner() })
    const error2 = await rejectionOf(unpinned.connect())
    expect(error2.code).toBe('UNREACHABLE')
  })
})
