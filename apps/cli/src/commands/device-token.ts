import { revokeDeviceToken, rotateDeviceToken } from '@clawlink/client'
import { commandTimeout, parseCommand } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { createOutput } from '../output.js'
import { openSession } from '../session.js'

const when = (ms: number | undefined) => (ms === undefined ? 'now' : new Date(ms).toISOString())

/** `clawlink device rotate`: a new device token for this device on this gateway, stored in the profile. */
export async function deviceRotate(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'device rotate')
  const out = createOutput(values.json === true)
  const session = await openSession(values, out, {
    deadlineMs: commandTimeout(values.timeout, false),
    preferDeviceToken: true,
  })
  try {
    const r = await rotateDeviceToken(session.client)
    out.result(
      `rotated the device token of ${r.deviceId.slice(0, 12)}… (${r.role}) on ${session.settings.url} at ${when(r.rotatedAtMs)}; the new token is stored, the old one no longer works`,
      { ok: true, ...r, url: session.settings.url },
    )
    return EXIT.OK
  } finally {
    await session.close()
  }
}

/** `clawlink device revoke`: the gateway forgets this device's token; the cached copy is deleted too. */
export async function deviceRevoke(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'device revoke')
  const out = createOutput(values.json === true)
  const session = await openSession(values, out, {
    deadlineMs: commandTimeout(values.timeout, false),
    preferDeviceToken: true,
  })
  try {
    const r = await revokeDeviceToken(session.client)
    out.result(
      `revoked the device token of ${r.deviceId.slice(0, 12)}… (${r.role}) on ${session.settings.url}; the next command connects with the shared token`,
      { ok: true, ...r, url: session.settings.url },
    )
    return EXIT.OK
  } finally {
    await session.close()
  }
}
