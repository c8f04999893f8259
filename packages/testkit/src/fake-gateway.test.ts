import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type FakeGateway, startFakeGateway } from './fake-gateway.js'
import { createEphemeralSigner, gatewayRpc, type HarnessRpcError } from './harness/rpc.js'
import { connectFrame, device, type Frame, handshake } from '../test/raw-handshake.js'

const gateways: FakeGateway[] = []
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()))
})

describe('fake gateway', () => {
  it('accepts v3 and v2 signatures and issues a 43-char device token', async () => {
    for (const version of ['v3', 'v2'] as const) {
      const gw = await startFakeGateway()
      gateways.push(gw)
      const proof = device(version)
      const { res } = await handshake(gw, (nonce, ts) =>
        connectFrame({ auth: { token: gw.token }, device: proof(nonce, ts, gw.token ?? '') }),
      )
      const payload = res.payload as { protocol: number; auth: { deviceToken: string; method: string } }
      expect(payload.protocol).toBe(4)
      expect(payload.auth.deviceToken).toHaveLength(43)
      expect(payload.auth.method).toBe('token')
    }
  })

  it('rejects a tampered signature with 1008 like the real server', async () => {
    const gw = await startFakeGateway({ flavor: '5.7' })
    gateways.push(gw)
    const proof = device('v3', true)
    const { res, close } = await handshake(gw, (nonce, ts) =>
      connectFrame({ auth: { token: gw.token }, device: proof(nonce, ts, gw.token ?? '') }),
    )
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'device signature invalid' })
    expect(close).toEqual({ code: 1008, reason: 'device signature invalid' })
  })

  it('refuses a proof signed for another nonce, as the real server does (1008, DEVICE_AUTH_NONCE_MISMATCH)', async () => {
    const gw = await startFakeGateway({ flavor: '9.6' })
    gateways.push(gw)
    const proof = device('v3')
    const { res, close } = await handshake(gw, (_nonce, ts) =>
      connectFrame({ auth: { token: gw.token }, device: proof('another-nonce', ts, gw.token ?? '') }),
    )
    expect(res.error).toMatchObject({ message: 'device nonce mismatch' })
    expect((res.error as Frame).details).toMatchObject({ code: 'DEVICE_AUTH_NONCE_MISMATCH' })
    expect(close?.code).toBe(1008)
  })

  it('refuses a device id that is not sha256 of its public key (DEVICE_AUTH_DEVICE_ID_MISMATCH)', async () => {
    const gw = await startFakeGateway({ flavor: '5.7' })
    gateways.push(gw)
    const proof = device('v3')
    const { res, close } = await handshake(gw, (nonce, ts) => {
      const d = proof(nonce, ts, gw.token ?? '')
      return connectFrame({ auth: { token: gw.token }, device: { ...d, id: 'f'.repeat(64) } })
    })
    expect(res.error).toMatchObject({ message: 'device identity mismatch' })
    expect((res.error as Frame).details).toMatchObject({ code: 'DEVICE_AUTH_DEVICE_ID_MISMATCH' })
    expect(close?.code).toBe(1008)
  })

  it.each([
    ['3.13', 'closes', 1000],
    ['9.6', 'answers', undefined],
  ] as const)(
    '%s: a connect sent 4 s after the challenge — the fake %s like the real one (3 s vs 15 s deadline)',
    async (flavor, _, closeCode) => {
      const gw = await startFakeGateway({ flavor })
      gateways.push(gw)
      const ws = new WebSocket(gw.url)
      const outcome = await new Promise<{ code?: number; ok?: boolean }>((resolve) => {
        ws.on('message', (data) => {
          const frame = JSON.parse(data.toString()) as Frame
          if (frame.event === 'connect.challenge')
            setTimeout(
              () =>
                ws.readyState === WebSocket.OPEN &&
                ws.send(JSON.stringify(connectFrame({ auth: { token: gw.token } }))),
              4000,
            )
          else if (frame.type === 'res') {
            ws.close()
            resolve({ ok: frame.ok === true })
          }
        })
        ws.on('close', (code) => resolve({ code }))
      })
      if (closeCode === undefined) expect(outcome.ok).toBe(true)
      else expect(outcome.code).toBe(closeCode)
    },
    15_000,
  )

  it('answers a v3-only range on a v4 gateway with PROTOCOL_MISMATCH and 1002', async () => {
    const gw = await startFakeGateway({ flavor: '9.6' })
    gateways.push(gw)
    const { res, close } = await handshake(gw, () =>
      connectFrame({ minProtocol: 3, maxProtocol: 3, auth: { token: gw.token } }),
    )
    expect((res.error as Frame).details).toMatchObject({ code: 'PROTOCOL_MISMATCH', expectedProtocol: 4 })
    expect(close?.code).toBe(1002)
  })

  it('records frames in both directions', async () => {
    const gw = await startFakeGateway({ flavor: '3.13' })
    gateways.push(gw)
    await handshake(gw, () => connectFrame({ auth: { token: gw.token } }))
    expect(gw.requests('connect')).toHaveLength(1)
    expect(gw.frames.some((f) => f.direction === 'out' && f.frame?.event === 'connect.challenge')).toBe(true)
  })
})

describe('pending pairing requests (REMOTE-FACTS.md)', () => {
  async function refusedId(gw: FakeGateway, seed: Buffer): Promise<string> {
    const error = await gatewayRpc(
      { url: gw.url, token: String(gw.token), signer: createEphemeralSigner(seed) },
      [],
    ).then(
      () => undefined,
      (e: unknown) => e as HarnessRpcError,
    )
    expect(error?.wire?.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'not-paired' })
    return String(error?.wire?.details?.requestId)
  }

  it('a repeat keeps the requestId; a rejection or an expiry makes the next connect open a new one', async () => {
    const gw = await startFakeGateway({ flavor: '5.7', autoPair: false, pairingTtlMs: 300 })
    gateways.push(gw)
    const seed = randomBytes(32)
    const first = await refusedId(gw, seed)
    expect(await refusedId(gw, seed)).toBe(first)
    gw.reject(first)
    const second = await refusedId(gw, seed)
    expect(second).not.toBe(first)
    await new Promise((r) => setTimeout(r, 350))
    expect(gw.pendingRequests()).toEqual([])
    const third = await refusedId(gw, seed)
    expect(third).not.toBe(second)
    gw.approve(third)
    const { hello } = await gatewayRpc(
      { url: gw.url, token: String(gw.token), signer: createEphemeralSigner(seed) },
      [],
    )
    expect((hello.auth as { scopes: string[] }).scopes).toEqual([
      'operator.admin',
      'operator.read',
      'operator.write',
    ])
  })

  it('9.6: requestUpgrade supersedes the pending upgrade; waitUpgrade answers the approval with a new token', async () => {
    const gw = await startFakeGateway({ flavor: '9.6', autoApproveScopeUpgrade: false })
    gateways.push(gw)
    const signer = createEphemeralSigner(randomBytes(32))
    await gatewayRpc({ url: gw.url, token: String(gw.token), signer, scopes: ['operator.read'] }, [])
    const refused = await gatewayRpc({ url: gw.url, token: String(gw.token), signer }, []).catch(
      (e: unknown) => e,
    )
    expect((refused as HarnessRpcError).wire?.details).toMatchObject({
      reason: 'scope-upgrade',
      approvedScopes: ['operator.read'],
    })
    const waiting = gatewayRpc({ url: gw.url, token: String(gw.token), signer, scopes: ['operator.read'] }, [
      { method: 'device.scopes.requestUpgrade', params: { scopes: ['operator.admin', 'operator.read'] } },
    ])
    const { results } = await waiting
    const requestId = (results[0] as { requestId: string }).requestId
    expect(gw.pendingRequests().map((p) => [p.requestId, p.isRepair])).toEqual([[requestId, true]])
    const verdict = gatewayRpc({ url: gw.url, token: String(gw.token), signer, scopes: ['operator.read'] }, [
      { method: 'device.scopes.waitUpgrade', params: { requestId } },
    ])
    // Approve once the wait is on the gateway (a fixed sleep raced it on a loaded machine).
    while (gw.requests('device.scopes.waitUpgrade').length === 0) await new Promise((r) => setTimeout(r, 20))
    gw.approve(requestId)
    const answer = (await verdict).results[0] as { status: string; deviceToken: string; scopes: string[] }
    expect(answer.status).toBe('approved')
    expect(answer.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(answer.scopes).toEqual(['operator.admin', 'operator.read'])
  })
})

describe('events about runs go only to connections that can read', () => {
  it.each(['3.13', '5.7', '9.6'] as const)(
    '%s: a socket without scopes gets no cron event; a paired operator does',
    async (flavor) => {
      const gw = await startFakeGateway({ flavor, jobs: [{ name: 'nightly' }] })
      gateways.push(gw)
      const seen = { unscoped: [] as unknown[], paired: [] as unknown[] }
      let finished!: () => void
      const done = new Promise<void>((resolve) => {
        finished = resolve
      })
      const onEvent = (into: unknown[]) => (event: string, payload: unknown) => {
        if (event !== 'cron') return
        into.push(payload)
        if ((payload as { action?: string }).action === 'finished') finished()
      }
      // Connected first and held open until the paired socket saw the run finish.
      const unscoped = gatewayRpc(
        {
          url: gw.url,
          token: String(gw.token),
          scopes: [],
          onEvent: onEvent(seen.unscoped),
          holdUntil: () => done,
        },
        [],
      )
      await gatewayRpc(
        {
          url: gw.url,
          token: String(gw.token),
          signer: createEphemeralSigner(),
          onEvent: onEvent(seen.paired),
          holdUntil: () => done,
        },
        [
          { method: 'cron.list', params: {} },
          {
            method: 'cron.run',
            params: (r: unknown[]) => ({
              id: (r[0] as { jobs: Array<{ id: string }> }).jobs[0]!.id,
              mode: 'force',
            }),
          },
        ],
      )
      await unscoped
      expect(seen.paired.map((p) => (p as { action: string }).action)).toEqual(['started', 'finished'])
      expect(seen.unscoped).toEqual([])
    },
  )
})

describe('the 9.x cron write limit (30 per 60 s per method per actor)', () => {
  it.each([
    ['9.6', 'UNAVAILABLE'],
    ['3.13', undefined],
  ] as const)('%s: the 31st cron.run of one device within a minute → %s', async (flavor, refusal) => {
    const gw = await startFakeGateway({ flavor, jobs: [{ name: 'nightly', runDurationMs: 1 }] })
    gateways.push(gw)
    const signer = createEphemeralSigner()
    const list = await gatewayRpc({ url: gw.url, token: String(gw.token), signer }, [
      { method: 'cron.list', params: {} },
    ])
    const id = (list.results[0] as { jobs: Array<{ id: string }> }).jobs[0]!.id
    const calls = Array.from({ length: 31 }, () => ({ method: 'cron.run', params: { id, mode: 'force' } }))
    const outcome = await gatewayRpc({ url: gw.url, token: String(gw.token), signer }, calls).then(
      () => undefined,
      (e: HarnessRpcError) => e,
    )
    const runs = gw.requests('cron.run').length
    if (refusal === undefined) {
      expect(outcome).toBeUndefined()
      expect(runs).toBe(31)
    } else {
      expect(outcome?.wire).toMatchObject({
        code: refusal,
        retryable: true,
        details: { method: 'cron.run', limit: '30 per 60s' },
      })
      expect(runs).toBe(31)
    }
  })
})
