import { execFileSync, spawn } from 'node:child_process'
import { deriveDeviceId } from '@clawlink/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alive,
  createEphemeralSigner,
  gatewayRpc,
  HarnessRpcError,
  listLinks,
  listNetns,
  netnsAvailable,
  type RemoteGateway,
  startRemoteGateway,
  sweepStaleNetns,
} from '../src/harness/index.js'

// Both must run in CI; with CLAWLINK_REQUIRE_REAL=1 a namespace that cannot be made fails the tests.
const VERSIONS = ['2026.9.6', '2026.5.7'] as const
const required = process.env.CLAWLINK_REQUIRE_REAL === '1'
const runnable = required || netnsAvailable()
const READ = ['operator.read']

async function refusal(promise: Promise<unknown>): Promise<HarnessRpcError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof HarnessRpcError) return error
    throw error
  }
  throw new Error('expected the gateway to refuse the connect, it answered hello-ok')
}

describe.skipIf(!runnable)('remote gateway harness: namespace bookkeeping', () => {
  it('sweeps a namespace whose owner process is gone, and leaves a live owner alone', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    const deadPid = child.pid!
    await new Promise((resolve) => child.once('exit', resolve))
    const stale = `clawlink-${deadPid}-abc`
    const mine = `clawlink-${process.pid}-abd`
    execFileSync('ip', ['netns', 'add', stale])
    execFileSync('ip', ['netns', 'add', mine])
    try {
      expect(sweepStaleNetns()).toContain(stale)
      expect(listNetns()).not.toContain(stale)
      expect(listNetns()).toContain(mine)
    } finally {
      execFileSync('ip', ['netns', 'del', mine])
    }
  })
})

for (const version of VERSIONS) {
  // Operator calls spawn a Node inside the namespace (about a second each on a busy machine).
  describe.skipIf(!runnable)(`remote gateway ${version}: pairing from the host`, { timeout: 60_000 }, () => {
    let gw: RemoteGateway
    const device = createEphemeralSigner()
    let requestId: string

    beforeAll(async () => {
      gw = await startRemoteGateway({ version })
    }, 240_000)
    afterAll(async () => {
      await gw?.stop()
    }, 60_000)

    it('a fresh device connecting with the shared token gets PAIRING_REQUIRED with a requestId', async () => {
      expect(gw.url).toMatch(/^ws:\/\/10\.\d+\.\d+\.\d+:\d+$/)
      const e = await refusal(gatewayRpc({ url: gw.url, token: gw.token, signer: device, scopes: READ }, []))
      expect(e.gatewayCode).toBe('NOT_PAIRED')
      expect(e.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'not-paired' })
      requestId = String(e.details?.requestId)
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      // A repeated connect from the same device joins the same pending request.
      const again = await refusal(
        gatewayRpc({ url: gw.url, token: gw.token, signer: device, scopes: READ }, []),
      )
      expect(again.details?.requestId).toBe(requestId)
    })

    it('the operator sees the request, from the host veth address', async () => {
      const pending = await gw.operator.listPending()
      const mine = pending.find((p) => p.requestId === requestId)
      expect(mine).toBeDefined()
      expect(mine?.remoteIp).toBe(gw.hostAddress)
      expect(mine?.deviceId).toBe(deriveDeviceId(device.publicKey))
      expect(mine?.scopes).toEqual(READ)
      expect(mine?.clientId).toBe('cli')
    })

    it('after approve() the same device gets hello-ok and a device token', async () => {
      await gw.operator.approve(requestId)
      const { hello } = await gatewayRpc({ url: gw.url, token: gw.token, signer: device, scopes: READ }, [])
      const auth = hello.auth as { deviceToken?: string; scopes?: string[] }
      expect(auth.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(auth.scopes).toEqual(READ)
      const paired = await gw.operator.listPaired()
      expect(paired.find((d) => d.deviceId === deriveDeviceId(device.publicKey))?.remoteIp).toBe(
        gw.hostAddress,
      )
      expect(await gw.operator.listPending()).toEqual([])
    })

    it('after reject() the device is asked to pair again, under a new requestId', async () => {
      const other = createEphemeralSigner()
      const first = await refusal(
        gatewayRpc({ url: gw.url, token: gw.token, signer: other, scopes: READ }, []),
      )
      const rejectedId = String(first.details?.requestId)
      expect(await gw.operator.reject(rejectedId)).toMatchObject({
        requestId: rejectedId,
        deviceId: deriveDeviceId(other.publicKey),
      })
      // Recorded (REMOTE-FACTS.md): a rejection leaves no trace the device can see; its next connect is a
      // fresh not-paired request.
      const next = await refusal(
        gatewayRpc({ url: gw.url, token: gw.token, signer: other, scopes: READ }, []),
      )
      expect(next.gatewayCode).toBe('NOT_PAIRED')
      expect(next.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'not-paired' })
      expect(next.details?.requestId).not.toBe(rejectedId)
    })

    it('removeDevice() unpairs: the approved device must pair again', async () => {
      await gw.operator.removeDevice(deriveDeviceId(device.publicKey))
      const e = await refusal(gatewayRpc({ url: gw.url, token: gw.token, signer: device, scopes: READ }, []))
      expect(e.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'not-paired' })
    })

    it('stop() ends the gateway and removes the namespace and the veth pair', async () => {
      const { name, hostIf } = gw.namespace
      expect(listNetns()).toContain(name)
      expect(listLinks()).toContain(hostIf)
      await gw.stop()
      expect(listNetns()).not.toContain(name)
      expect(listLinks()).not.toContain(hostIf)
      expect(alive(gw.pid)).toBe(false)
      const e = await refusal(
        gatewayRpc({ url: gw.url, token: gw.token, scopes: READ, timeoutMs: 3_000 }, []),
      )
      expect(['refused', 'timeout']).toContain(e.kind)
    })
  })
}
