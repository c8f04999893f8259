import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import type { FakeGatewayOptions } from './fake-types.js'

/** The gateway's pre-auth frame limit (docs/protocol.md §1.4). */
export const PREAUTH_MAX_BYTES = 65_536

/** Listens on 127.0.0.1:`port` (0 = any free port), plain or TLS. */
export async function listen(
  options: FakeGatewayOptions,
  port: number,
  maxPayload: number,
  onConnection: (ws: WebSocket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const wsMaxPayload = Math.max(maxPayload, PREAUTH_MAX_BYTES)
  const https: HttpsServer | undefined = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : undefined
  const wss = https
    ? new WebSocketServer({ server: https, maxPayload: wsMaxPayload })
    : new WebSocketServer({ host: '127.0.0.1', port, maxPayload: wsMaxPayload })
  await new Promise<void>((resolve, reject) => {
    if (https) {
      https.once('error', reject)
      https.listen(port, '127.0.0.1', () => resolve())
    } else {
      wss.once('listening', resolve)
      wss.once('error', reject)
    }
  })
  wss.on('connection', onConnection)
  const address = (https ? https.address() : wss.address()) as AddressInfo
  return {
    port: address.port,
    async close() {
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      if (https) await new Promise<void>((resolve) => https.close(() => resolve()))
    },
  }
}
