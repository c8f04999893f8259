import { describe, expect, it } from 'vitest'
import { parseDevicePairing } from './device-pairing.js'

describe('parseDevicePairing', () => {
  const me = 'dev-me'
  it("picks this device's pairing and pending requests out of device.pair.list", () => {
    const answer = {
      pending: [
        { deviceId: me, requestId: 'r1' },
        { deviceId: 'other', requestId: 'r2' },
        { deviceId: me, requestId: 'r3' },
      ],
      paired: [
        { deviceId: 'other', remoteIp: '10.0.0.9' },
        { deviceId: me, remoteIp: '10.77.0.1', approvedVia: 'cli', scopes: ['operator.admin'] },
      ],
    }
    expect(parseDevicePairing(answer, me)).toEqual({
      paired: { remoteIp: '10.77.0.1', approvedVia: 'cli', scopes: ['operator.admin'] },
      pendingRequestIds: ['r1', 'r3'],
    })
  })

  it('leaves out what the gateway did not say, or said in the wrong type', () => {
    const answer = {
      pending: [{ deviceId: me }, null, 'x', { deviceId: me, requestId: 7 }],
      paired: [{ deviceId: me, remoteIp: 42, scopes: ['operator.read', 3] }],
    }
    expect(parseDevicePairing(answer, me)).toEqual({
      paired: { scopes: ['operator.read'] },
      pendingRequestIds: [],
    })
    expect(parseDevicePairing(null, me)).toEqual({ pendingRequestIds: [] })
    expect(parseDevicePairing({ paired: 'no', pending: {} }, me)).toEqual({ pendingRequestIds: [] })
  })
})
