import { WebSocket } from 'ws'
import type { FakeGatewayOptions } from './fake-types.js'

/** What the relay scenario sent on to the real gateway and what that gateway answered. */
export type RelayRecord = {
  /** The connect frame our client sent to the hostile gateway, as replayed upstream. */
  connect: Record<string, unknown> | undefined
  /** Every frame the upstream gateway answered with. */
  answers: Array<Record<string, unknown>>
  /** How the upstream gateway closed the relayed socket. */
  close?: { code: number; reason: string }
}

/**
 * The relay of docs/protocol.md §5.6: for each client socket, open one to the real gateway, hand its challenge
 * to the client, replay whatever connect the client signs to the real gateway, and pass the answers back.
 */
export function relayTo(upstream: string, relayed: RelayRecord[]): NonNullable<FakeGatewayOptions['hooks']> {
  return {
    onConnection(conn, record) {
      const entry: RelayRecord = { connect: undefined, answers: [] }
      relayed.push(entry)
      const up = new WebSocket(upstream, { maxPayload: 4 * 1024 * 1024 })
      up.on('error', () => conn.ws.terminate())
      up.on('message', (data, isBinary) => {
        if (isBinary) return
        const text = data.toString()
        try {
          const frame = JSON.parse(text) as Record<string, unknown>
          if (frame.type === 'res') entry.answers.push(frame)
        } catch {}
        if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text)
      })
      up.on('close', (code, reason) => {
        entry.close = { code, reason: reason.toString() }
        if (conn.ws.readyState === conn.ws.OPEN) conn.ws.close(1000, 'upstream closed')
      })
      conn.ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString()
        record(text)
        try {
          const frame = JSON.parse(text) as Record<string, unknown>
          if (frame.method === 'connect') entry.connect = frame
        } catch {}
        if (up.readyState === up.OPEN) up.send(text)
      })
      conn.ws.on('close', () => up.terminate())
      return true
    },
  }
}
