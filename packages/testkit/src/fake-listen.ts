import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import type { FakeGatewayOptions } from './fake-types.js'

/** The gateway's pre-auth frame limit (docs/protocol.md §1.4). */
export const PREAUTH_MAX_BYTES = 65_536

/**
 * Listens on 127.0.0.1:`port` (0 = any free port), plain or TLS. `down(true)` makes it behave like a stopped
 * gateway — every new TCP connection is reset before any HTTP — while keeping the port: a restart that gave the
 * port up could lose it to another process on a busy machine (whose answer is not the gateway's).
 */
export async function listen(
  options: FakeGatewayOptions,
  port: number,
  maxPayload: number,
  onConnection: (ws: WebSocket) => void,
): Promise<{ port: number; close(): Promise<void>; down(isDown: boolean): void }> {
  const wsMaxPayload = Math.max(maxPayload, PREAUTH_MAX_BYTES)
  const server: HttpServer | HttpsServer = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : createHttpServer()
  let isDown = false
  server.on('connection', (socket) => {
    if (isDown) socket.destroy()
  })
  // Like ws's own server: a plain HTTP request (no upgrade) gets 426.
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' })
    res.end('Upgrade Required')
  })
  const wss = new WebSocketServer({ server, maxPayload: wsMaxPayload })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  wss.on('connection', onConnection)
  const address = server.address() as AddressInfo
  return {
    port: address.port,
    down(value) {
      isDown = value
    },
    async close() {
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
