import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach } from 'vitest'
import {
  createGatewayClient,
  type DeviceTokenKey,
  type GatewayClient,
  type GatewayClientOptions,
  gatewayKey,
} from '../src/index.js'

const gateways: FakeGateway[] = []
const clients: GatewayClient[] = []
const dirs: string[] = []

/** Registers the cleanup of everything the helpers below create (call once per test file). */
export function cleanupAfterEach(): void {
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await Promise.all(gateways.splice(0).map((g) => g.close()))
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
}

/** A fake gateway closed after the test. */
export async function gateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const gw = await startFakeGateway(options)
  gateways.push(gw)
  return gw
}

/** A client of `gw` with short deadlines, closed after the test. */
export function client(gw: FakeGateway, options: Partial<GatewayClientOptions> = {}): GatewayClient {
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

/** A temp dir removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-client-'))
  dirs.push(dir)
  return dir
}

/** The connect params the gateway received (the last connect by default). */
export function connectParams(gw: FakeGateway, index = -1): Record<string, unknown> {
  const frames = gw.requests('connect')
  const frame = frames.at(index)
  if (!frame) throw new Error('no connect frame recorded')
  return frame.params as Record<string, unknown>
}

/** The token-store key of client `c` at gateway `gw`. */
export function tokenKey(gw: FakeGateway, c: GatewayClient): DeviceTokenKey {
  if (!c.deviceId) throw new Error('client has no device')
  return { gateway: gatewayKey(gw.url), deviceId: c.deviceId, role: 'operator' }
}
