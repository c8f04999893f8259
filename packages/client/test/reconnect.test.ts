import type { FakeGateway, FakeGatewayOptions } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it } from 'vitest'
import type { ClientProgressEvent, GatewayClient } from '../src/index.js'
import { client, cleanupAfterEach, gateway } from './fixture.js'
import { createTestSigner, rejectionOf, until } from './helpers.js'

cleanupAfterEach()

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
