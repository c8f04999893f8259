import { join } from 'node:path'
import { CLAWLINK_SCOPES } from '@clawlink/protocol'
import type { FakeGateway } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it } from 'vitest'
import {
  type ApprovalProgress,
  type ClientProgressEvent,
  createFilePairingLog,
  createMemoryDeviceTokenStore,
  strayNote,
} from '../src/index.js'
import { cleanupAfterEach, client, gateway, tempDir, tokenKey } from './fixture.js'
import { createTestSigner, rejectionOf, until } from './helpers.js'

cleanupAfterEach()

const FAST = { initialDelayMs: 20, maxDelayMs: 80 }

function approvalEvents(events: ClientProgressEvent[]): ApprovalProgress[] {
  return events.filter((e): e is ApprovalProgress => e.kind.startsWith('approval-'))
}

/** A client that waits for approval, recording its progress. */
function waiting(gw: FakeGateway, extra: Parameters<typeof client>[1] = {}) {
  const events: ClientProgressEvent[] = []
  const c = client(gw, {
    signer: createTestSigner(),
    deviceTokenStore: createMemoryDeviceTokenStore(),
    waitApproval: FAST,
    connectTimeoutMs: 10_000,
    challengeTimeoutMs: 10_000,
    onProgress: (e) => events.push(e),
    ...extra,
  })
  return { c, events }
}

async function pendingId(gw: FakeGateway): Promise<string> {
  await until(() => gw.pendingRequests().length > 0, 10_000)
  return gw.pendingRequests()[0]!.requestId
}

function pendingEvents(events: ClientProgressEvent[]) {
  return approvalEvents(events).filter((e) => e.kind === 'approval-pending')
}

// Generous bounds: these run beside real gateways on a loaded 2-core machine in CI.
describe('waiting for pairing approval (reconnect-poll)', { timeout: 30_000 }, () => {
  for (const flavor of ['9.6', '5.7'] as const) {
    it(`${flavor}: reports the requestId once, keeps polling, and connects right after the approval`, async () => {
      const gw = await gateway({ flavor, autoPair: false })
      const { c, events } = waiting(gw)
      const connecting = c.connect()
      const id = await pendingId(gw)
      await until(() => approvalEvents(events).filter((e) => e.kind === 'approval-retry').length >= 3, 10_000)
      gw.approve(id)
      const approvedAt = Date.now()
      const hello = await connecting
      expect(Date.now() - approvedAt).toBeLessThan(3000) // the backoff is capped at 80 ms here
      expect(hello.auth?.deviceToken).toBeTruthy()
      expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
      const pending = pendingEvents(events)
      expect(pending).toHaveLength(1) // a repeated connect joins the same request
      expect(pending[0]).toMatchObject({
        requestId: id,
        reason: 'pairing',
        via: 'connect',
        subject: { deviceId: c.deviceId, platform: process.platform, scopes: [...CLAWLINK_SCOPES] },
      })
      expect(approvalEvents(events).at(-1)).toMatchObject({ kind: 'approval-granted', requestId: id })
      expect(gw.devices.get(c.deviceId!)?.approvedScopes.sort()).toEqual([...CLAWLINK_SCOPES].sort())
    })
  }

  it('backs off from the initial delay, doubling, never above the cap', async () => {
    const gw = await gateway({ flavor: '9.6', autoPair: false })
    const { c, events } = waiting(gw, { waitApproval: { initialDelayMs: 10, maxDelayMs: 60 } })
    const connecting = c.connect()
    await until(() => approvalEvents(events).filter((e) => e.kind === 'approval-retry').length >= 6, 10_000)
    gw.approve(await pendingId(gw))
    await connecting
    const delays = approvalEvents(events).flatMap((e) => (e.kind === 'approval-retry' ? [e.inMs] : []))
    expect(delays[0]).toBeGreaterThanOrEqual(10)
    expect(delays[0]).toBeLessThanOrEqual(11)
    expect(delays[1]).toBeGreaterThanOrEqual(20)
    expect(Math.max(...delays)).toBeLessThanOrEqual(60)
    expect(delays.slice(4).every((d) => d >= 50)).toBe(true) // capped, jittered down by at most 8 %
  })

  it('a rejection (a new requestId long before expiry) ends the wait as PAIRING_REJECTED', async () => {
    const gw = await gateway({ flavor: '5.7', autoPair: false })
    const { c, events } = waiting(gw)
    const connecting = c.connect()
    const id = await pendingId(gw)
    gw.reject(id)
    const error = await rejectionOf(connecting)
    expect(error.code).toBe('PAIRING_REJECTED')
    expect(error.message).toContain(id)
    expect((error.details as { requestId: string }).requestId).toBe(id)
    expect(error.remedy).toMatch(/openclaw devices approve [0-9a-f-]{36}/)
    expect(pendingEvents(events)).toHaveLength(1)
  })

  it('an approval racing a connect (a new requestId, then paired) is an approval, and the stray request is withdrawn', async () => {
    const gw = await gateway({ flavor: '5.7', autoPair: false })
    const { c, events } = waiting(gw)
    const connecting = c.connect()
    const id = await pendingId(gw)
    // Measured on 5.7: a connect in flight while the operator approves opens a new request; the next is paired.
    gw.setFault({ kind: 'stale-pairing', times: 1 })
    gw.approve(id)
    await expect(connecting).resolves.toMatchObject({ protocol: 3 })
    expect(pendingEvents(events)).toHaveLength(1)
    const stray = approvalEvents(events).filter((e) => e.kind === 'approval-stray')
    expect(stray).toHaveLength(1)
    expect(stray[0]).toMatchObject({ outcome: 'withdrawn' })
    expect(stray[0]!.kind === 'approval-stray' && stray[0]!.requestId).not.toBe(id)
    expect(gw.pendingRequests()).toEqual([]) // nothing stale left in the operator's list
    await expect(c.request('echo', { after: 'the withdrawal' })).resolves.toEqual({ after: 'the withdrawal' })
  })

  it('a stray request this device may not withdraw (read-only) is named as left pending', async () => {
    const gw = await gateway({ flavor: '5.7', autoPair: false })
    const { c, events } = waiting(gw, { scopes: ['operator.read'] })
    const connecting = c.connect()
    const id = await pendingId(gw)
    gw.setFault({ kind: 'stale-pairing', times: 1 })
    gw.approve(id)
    await expect(connecting).resolves.toMatchObject({ protocol: 3 })
    const left = gw.pendingRequests().map((p) => p.requestId)
    expect(left).toHaveLength(1)
    expect(approvalEvents(events).filter((e) => e.kind === 'approval-stray')).toEqual([
      { kind: 'approval-stray', requestId: left[0], outcome: 'left' },
    ])
    expect(strayNote({ kind: 'approval-stray', requestId: left[0]!, outcome: 'left' })).toContain(
      `reject it (openclaw devices reject ${left[0]})`,
    )
  })

  it('strayNote: a line for a withdrawal, nothing when gone, never a pasteable command with an odd id', () => {
    const note = (requestId: string, outcome: 'withdrawn' | 'gone' | 'left') =>
      strayNote({ kind: 'approval-stray', requestId, outcome })
    expect(note('r-1', 'withdrawn')).toBe(
      'withdrew request r-1, opened by a connect that crossed the approval',
    )
    expect(note('r-1', 'gone')).toBeUndefined()
    expect(note('x; rm -rf ~', 'left')).toContain(
      'openclaw devices list, then openclaw devices reject <requestId>',
    )
    expect(note('x; rm -rf ~', 'left')).not.toContain('reject x;')
  })

  it('an expired request is replaced: the new requestId is reported, and its approval ends the wait', async () => {
    const gw = await gateway({ flavor: '5.7', autoPair: false, pairingTtlMs: 300 })
    const { c, events } = waiting(gw, { waitApproval: { ...FAST, expiryMs: 300 } })
    const connecting = c.connect()
    const first = await pendingId(gw)
    await until(() => pendingEvents(events).length >= 2, 10_000)
    const second = pendingEvents(events)[1]!
    expect(second).toMatchObject({ kind: 'approval-pending', replaces: first })
    expect(second.kind === 'approval-pending' && second.requestId).not.toBe(first)
    gw.approve(String(second.kind === 'approval-pending' && second.requestId))
    await expect(connecting).resolves.toMatchObject({ protocol: 3 })
  })

  it('ends at the deadline with APPROVAL_TIMEOUT naming the request', async () => {
    const gw = await gateway({ flavor: '9.6', autoPair: false })
    const { c } = waiting(gw)
    const started = Date.now()
    const error = await rejectionOf(c.connect({ signal: AbortSignal.timeout(400) }))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(error.code).toBe('APPROVAL_TIMEOUT')
    const id = gw.pendingRequests()[0]!.requestId
    expect(error.message).toContain(id)
    expect(error.remedy).toContain(`openclaw devices approve ${id}`)
  })

  it('stops at once on AUTH_TOKEN_MISMATCH (each one counts towards the lockout)', async () => {
    const gw = await gateway({ flavor: '9.6', autoPair: false })
    const { c, events } = waiting(gw)
    const connecting = c.connect()
    await pendingId(gw)
    gw.setFault({ kind: 'auth-token-mismatch' })
    const error = await rejectionOf(connecting)
    expect(error.code).toBe('AUTH_TOKEN_MISMATCH')
    const connects = gw.requests('connect').length
    await new Promise((r) => setTimeout(r, 200))
    expect(gw.requests('connect').length).toBe(connects)
    expect(pendingEvents(events)).toHaveLength(1)
  })

  it('stops at once on AUTH_RATE_LIMITED', async () => {
    const gw = await gateway({ flavor: '9.6', autoPair: false })
    const { c } = waiting(gw)
    const connecting = c.connect()
    await pendingId(gw)
    gw.setFault({ kind: 'auth-rate-limited', retryAfterMs: 300_000 })
    expect((await rejectionOf(connecting)).code).toBe('AUTH_RATE_LIMITED')
  })

  it('without waitApproval a connect still fails with PAIRING_REQUIRED at once', async () => {
    const gw = await gateway({ flavor: '9.6', autoPair: false })
    const c = client(gw, { signer: createTestSigner() })
    const error = await rejectionOf(c.connect())
    expect(error.code).toBe('PAIRING_REQUIRED')
    expect(gw.requests('connect')).toHaveLength(1)
  })
})

/** Pairs `signer` with operator.read only, the way another client would. */
async function pairReadOnly(gw: FakeGateway, signer: ReturnType<typeof createTestSigner>): Promise<void> {
  const reader = client(gw, { signer, scopes: ['operator.read'] })
  await reader.connect()
  await reader.close()
}

describe('scope upgrade of a device paired read-only', { timeout: 30_000 }, () => {
  async function readOnlyDevice(flavor: '9.6' | '5.7') {
    const gw = await gateway({ flavor, autoApproveScopeUpgrade: false })
    const signer = createTestSigner()
    await pairReadOnly(gw, signer)
    const store = createMemoryDeviceTokenStore()
    const { c, events } = waiting(gw, { signer, deviceTokenStore: store })
    return { gw, c, events, store }
  }

  async function approveWhenAsked(gw: FakeGateway, events: ClientProgressEvent[]): Promise<string> {
    await until(() => pendingEvents(events).length > 0, 10_000)
    const event = pendingEvents(events)[0]!
    const id = event.kind === 'approval-pending' ? event.requestId! : ''
    expect(gw.pendingRequests().map((p) => p.requestId)).toEqual([id]) // one request for the operator
    gw.approve(id)
    return id
  }

  it('9.6: one requestUpgrade, waitUpgrade, then a reconnect with the new device token and admin', async () => {
    const { gw, c, events, store } = await readOnlyDevice('9.6')
    const connecting = c.connect()
    const id = await approveWhenAsked(gw, events)
    await connecting
    expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
    expect(gw.requests('device.scopes.requestUpgrade')).toHaveLength(1)
    expect(gw.requests('device.scopes.waitUpgrade').length).toBeGreaterThanOrEqual(1)
    expect(pendingEvents(events)).toEqual([
      expect.objectContaining({ requestId: id, reason: 'scope-upgrade', via: 'requestUpgrade' }),
    ])
    const stored = await store.get(tokenKey(gw, c))
    expect(stored?.token).toBe(gw.devices.get(c.deviceId!)?.tokens.get('operator')?.token)
    expect(gw.pendingRequests()).toEqual([])
    await expect(c.request('cron.run', { id: 'none' })).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' })
  })

  it('9.6: a rejected upgrade (waitUpgrade says so) is PAIRING_REJECTED', async () => {
    const { gw, c, events } = await readOnlyDevice('9.6')
    const connecting = c.connect()
    await until(() => gw.requests('device.scopes.waitUpgrade').length > 0, 10_000)
    const event = pendingEvents(events)[0]!
    gw.reject(event.kind === 'approval-pending' ? event.requestId! : '')
    const error = await rejectionOf(connecting)
    expect(error.code).toBe('PAIRING_REJECTED')
  })

  for (const verdict of ['reject', 'approve'] as const) {
    it(`9.6: an upgrade ${verdict}d before waitUpgrade was sent ("not found") is told by a reconnect`, async () => {
      const gw = await gateway({ flavor: '9.6', autoApproveScopeUpgrade: false })
      const signer = createTestSigner()
      await pairReadOnly(gw, signer)
      // Decided in the progress callback: before the client can send waitUpgrade.
      const { c } = waiting(gw, {
        signer,
        onProgress: (e) => {
          if (e.kind === 'approval-pending' && e.requestId) gw[verdict](e.requestId)
        },
      })
      if (verdict === 'reject') expect((await rejectionOf(c.connect())).code).toBe('PAIRING_REJECTED')
      else {
        await c.connect()
        expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
      }
      expect(gw.requests('device.scopes.requestUpgrade')).toHaveLength(1) // never asked twice
    })
  }

  it('9.6: an expired upgrade request is asked for again, and the new id reported', async () => {
    const gw = await gateway({ flavor: '9.6', autoApproveScopeUpgrade: false, pairingTtlMs: 200 })
    const signer = createTestSigner()
    await pairReadOnly(gw, signer)
    const { c, events } = waiting(gw, { signer })
    const connecting = c.connect()
    await until(() => pendingEvents(events).length >= 2, 10_000)
    const [first, second] = pendingEvents(events) as Array<
      Extract<ApprovalProgress, { kind: 'approval-pending' }>
    >
    expect(second).toMatchObject({ replaces: first!.requestId, via: 'requestUpgrade' })
    gw.approve(second!.requestId!)
    await connecting
    expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
  })

  it('5.7 (no upgrade methods): the reconnect-and-pair fallback, one approval', async () => {
    const { gw, c, events } = await readOnlyDevice('5.7')
    const connecting = c.connect()
    const id = await approveWhenAsked(gw, events)
    await connecting
    expect(c.scopes).toEqual([...CLAWLINK_SCOPES])
    expect(gw.requests('device.scopes.requestUpgrade')).toHaveLength(0)
    expect(pendingEvents(events)).toEqual([
      expect.objectContaining({ requestId: id, reason: 'scope-upgrade', via: 'connect' }),
    ])
  })
})

describe('the file pairing log', () => {
  it('keeps the first-seen time of a request across instances (a re-run after Ctrl-C)', async () => {
    const path = join(tempDir(), 'profile', 'pairing-requests.json')
    expect(await createFilePairingLog(path).firstSeen('req-1', 1000)).toBe(1000)
    expect(await createFilePairingLog(path).firstSeen('req-1', 5000)).toBe(1000)
    expect(await createFilePairingLog(path).firstSeen('req-2', 6000)).toBe(6000)
  })
})
