/**
 * A proxy that sends the reconnect to a different gateway (issue 22, "Bad input and faults"): the credentials a
 * client holds for gateway A are never offered to B. A real gateway A behind the test kit's TCP proxy; the proxy is
 * retargeted to B and the live connection cut. B is a real gateway of another version, a real gateway of the same
 * version (both refuse A's shared token), or the fake gateway that accepts A's shared token and names another
 * state directory in hello-ok (a real pair sharing a token is what that stands for). Asserted on what B received:
 * the proxy's capture of every frame the client sent, and the fake's own record.
 */
import {
  createEphemeralSigner,
  type RunningGateway,
  readRunningGateways,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { startFakeGateway } from '@clawlink/testkit'
import { startProxy, type TcpProxy } from '@clawlink/testkit/proxy'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createGatewayClient,
  createMemoryDeviceTokenStore,
  type DeviceTokenStore,
  type GatewayClient,
} from '../src/index.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { versions: ['2026.9.6', '2026.3.13'] })
const a = gateways.find((g) => g.version === '2026.9.6')
const cleanup: Array<() => Promise<unknown>> = []

afterAll(async () => {
  await Promise.allSettled(cleanup.map((fn) => fn()))
})

/** Another running gateway than A, of `version` (any pool: B only sees a refused or a single connect). */
function otherGateway(version: string): RunningGateway {
  const b = readRunningGateways().find((g) => g.version === version && !g.clockOffset && g.port !== a?.port)
  if (!b)
    throw new Error(
      `needs a second gateway ${version} besides ${a?.url} (scripts/with-gateways.sh starts one)`,
    )
  return b
}

type Setup = { proxy: TcpProxy; client: GatewayClient; store: DeviceTokenStore; deviceToken: string }

/** A client on A through a fresh proxy, connected once, holding the device token A issued. */
async function connectedToA(gw: RunningGateway): Promise<Setup> {
  const proxy = await startProxy({ port: gw.port })
  cleanup.push(() => proxy.close())
  const store = createMemoryDeviceTokenStore()
  const client = createGatewayClient({
    url: proxy.url,
    token: gw.token,
    signer: createEphemeralSigner(),
    deviceTokenStore: store,
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
    connectTimeoutMs: 30_000,
  })
  cleanup.push(() => client.close())
  await client.request('cron.status', {})
  const binding = client.deviceTokenBinding
  const stored = binding ? await binding.store.get(binding.key) : undefined
  if (!stored) throw new Error(`${gw.version} issued no device token to a paired loopback client`)
  return { proxy, client, store, deviceToken: stored.token }
}

/** Retargets the proxy to `port` and cuts the live connection; resolves once the client gave up on B or took it. */
async function switchTo(s: Setup, port: number): Promise<void> {
  const settled = new Promise<void>((resolve) => {
    const off = s.client.onConnectionChange((c) => {
      if (c.kind === 'connected') resolve(off())
    })
    const check = (): void => (s.client.state === 'paused' ? resolve(off()) : void setTimeout(check, 50))
    check()
  })
  s.proxy.retarget({ port })
  s.proxy.cut()
  await settled
}

/** The connect frames the client sent after the switch (link 1 was A). */
const connectsToB = (proxy: TcpProxy): string[] =>
  proxy.clientFrames.filter((f) => f.link > 1 && f.text.includes('"method":"connect"')).map((f) => f.text)

describe.skipIf(skipReason !== undefined || !a)(
  `a reconnect that lands on another gateway ${skipReason ?? ''}`,
  () => {
    for (const version of ['2026.3.13', '2026.9.6']) {
      it(`real ${version} behind A's URL: it refuses A's shared token and never sees A's device token`, async () => {
        const gwA = a as RunningGateway
        const b = otherGateway(version)
        const s = await connectedToA(gwA)
        await switchTo(s, b.port)
        await expect(s.client.request('cron.status', {})).rejects.toMatchObject({
          code: 'AUTH_TOKEN_MISMATCH',
        })
        const frames = connectsToB(s.proxy)
        console.log(`A ${gwA.version} → B ${b.version}: ${frames.length} connects reached B`)
        expect(frames.length).toBeGreaterThan(0)
        for (const text of frames) {
          expect(text).not.toContain(s.deviceToken)
          expect(text).not.toContain('"deviceToken"')
        }
        // A's token is still the one kept for A.
        const binding = s.client.deviceTokenBinding
        expect((await s.store.get(binding?.key as never))?.token).toBe(s.deviceToken)
      }, 90_000)
    }

    it('a gateway that accepts A’s shared token but is another one: refused after hello, nothing of it kept', async () => {
      const gwA = a as RunningGateway
      const hooks = {
        rewriteOut(frame: Record<string, unknown>): Record<string, unknown> {
          const payload = frame.payload as Record<string, unknown> | undefined
          if (payload?.type !== 'hello-ok') return frame
          const snapshot = {
            ...(payload.snapshot as object),
            stateDir: '/srv/other',
            configPath: '/srv/other/o.json',
          }
          return { ...frame, payload: { ...payload, snapshot } }
        },
      }
      const b = await startFakeGateway({ flavor: '9.6', token: gwA.token, hooks })
      cleanup.push(() => b.close())
      const s = await connectedToA(gwA)
      await switchTo(s, b.port)
      await expect(s.client.request('cron.status', {})).rejects.toMatchObject({ code: 'GATEWAY_CHANGED' })
      // B authenticated the client (the shared token is all ws:// lets it send), but got no request and no device token.
      expect(b.requests('connect').length).toBeGreaterThan(0)
      expect(b.requests('cron.status')).toEqual([])
      for (const f of b.requests('connect')) expect(JSON.stringify(f)).not.toContain(s.deviceToken)
      const binding = s.client.deviceTokenBinding
      expect((await s.store.get(binding?.key as never))?.token).toBe(s.deviceToken)
    }, 90_000)
  },
)
