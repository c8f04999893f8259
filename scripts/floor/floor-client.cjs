// The start-up floor of a gateway client (a benchmark fixture, not part of clawlink): plain CommonJS, `ws` by
// require, node:crypto Ed25519 — the signed v3 connect and one request, nothing else. Reads the URL from argv[2],
// the token from the file argv[3], the PEM private key from argv[4]; prints the answer's payload as JSON.
'use strict'
const { createHash, createPrivateKey, createPublicKey, sign } = require('node:crypto')
const { readFileSync } = require('node:fs')
const WebSocket = require('ws')

const [url, tokenFile, keyFile, method = 'cron.status'] = process.argv.slice(2)
const token = readFileSync(tokenFile, 'utf8').trim()
const key = createPrivateKey(readFileSync(keyFile))
const raw = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12)
const deviceId = createHash('sha256').update(raw).digest('hex')
const scopes = ['operator.admin', 'operator.read', 'operator.write']
const ws = new WebSocket(url)
const fail = (why) => {
  process.stderr.write(`floor client: ${why}\n`)
  process.exit(1)
}
setTimeout(() => fail('no answer in 10 s'), 10_000).unref()
ws.on('error', (e) => fail(e.message))
ws.on('message', (data) => {
  const frame = JSON.parse(data.toString())
  if (frame.type === 'event' && frame.event === 'connect.challenge') {
    const { nonce, ts } = frame.payload
    const fields = [
      'v3',
      deviceId,
      'cli',
      'cli',
      'operator',
      scopes.join(','),
      String(ts),
      token,
      nonce,
      'linux',
      '',
    ]
    const signature = sign(null, Buffer.from(fields.join('|')), key).toString('base64url')
    const device = { id: deviceId, publicKey: raw.toString('base64url'), signature, signedAt: ts, nonce }
    const client = { id: 'cli', mode: 'cli', version: '0.0.0', platform: 'linux' }
    const params = {
      minProtocol: 3,
      maxProtocol: 4,
      client,
      role: 'operator',
      scopes,
      auth: { token },
      device,
    }
    ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params }))
  } else if (frame.type === 'res' && frame.id === 'c') {
    if (!frame.ok) fail(`connect refused: ${JSON.stringify(frame.error)}`)
    ws.send(JSON.stringify({ type: 'req', id: 'r', method, params: {} }))
  } else if (frame.type === 'res' && frame.id === 'r') {
    if (!frame.ok) fail(`${method} refused: ${JSON.stringify(frame.error)}`)
    process.stdout.write(`${JSON.stringify(frame.payload)}\n`)
    ws.close()
    process.exit(0)
  }
})
