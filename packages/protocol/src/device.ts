/** What the gateway recorded about one device's pairing (`device.pair.list`, operator.pairing or admin). */
export interface DevicePairing {
  /** The approved pairing, when the device is paired; each field only when the gateway gave it. */
  paired?: { remoteIp?: string; approvedVia?: string; scopes?: string[] }
  /** Requests of this device still waiting for an operator. */
  pendingRequestIds: string[]
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : []

/** This device's entries in a `device.pair.list` answer; fields of an unexpected type are left out. */
export function parseDevicePairing(answer: unknown, deviceId: string): DevicePairing {
  const list = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>
  const me = records(list.paired).find((d) => d.deviceId === deviceId)
  const pendingRequestIds = records(list.pending)
    .filter((p) => p.deviceId === deviceId)
    .flatMap((p) => text(p.requestId) ?? [])
  if (!me) return { pendingRequestIds }
  const scopes = Array.isArray(me.scopes)
    ? me.scopes.filter((s): s is string => typeof s === 'string')
    : undefined
  const paired = {
    ...(text(me.remoteIp) ? { remoteIp: text(me.remoteIp) } : {}),
    ...(text(me.approvedVia) ? { approvedVia: text(me.approvedVia) } : {}),
    ...(scopes ? { scopes } : {}),
  }
  return { paired, pendingRequestIds }
}

/** `device.pair.approve` / `device.pair.reject` params: `{requestId}`. */
export function buildPairRequestParams(requestId: string): { requestId: string } {
  if (typeof requestId !== 'string' || requestId === '') throw new TypeError('requestId must be non-empty')
  return { requestId }
}

/** `device.token.rotate` / `device.token.revoke` params: this device and role (scopes: keep the token's own). */
export function buildDeviceTokenParams(deviceId: string, role: string): { deviceId: string; role: string } {
  if (!/^[0-9a-f]{64}$/.test(deviceId)) throw new TypeError('deviceId must be 64 lowercase hex digits')
  if (typeof role !== 'string' || role === '') throw new TypeError('role must be non-empty')
  return { deviceId, role }
}

/**
 * A `device.token.rotate` answer. `tokenDelivery` (9.x): `in-band` carries the new token, `withheld-cross-device`
 * none (the caller is another device); v3 gateways send neither field and always include the token.
 */
export interface DeviceTokenRotation {
  token?: string
  scopes: string[]
  rotatedAtMs?: number
  tokenDelivery: 'in-band' | 'withheld-cross-device' | 'unspecified'
}

/** Reads a `device.token.rotate` answer; fields of an unexpected type are left out. */
export function parseDeviceTokenRotation(answer: unknown): DeviceTokenRotation {
  const r = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>
  const delivery = r.tokenDelivery
  const scopes = Array.isArray(r.scopes) ? r.scopes.filter((s): s is string => typeof s === 'string') : []
  return {
    ...(text(r.token) ? { token: text(r.token) } : {}),
    scopes,
    ...(typeof r.rotatedAtMs === 'number' ? { rotatedAtMs: r.rotatedAtMs } : {}),
    tokenDelivery: delivery === 'in-band' || delivery === 'withheld-cross-device' ? delivery : 'unspecified',
  }
}
