import {
  type DeviceTokenRevoked,
  type DeviceTokenRotated,
  type GatewayClient,
  revokeDeviceToken,
  rotateDeviceToken,
} from '@clawlink/client'
import { commandTimeout, parseCommand } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { createOutput } from '../output.js'
import { openSession } from '../session.js'

const when = (ms: number | undefined) => (ms === undefined ? 'now' : new Date(ms).toISOString())

/**
 * One device-token action. The session authenticates with the cached device token first: 9.x hands a rotated
 * token only to a connection that proved the old one.
 */
async function tokenCommand<T extends DeviceTokenRotated | DeviceTokenRevoked>(
  argv: string[],
  path: 'device rotate' | 'device revoke',
  action: (client: GatewayClient) => Promise<T>,
  human: (r: T, url: string) => string,
): Promise<number> {
  const { values } = parseCommand(argv, path)
  const out = createOutput(values.json === true)
  const deadlineMs = commandTimeout(values.timeout, false)
  const session = await openSession(values, out, { deadlineMs, preferDeviceToken: true })
  try {
    const r = await action(session.client)
    out.result(human(r, session.settings.url), { ok: true, ...r, url: session.settings.url })
    return EXIT.OK
  } finally {
    await session.close()
  }
}

/** `clawlink device rotate`: a new device token for this device on this gateway, stored in the profile. */
export function deviceRotate(argv: string[]): Promise<number> {
  return tokenCommand(
    argv,
    'device rotate',
    (client) => rotateDeviceToken(client),
    (r, url) =>
      `rotated the device token of ${r.deviceId.slice(0, 12)}… (${r.role}) on ${url} at ${when(r.rotatedAtMs)}; the new token is stored, the old one no longer works`,
  )
}

/** `clawlink device revoke`: the gateway forgets this device's token; the cached copy is deleted too. */
export function deviceRevoke(argv: string[]): Promise<number> {
  return tokenCommand(
    argv,
    'device revoke',
    (client) => revokeDeviceToken(client),
    (r, url) =>
      `revoked the device token of ${r.deviceId.slice(0, 12)}… (${r.role}) on ${url}; the next command connects with the shared token`,
  )
}
