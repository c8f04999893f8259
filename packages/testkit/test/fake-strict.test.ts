import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '../src/fake-gateway.js'
import { connectFrame, device, type Frame, handshake } from './raw-handshake.js'

// The fake as strict as the real v3 gateways where clawlink's tests rely on it (issue 23; docs/protocol.md §1.2,
// §2.2, §3): each strictness has a test of its own, so loosening the fake fails here first.

const gateways: FakeGateway[] = []
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()))
})

async function fake(options: FakeGatewayOptions): Promise<FakeGateway> {
  const gw = await startFakeGateway(options)
  gateways.push(gw)
  return gw
}

const withToken = (gw: FakeGateway, extra: Frame = {}) =>
  connectFrame({ auth: { token: gw.token }, ...extra })

describe('v3 connect params are closed at every level', () => {
  const cases: Array<[string, (gw: FakeGateway) => Frame, string]> = [
    ['a top-level key', (gw) => withToken(gw, { traceId: 'x' }), 'at /: must NOT have additional properties'],
    [
      'a key in client',
      (gw) =>
        withToken(gw, { client: { id: 'cli', mode: 'cli', version: '1', platform: 'Linux', buildId: 'b' } }),
      'at /client: must NOT have additional properties',
    ],
    [
      'a key in auth',
      (gw) => connectFrame({ auth: { token: gw.token, agentRuntimeIdentityToken: 't' } }),
      'at /auth: must NOT have additional properties',
    ],
  ]
  for (const flavor of ['3.13', '5.7'] as const) {
    for (const [what, build, where] of cases) {
      it(`${flavor}: ${what} → INVALID_REQUEST "invalid connect params", close 1008`, async () => {
        const gw = await fake({ flavor })
        const { res, close } = await handshake(gw, () => build(gw))
        expect(res.error).toEqual({ code: 'INVALID_REQUEST', message: `invalid connect params: ${where}` })
        expect(close?.code).toBe(1008)
      })
    }
  }

  it('3.13: a key in device → refused', async () => {
    const gw = await fake({ flavor: '3.13' })
    const proof = device('v3')
    const { res } = await handshake(gw, (nonce, ts) =>
      withToken(gw, { device: { ...proof(nonce, ts, gw.token ?? ''), extra: 1 } }),
    )
    expect(res.error).toMatchObject({
      message: 'invalid connect params: at /device: must NOT have additional properties',
    })
  })

  it('9.6 (v4) takes the v4 additions: the same client and auth keys connect', async () => {
    const gw = await fake({ flavor: '9.6' })
    const { res } = await handshake(gw, () =>
      connectFrame({
        auth: { token: gw.token, agentRuntimeIdentityToken: 't' },
        client: { id: 'cli', mode: 'cli', version: '1', platform: 'Linux', buildId: 'b' },
      }),
    )
    expect(res.ok).toBe(true)
  })
})

/** Connects with the shared token, then sends `frame` and returns the gateway's answer to it. */
async function afterHello(gw: FakeGateway, frame: Frame): Promise<Frame> {
  const ws = new WebSocket(gw.url)
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Frame
      if (msg.event === 'connect.challenge') ws.send(JSON.stringify(withToken(gw)))
      else if (msg.type === 'res' && msg.id === '1') ws.send(JSON.stringify(frame))
      else if (msg.type === 'res') {
        ws.close()
        resolve(msg)
      }
    })
    ws.on('error', reject)
  })
}

describe('request frames: v3 closed, v4 with traceparent and expectedProfileId', () => {
  const frame = {
    type: 'req',
    id: '2',
    method: 'health',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  }
  for (const flavor of ['3.13', '5.7'] as const) {
    it(`${flavor}: an extra top-level key → "invalid request frame"`, async () => {
      const res = await afterHello(await fake({ flavor }), frame)
      expect(res).toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST', message: 'invalid request frame' },
      })
    })
  }
  it('9.6: traceparent is part of the frame; the request is answered', async () => {
    const res = await afterHello(await fake({ flavor: '9.6' }), frame)
    expect(res).toMatchObject({ id: '2', ok: true })
  })
  it('3.13: a connect frame with an extra key is refused before any auth, close 1008', async () => {
    const gw = await fake({ flavor: '3.13' })
    const { res, close } = await handshake(gw, () => ({ ...withToken(gw), traceparent: 'x' }))
    expect(res.error).toEqual({ code: 'INVALID_REQUEST', message: 'invalid request frame' })
    expect(close?.code).toBe(1008)
  })
})

describe("hello-ok's auth.scopes per release", () => {
  async function helloScopes(flavor: '3.13' | '5.7'): Promise<string[]> {
    const gw = await fake({ flavor })
    const proof = device('v3')
    const { res } = await handshake(gw, (nonce, ts) =>
      withToken(gw, { device: proof(nonce, ts, gw.token ?? '') }),
    )
    return (res.payload as { auth: { scopes: string[] } }).auth.scopes
  }
  it('5.7 normalises the device token scopes: admin implies read and write, sorted', async () => {
    expect(await helloScopes('5.7')).toEqual(['operator.admin', 'operator.read', 'operator.write'])
  })
  it('3.13 reports them as granted, sorted, without implied scopes', async () => {
    expect(await helloScopes('3.13')).toEqual(['operator.admin'])
  })
})
