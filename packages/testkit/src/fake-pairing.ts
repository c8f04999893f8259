import { randomBytes, randomUUID } from 'node:crypto'
import type { FakeWireError } from './fake-cron.js'
import type { FakePairedDevice, FakePendingRequest } from './fake-types.js'

/** Answer of `device.scopes.waitUpgrade` (REMOTE-FACTS.md). */
type Verdict =
  | { status: 'approved'; requestId: string; deviceToken: string; scopes: string[] }
  | { status: 'rejected' | 'expired'; requestId: string }

/**
 * The fake's pending pairing requests, as REMOTE-FACTS.md measured them: a repeated identical connect keeps the
 * requestId; changed scopes supersede it; a request expires `ttlMs` after it was made (5.7: repeats do not
 * extend it); a rejection is told to nobody but a `waitUpgrade` waiter; an approval pairs the device (or widens
 * its scopes) and mints a new device token.
 */
export function createFakePairing(opts: {
  now: () => number
  devices: Map<string, FakePairedDevice>
  ttlMs: number
}) {
  const { now, devices, ttlMs } = opts
  const pending = new Map<string, FakePendingRequest>()
  const waiters = new Map<string, Set<(v: Verdict) => void>>()
  const timers = new Set<NodeJS.Timeout>()

  function settle(requestId: string, verdict: Verdict): void {
    const set = waiters.get(requestId)
    waiters.delete(requestId)
    for (const resolve of set ?? []) resolve(verdict)
  }

  function sweep(): void {
    for (const [id, p] of pending) {
      if (now() - p.ts >= ttlMs) {
        pending.delete(id)
        settle(id, { status: 'expired', requestId: id })
      }
    }
  }

  /** The pending request of this device for these scopes: the same one while it lives, else a new one. */
  function requestFor(entry: Omit<FakePendingRequest, 'requestId' | 'ts'>): FakePendingRequest {
    sweep()
    for (const [id, p] of pending) {
      if (p.deviceId !== entry.deviceId) continue
      if (p.scopes.join(',') === entry.scopes.join(',') && p.isRepair === entry.isRepair) return p
      pending.delete(id) // superseded by a request with other details
      settle(id, { status: 'expired', requestId: id })
    }
    const request: FakePendingRequest = { ...entry, requestId: randomUUID(), ts: now() }
    pending.set(request.requestId, request)
    const timer = setTimeout(() => {
      timers.delete(timer)
      sweep()
    }, ttlMs + 5)
    timers.add(timer)
    return request
  }

  function approve(requestId: string): FakePairedDevice {
    sweep()
    const p = pending.get(requestId)
    if (!p) throw new Error(`unknown requestId ${requestId}`)
    pending.delete(requestId)
    let record = devices.get(p.deviceId)
    if (!record) {
      record = {
        deviceId: p.deviceId,
        publicKey: p.publicKey,
        approvedScopes: [],
        clientId: p.clientId,
        platform: p.platform,
        tokens: new Map(),
      }
      devices.set(p.deviceId, record)
    }
    record.approvedScopes = [...new Set([...record.approvedScopes, ...p.scopes])]
    const token = { token: randomBytes(32).toString('base64url'), scopes: [...p.scopes], issuedAtMs: now() }
    record.tokens.set('operator', token)
    settle(requestId, { status: 'approved', requestId, deviceToken: token.token, scopes: [...p.scopes] })
    return record
  }

  function reject(requestId: string): void {
    sweep()
    if (!pending.delete(requestId)) throw new Error(`unknown requestId ${requestId}`)
    settle(requestId, { status: 'rejected', requestId })
  }

  /** `device.scopes.requestUpgrade` / `waitUpgrade` (9.6) for a paired device; undefined for other methods. */
  function handle(
    method: string,
    params: Record<string, unknown>,
    deviceId: string | undefined,
    answer: (result: { payload?: unknown; error?: FakeWireError }) => void,
  ): boolean {
    if (method !== 'device.scopes.requestUpgrade' && method !== 'device.scopes.waitUpgrade') return false
    const record = deviceId ? devices.get(deviceId) : undefined
    if (!record) {
      answer({
        error: {
          code: 'INVALID_REQUEST',
          message: 'device scope upgrade requires a paired browser identity; reopen the control UI securely',
          details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'reopen_control_ui_securely' },
        },
      })
      return true
    }
    if (method === 'device.scopes.requestUpgrade') {
      const scopes = Array.isArray(params.scopes) ? (params.scopes as string[]) : []
      if (scopes.length === 0) {
        answer({
          error: {
            code: 'INVALID_REQUEST',
            message:
              'invalid device.scopes.requestUpgrade params: at /scopes: must not have fewer than 1 items',
          },
        })
        return true
      }
      const request = requestFor({
        deviceId: record.deviceId,
        publicKey: record.publicKey,
        clientId: record.clientId,
        platform: record.platform,
        scopes: [...scopes].sort(),
        isRepair: true,
        reason: 'scope-upgrade',
      })
      answer({ payload: { requestId: request.requestId } })
      return true
    }
    const requestId = String(params.requestId ?? '')
    sweep()
    if (!pending.has(requestId)) {
      answer({ error: { code: 'INVALID_REQUEST', message: 'scope upgrade expired or not found' } })
      return true
    }
    let set = waiters.get(requestId)
    if (!set) {
      set = new Set()
      waiters.set(requestId, set)
    }
    set.add((verdict) => answer({ payload: verdict }))
    return true
  }

  return {
    pending,
    requestFor,
    approve,
    reject,
    handle,
    list: (): FakePendingRequest[] => {
      sweep()
      return [...pending.values()]
    },
    close(): void {
      for (const t of timers) clearTimeout(t)
      timers.clear()
    },
  }
}
