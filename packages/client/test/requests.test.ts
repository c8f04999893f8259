import { CLAWLINK_SCOPES, GatewayError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { type ClientProgressEvent, createGatewayClient, createMemoryDeviceTokenStore } from '../src/index.js'
import { client, cleanupAfterEach, connectParams, gateway, tokenKey } from './fixture.js'
import { createSelfSignedCert, createTestSigner, rejectionOf, until } from './helpers.js'

cleanupAfterEach()

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

  it('fails the request with RESPONSE_TOO_LARGE when an oversized frame makes the socket close (1009)', async () => {
    const gw = await gateway({
      fault: { kind: 'oversized-frame', method: 'health', bytes: 25 * 1024 * 1024 + 16 },
    })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    // A generous request timeout: on a loaded machine writing 25 MiB takes seconds, and a timeout is not the point.
    const error = await rejectionOf(c.request('health', undefined, { timeoutMs: 60_000 }))
    // Not a dropped connection: the frame was over the limit (25 MiB policy) and was refused unread.
    expect(error.code).toBe('RESPONSE_TOO_LARGE')
    expect(error.message).toContain('25 MiB')
    expect(error.closeCode).toBe(1009)
  }, 90_000)

  it('bounds a signer that never answers', async () => {
    const gw = await gateway()
    let asked = false
    const signer = {
      ...createTestSigner(),
      sign: () => {
        asked = true
        return new Promise<Uint8Array>(() => undefined)
      },
    }
    // Long enough that the socket and the challenge arrive even on a loaded machine: the signer is what hangs.
    const error = await rejectionOf(client(gw, { signer, connectTimeoutMs: 3000 }).connect())
    expect(asked).toBe(true)
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
    const stored = await store.get(tokenKey(gw, c))
    expect(text).toContain('connect')
    for (const secret of [gw.token ?? '', device.signature ?? '', device.nonce ?? '', stored?.token ?? '']) {
      expect(secret).not.toBe('')
      expect(text).not.toContain(secret)
    }
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
    expect(() => createGatewayClient({ url: 'wss://127.0.0.1:1', tlsFingerprints: ['ab:cd'] })).toThrowError(
      expect.objectContaining({ code: 'TLS_PIN_INVALID' }),
    )
    expect(() =>
      createGatewayClient({ url: 'ws://127.0.0.1:1', tlsFingerprints: ['ab'.repeat(32)] }),
    ).toThrowError(expect.objectContaining({ code: 'TLS_PIN_REQUIRES_WSS' }))
  })

  it('accepts a pinned self-signed certificate and refuses a wrong pin', async () => {
    const cert = createSelfSignedCert()
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
    // Unpinned: refused by Node's verification, reported as TLS_UNTRUSTED with the fingerprint to pin.
    const error2 = await rejectionOf(unpinned.connect())
    expect(error2.code).toBe('TLS_UNTRUSTED')
    const hex = (f: unknown) =>
      String(f)
        .replace(/[^0-9a-f]/gi, '')
        .toLowerCase()
    const seen = (error2.details as { fingerprint256?: string }).fingerprint256
    expect(hex(seen)).toBe(hex(cert.fingerprint))
    expect(error2.remedy).toContain(`--tls-fingerprint ${seen}`)
  })
})
