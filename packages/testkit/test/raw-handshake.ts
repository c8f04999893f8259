// Raw handshakes with hand-built frames, independent of any client code: the fake's own checks under test.
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import WebSocket from 'ws'
import type { FakeGateway } from '../src/fake-gateway.js'

export type Frame = Record<string, unknown>

/** Raw handshake with a hand-built payload, independent of any client code. */
export async function handshake(
  gw: FakeGateway,
  build: (nonce: string, ts: number) => Frame,
): Promise<{ res: Frame; close?: { code: number; reason: string } }> {
  const ws = new WebSocket(gw.url)
  const frames: Frame[] = []
  return new Promise((resolve, reject) => {
    let res: Frame | undefined
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame
      frames.push(frame)
      if (frame.event === 'connect.challenge') {
        const payload = frame.payload as { nonce: string; ts: number }
        ws.send(JSON.stringify(build(payload.nonce, payload.ts)))
      } else if (frame.type === 'res') {
        res = frame
        if (frame.ok) {
          ws.close()
          resolve({ res: frame })
        }
      }
    })
    ws.on('close', (code, reason) => {
      if (res && !res.ok) resolve({ res, close: { code, reason: reason.toString() } })
    })
    ws.on('error', reject)
  })
}

export function device(version: 'v3' | 'v2', tamper = false) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12)
  const id = createHash('sha256').update(raw).digest('hex')
  return (nonce: string, ts: number, token: string): Frame => {
    const fields = [version, id, 'cli', 'cli', 'operator', 'operator.admin', String(ts), token, nonce]
    if (version === 'v3') fields.push('linux', '')
    const payload = fields.join('|') + (tamper ? 'x' : '')
    return {
      id,
      publicKey: raw.toString('base64url'),
      signature: sign(null, Buffer.from(payload), privateKey).toString('base64url'),
      signedAt: ts,
      nonce,
    }
  }
}

export function connectFrame(params: Frame): Frame {
  return {
    type: 'req',
    id: '1',
    method: 'connect',
    params: {
      minProtocol: 3,
      maxProtocol: 4,
      client: { id: 'cli', mode: 'cli', version: '1', platform: 'Linux' },
      role: 'operator',
      scopes: ['operator.admin'],
      ...params,
    },
  }
}
