import { describe, expect, it } from 'vitest'
import { checkGatewayUrl, isLoopbackHost, isPrivateHost } from './url.js'

describe('isPrivateHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['[::1]', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.10', true],
    ['100.64.0.1', true],
    ['100.127.255.254', true],
    ['100.128.0.1', false],
    ['169.254.10.1', true],
    ['fd12:3456::1', true],
    ['fc00::1', true],
    ['fe80::1', true],
    ['[fe80::1]', true],
    ['::ffff:10.0.0.1', true],
    ['printer.local', true],
    ['box.tail1234.ts.net', true],
    ['8.8.8.8', false],
    ['2001:db8::1', false],
    ['gateway.example.com', false],
    ['ts.net.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected)
  })

  it('knows loopback apart from private', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true)
    expect(isLoopbackHost('[::1]')).toBe(true)
    expect(isLoopbackHost('10.0.0.1')).toBe(false)
  })
})

describe('checkGatewayUrl', () => {
  it('accepts ws:// to private hosts and wss:// anywhere', () => {
    expect(checkGatewayUrl('ws://127.0.0.1:18789').port).toBe('18789')
    expect(checkGatewayUrl('wss://gateway.example.com').protocol).toBe('wss:')
  })

  it.each([
    ['not a url', 'INVALID_URL'],
    ['http://127.0.0.1:18789', 'INVALID_URL'],
    ['ws://user:secret@127.0.0.1:18789', 'INVALID_URL'],
    ['ws://gateway.example.com', 'INSECURE_URL'],
    ['ws://8.8.8.8:18789', 'INSECURE_URL'],
  ])('%s → %s', (url, code) => {
    expect(() => checkGatewayUrl(url)).toThrowError(expect.objectContaining({ code }))
  })

  it('never echoes URL credentials', () => {
    expect.assertions(2)
    try {
      checkGatewayUrl('ws://user:hunter2@127.0.0.1')
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2')
      expect((error as { code?: string }).code).toBe('INVALID_URL')
    }
  })

  it('allows public plaintext only when asked', () => {
    expect(checkGatewayUrl('ws://gateway.example.com', { allowInsecurePlaintext: true }).hostname).toBe(
      'gateway.example.com',
    )
  })

  it('requires wss:// with a pin', () => {
    expect(() => checkGatewayUrl('ws://127.0.0.1', { tlsFingerprints: ['abcd'] })).toThrowError(
      expect.objectContaining({ code: 'TLS_PIN_REQUIRES_WSS' }),
    )
  })
})
