import { describe, expect, it } from 'vitest'
import { describeFrameForLog, redactSecrets } from './redact.js'

describe('redactSecrets', () => {
  it('redacts auth, device proof, nonces and recovery scopes at any depth', () => {
    const frame = {
      type: 'req',
      id: '1',
      method: 'connect',
      params: {
        auth: { token: 'shared-secret', password: 'pw', deviceToken: 'dt' },
        device: { id: 'abc', publicKey: 'pub', signature: 'sig', signedAt: 1, nonce: 'n-1' },
        scopes: ['operator.admin'],
      },
    }
    const text = JSON.stringify(redactSecrets(frame))
    for (const secret of ['shared-secret', '"pw"', '"dt"', '"sig"', 'n-1']) expect(text).not.toContain(secret)
    expect(text).toContain('operator.admin')
    expect(text).toContain('"pub"')
    const hello = {
      type: 'res',
      payload: {
        auth: { deviceToken: 'tok-123', recoveryScope: 'rs', deviceTokens: [{ token: 'x1' }] },
        pluginSurfaceUrls: { canvas: 'http://127.0.0.1/__openclaw__/cap/secret' },
      },
    }
    const helloText = describeFrameForLog('in', hello)
    for (const secret of ['tok-123', '"rs"', 'x1', 'cap/secret']) expect(helloText).not.toContain(secret)
    expect(helloText.startsWith('←')).toBe(true)
  })

  it('leaves the input untouched', () => {
    const input = { auth: { token: 't' } }
    redactSecrets(input)
    expect(input.auth.token).toBe('t')
  })
})
