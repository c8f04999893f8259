import { randomBytes, randomUUID } from 'node:crypto'
import type { FakeWireError } from './fake-cron.js'
import type { FakePairedDevice, FakePendingRequest } from './fake-types.js'

/** Answer of `device.scopes.waitUpgrade` (REMOTE-FACTS.md). */
type Verdict =
  | { status: 'approved'; requestId: string; deviceToken: string; scopes: string[] }
  | { status: 'rejected' | 'expired'; requestId: string }

type Answer = (result: { payload?: unknown; error?: FakeWireError }) => void

/** The pending requests and who waits on them, shared by the functions below. */
interface PairingState {
  now: () => number
  devices: Map<string, FakePairedDevice>
  ttlMs: number
  pending: Map<string, FakePendingRequest>
  waiters: Map<string, Set<(v: Verdict) => void>>
  timers: Set<NodeJS.Timeout>
}

function settle(state: PairingState, requestId: string, verdict: Verdict): void {
  const set = state.waiters.get(requestId)
  state.waiters.delete(requestId)
  for (const resolve of set ?? []) resolve(verdict)
}

function sweep(state: PairingState): void {
  for (const [id, p] of state.pending) {
    if (state.now() - p.ts >= state.ttlMs) {
      state.pending.delete(id)
      settle(state, id, { status: 'expired', requestId: id })
    }
  }
}

/** The pending request of this device for these scopes: the same one while it lives, else a new one. */
function requestFor(
  state: PairingState,
  entry: Omit<FakePendingRequest, 'requestId' | 'ts'>,
): FakePendingRequest {
  const { pending, timers } = state
  sweep(state)
  for (const [id, p] of pending) {
    if (p.deviceId !== entry.deviceId) continue
    if (p.scopes.join(',') === entry.scopes.join(',') && p.isRepair === entry.isRepair) return p
    pending.delete(id) // superseded by a request with other details
    settle(state, id, { status: 'expired', requestId: id })
  }
  const request: FakePendingRequest = { ...entry, requestId: randomUUID(), ts: state.now() }
  pending.set(request.requestId, request)
  const timer = setTimeout(() => {
    timers.delete(timer)
    sweep(state)
  }, state.ttlMs + 5)
  timers.add(timer)
  return request
}

function approve(state: PairingState, requestId: string): FakePairedDevice {
  sweep(state)
  const p = state.pending.get(requestId)
  if (!p) throw new Error(`unknown requestId ${requestId}`)
  state.pending.delete(requestId)
  let record = state.devices.get(p.deviceId)
  if (!record) {
    record = {
      deviceId: p.deviceId,
      publicKey: p.publicKey,
      approvedScopes: [],
      clientId: p.clientId,
      platform: p.platform,
      tokens: new Map(),
    }
    state.devices.set(p.deviceId, record)
  }
  record.approvedScopes = [...new Set([...record.approvedScopes, ...p.scopes])]
  const token = {
    token: randomBytes(32).toString('base64url'),
    scopes: [...p.scopes],
    issuedAtMs: state.now(),
  }
  record.tokens.set('operator', token)
  settle(state, requestId, { status: 'approved', requestId, deviceToken: token.token, scopes: [...p.scopes] })
  return record
}

function reject(state: PairingState, requestId: string): void {
  sweep(state)
  if (!state.pending.delete(requestId)) throw new Error(`unknown requestId ${requestId}`)
  settle(state, requestId, { status: 'rejected', requestId })
}

/** `device.scopes.requestUpgrade`: a pending scope-upgrade request for a paired device. */
function requestUpgrade(
  state: PairingState,
  record: FakePairedDevice,
  params: Record<string, unknown>,
  answer: Answer,
): void {
  const scopes = Array.isArray(params.scopes) ? (params.scopes as string[]) : []
  if (scopes.length === 0) {
    answer({
      error: {
        code: 'INVALID_REQUEST',
        message: 'invalid device.scopes.requestUpgrade params: at /scopes: must not have fewer than 1 items',
      },
    })
    return
  }
  const request = requestFor(state, {
    deviceId: record.deviceId,
    publicKey: record.publicKey,
    clientId: record.clientId,
    platform: record.platform,
    scopes: [...scopes].sort(),
    isRepair: true,
    reason: 'scope-upgrade',
  })
  answer({ payload: { requestId: request.requestId } })
}

/** `device.scopes.waitUpgrade`: answers once the request is approved, rejected or expires. */
function waitUpgrade(state: PairingState, params: Record<string, unknown>, answer: Answer): void {
  const requestId = String(params.requestId ?? '')
  sweep(state)
  if (!state.pending.has(requestId)) {
    answer({ error: { code: 'INVALID_REQUEST', message: 'scope upgrade expired or not found' } })
    return
  }
  let set = state.waiters.get(requestId)
  if (!set) {
    set = new Set()
    state.waiters.set(requestId, set)
  }
  set.add((verdict) => answer({ payload: verdict }))
}

/** `device.scopes.requestUpgrade` / `waitUpgrade` (9.6) for a paired device; false for other methods. */
/** `device.pair.reject` (the scope check ran before): drops a pending request, answered as 5.7 does. */
function rejectRequest(state: PairingState, params: Record<string, unknown>, answer: Answer): void {
  sweep(state)
  const requestId = typeof params.requestId === 'string' ? params.requestId : ''
  const pending = state.pending.get(requestId)
  if (!pending) {
    answer({ error: { code: 'INVALID_REQUEST', message: 'unknown requestId' } })
    return
  }
  reject(state, requestId)
  answer({ payload: { requestId, deviceId: pending.deviceId } })
}

function handle(
  state: PairingState,
  method: string,
  params: Record<string, unknown>,
  deviceId: string | undefined,
  answer: Answer,
): boolean {
  if (method === 'device.pair.reject') {
    rejectRequest(state, params, answer)
    return true
  }
  if (method !== 'device.scopes.requestUpgrade' && method !== 'device.scopes.waitUpgrade') return false
  const record = deviceId ? state.devices.get(deviceId) : undefined
  if (!record) {
    answer({
      error: {
        code: 'INVALID_REQUEST',
        message: 'device scope upgrade requires a paired browser identity; reopen the control UI securely',
        details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'reopen_control_ui_securely' },
      },
    })
  } else if (method === 'device.scopes.requestUpgrade') requestUpgrade(state, record, params, answer)
  else waitUpgrade(state, params, answer)
  return true
}

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
  const state: PairingState = { ...opts, pending: new Map(), waiters: new Map(), timers: new Set() }
  return {
    pending: state.pending,
    requestFor: (entry: Omit<FakePendingRequest, 'requestId' | 'ts'>): FakePendingRequest =>
      requestFor(state, entry),
    approve: (requestId: string): FakePairedDevice => approve(state, requestId),
    reject: (requestId: string): void => reject(state, requestId),
    handle: (
      method: string,
      params: Record<string, unknown>,
      deviceId: string | undefined,
      answer: Answer,
    ): boolean => handle(state, method, params, deviceId, answer),
    list: (): FakePendingRequest[] => {
      sweep(state)
      return [...state.pending.values()]
    },
    close(): void {
      for (const t of state.timers) clearTimeout(t)
      state.timers.clear()
    },
  }
}
