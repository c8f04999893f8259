import { type DevicePairing, parseDevicePairing } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'

export { type DevicePairing, parseDevicePairing }

/**
 * What the gateway recorded about this client's device: one `device.pair.list` (needs operator.pairing).
 * Undefined for a token-only client. @throws GatewayError, ClientError
 */
export async function getDevicePairing(
  client: GatewayClient,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<DevicePairing | undefined> {
  const id = client.deviceId
  if (!id) return undefined
  return parseDevicePairing(await client.request('device.pair.list', {}, options), id)
}
