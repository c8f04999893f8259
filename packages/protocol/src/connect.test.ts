import { describe, expect, it } from 'vitest'
import {
  buildConnectParams,
  CLAWLINK_SCOPES,
  CLIENT_IDS,
  createDeviceProof,
  type DeviceSigner,
  normalizeDeviceMetadata,
  ProtocolError,
  SignerError,
} from './index.js'

const client = { id: 'cli', mode: 'cli', version: '0.1.0', platform: 'linux' }

describe('buildConnectParams', () => {
  it('offers protocol 3..4 and keeps scope order (docs/protocol.md §2.4)', () => {
    const params = buildConnectParams({ client, scopes: CLAWLINK_SCOPES, auth: { token: 't' } })
    expect(params).toEqual({
      minProtocol: 3,
      maxProtocol: 4,
      client,
      caps: [],
      role: 'operator',
      scopes: ['operator.admin', 'operator.read', 'operator.write'],
      auth: { token: 't' },
    })
  })
  it('drops empty auth fields and undefined optionals (v3 schemas are closed, docs/protocol.md §2.2)', () => {
    const params = buildConnectParams({
      client: { ...client, displayName: undefined },
      scopes: [],
      auth: { token: '', password: undefined },
    })
    expect('auth' in params).toBe(false)
    expect(Object.keys(params.client)).toEqual(['id', 'version', 'platform', 'mode'])
  })
  it('refuses unknown client ids and modes, listing the allowed values', () => {
    expect(() => buildConnectParams({ client: { ...client, id: 'my-app' }, scopes: [] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CLIENT_ID',
        message: expect.stringContaining(CLIENT_IDS.join(', ')),
      }),
    )
    expect(() => buildConnectParams({ client: { ...client, mode: 'operator' }, scopes: [] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CLIENT_MODE',
        message: expect.stringContaining('cli, ui, backend'),
      }),
    )
  })
  it('refuses a blank platform, an inverted range and an unknown role', () => {
    expect(() => buildConnectParams({ client: { ...client, platform: ' ' }, scopes: [] })).toThrow(
      ProtocolError,
    )
    expect(() => buildConnectParams({ client, scopes: [], minProtocol: 4, maxProtocol: 3 })).toThrow(
      ProtocolError,
    )
    expect(() => buildConnectParams({ client, scopes: [], role: 'admin' as 'operator' })).toThrow(
      ProtocolError,
    )
  })
})

describe('normalizeDeviceMetadata (docs/protocol.md §4.2)', () => {
  it('lowercases ASCII only, trims, blanks to empty', () => {
    expect(normalizeDeviceMetadata(' Linux ')).toBe('linux')
    expect(normalizeDeviceMetadata('ÄBC-Linux')).toBe('Äbc-linux')
    expect(normalizeDeviceMetadata('  ')).toBe('')
    expect(normalizeDeviceMetadata(42)).toBe('')
    expect(normalizeDeviceMetadata(undefined)).toBe('')
  })
})

describe('createDeviceProof', () => {
  const publicKey = new Uint8Array(32).fill(7)
  const fields = { nonce: 'n', signedAtMs: 1, clientId: 'cli', clientMode: 'cli', scopes: [] as string[] }
  it('refuses a signer that returns anything but 64 bytes', async () => {
    const signer: DeviceSigner = { algorithm: 'ed25519', publicKey, sign: async () => new Uint8Array(63) }
    await expect(createDeviceProof({ signer, ...fields })).rejects.toMatchObject({
      name: 'SignerError',
      code: 'INVALID_SIGNATURE',
    })
  })
  it('passes the abort signal to the signer and keeps its error', async () => {
    const controller = new AbortController()
    controller.abort()
    const signer: DeviceSigner = {
      algorithm: 'ed25519',
      publicKey,
      sign: async (_payload, options) => {
        if (options?.signal?.aborted) throw new SignerError('ABORTED', 'aborted')
        return new Uint8Array(64)
      },
    }
    await expect(createDeviceProof({ signer, ...fields, signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    })
  })
  it('refuses a blank nonce and a bad timestamp', async () => {
    const signer: DeviceSigner = { algorithm: 'ed25519', publicKey, sign: async () => new Uint8Array(64) }
    const base = { signer, clientId: 'cli', clientMode: 'cli', scopes: [] }
    await expect(createDeviceProof({ ...base, nonce: ' ', signedAtMs: 1 })).rejects.toBeInstanceOf(
      ProtocolError,
    )
    await expect(createDeviceProof({ ...base, nonce: 'n', signedAtMs: 1.5 })).rejects.toBeInstanceOf(
      ProtocolError,
    )
  })
})
