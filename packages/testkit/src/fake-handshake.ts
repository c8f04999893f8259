import { createHash, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto'
import { CLIENT_IDS, CLIENT_MODES } from '@clawlink/protocol'
import { createFakeRefusals } from './fake-refusals.js'
import {
  type Conn,
  errorFrame,
  type FakeContext,
  type HandshakeFailure,
  scopeSatisfied,
} from './fake-types.js'

const SIGNATURE_SKEW_MS = 120_000 // docs/protocol.md §4.3
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const CLIENT_IDS_ALLOWED = new Set<string>(CLIENT_IDS)
const CLIENT_MODES_ALLOWED = new Set<string>(CLIENT_MODES)
/** Events the fake announces in hello-ok. */
export const FAKE_EVENTS = ['connect.challenge', 'tick', 'shutdown', 'health', 'cron', 'presence']

function normalizeMetadata(value: unknown): string {
  if (typeof value !== 'string') return ''
  const trimmed = value.trim()
  return trimmed.replace(/[A-Z]/g, (c) => c.toLowerCase())
}

function base64UrlToBuffer(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

/**
 * The fake's side of `connect` (docs/protocol.md §2, §4, §5): closed enums, injected faults, protocol range,
 * shared secret, device proof, device tokens, pairing, hello-ok per flavor.
 */
export function createFakeHandshake(ctx: FakeContext) {
  const { flavor, protocol, version, sharedToken, now, devices, takeFault, send, closeConn, sendEvent } = ctx
  const password = ctx.options.password
  const autoPair = ctx.options.autoPair ?? true
  const autoApproveScopeUpgrade = ctx.options.autoApproveScopeUpgrade ?? flavor !== '5.7'
  const tickIntervalMs = ctx.options.tickIntervalMs ?? 30_000
  const sendTicks = ctx.options.sendTicks ?? true
  const maxPayload = ctx.options.maxPayload ?? 26_214_400

  const { fail, authFailure, tokenMismatch, pairingFailure, forcedHandshakeFault } = createFakeRefusals(ctx)

  function verifyDevice(
    device: Record<string, unknown>,
    params: Record<string, unknown>,
    conn: Conn,
    signatureToken: string,
  ): HandshakeFailure | undefined {
    const deviceFail = (message: string, code: string, reason: string): HandshakeFailure =>
      fail({ code: 'INVALID_REQUEST', message, details: { code, reason } })
    const publicKeyText = String(device.publicKey ?? '')
    const raw = base64UrlToBuffer(publicKeyText)
    if (raw.length !== 32)
      return deviceFail('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device-public-key')
    // docs/protocol.md §4.3: id, age, nonce, signature, in that order.
    if (createHash('sha256').update(raw).digest('hex') !== device.id)
      return deviceFail('device identity mismatch', 'DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device-id-mismatch')
    const signedAt = Number(device.signedAt)
    if (!Number.isFinite(signedAt) || Math.abs(now() - signedAt) > SIGNATURE_SKEW_MS)
      return deviceFail('device signature expired', 'DEVICE_AUTH_SIGNATURE_EXPIRED', 'device-signature-stale')
    const nonce = String(device.nonce ?? '').trim()
    if (!nonce)
      return deviceFail('device nonce required', 'DEVICE_AUTH_NONCE_REQUIRED', 'device-nonce-missing')
    if (nonce !== conn.nonce)
      return deviceFail('device nonce mismatch', 'DEVICE_AUTH_NONCE_MISMATCH', 'device-nonce-mismatch')
    const client = (params.client ?? {}) as Record<string, unknown>
    const scopes = (params.scopes as string[] | undefined) ?? []
    const role = typeof params.role === 'string' ? params.role : 'operator'
    const base = [
      String(device.id),
      String(client.id),
      String(client.mode),
      role,
      scopes.join(','),
      String(signedAt),
      signatureToken,
      nonce,
    ]
    const v3 = [
      'v3',
      ...base,
      normalizeMetadata(client.platform),
      normalizeMetadata(client.deviceFamily),
    ].join('|')
    const v2 = ['v2', ...base].join('|')
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    })
    const signature = base64UrlToBuffer(String(device.signature ?? ''))
    const ok =
      signature.length === 64 &&
      (verify(null, Buffer.from(v3, 'utf8'), key, signature) ||
        verify(null, Buffer.from(v2, 'utf8'), key, signature))
    if (!ok)
      return deviceFail('device signature invalid', 'DEVICE_AUTH_SIGNATURE_INVALID', 'device-signature')
    return undefined
  }

  function helloOk(
    _conn: Conn,
    scopes: string[],
    method: 'token' | 'device-token' | 'password',
    issued?: { token: string; scopes: string[]; issuedAtMs: number },
    hadDevice = false,
  ): Record<string, unknown> {
    const payload: Record<string, unknown> = {
      type: 'hello-ok',
      protocol,
      server:
        flavor === '9.6'
          ? { version, buildId: `${version}-fake`, bootId: randomUUID(), connId: randomUUID() }
          : { version, connId: randomUUID() },
      features: { methods: ctx.methods, events: FAKE_EVENTS },
      snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 1000 },
      policy: { maxPayload, maxBufferedBytes: 52_428_800, tickIntervalMs },
    }
    // docs/protocol.md §3: auth differs per release.
    if (flavor === '3.13') {
      if (issued)
        payload.auth = {
          deviceToken: issued.token,
          role: 'operator',
          scopes: [...issued.scopes].sort(),
          issuedAtMs: issued.issuedAtMs,
        }
    } else if (flavor === '5.7') {
      payload.auth = issued
        ? {
            role: 'operator',
            scopes: [...issued.scopes].sort(),
            deviceToken: issued.token,
            issuedAtMs: issued.issuedAtMs,
          }
        : { role: 'operator', scopes: [] }
    } else {
      const auth: Record<string, unknown> = {
        method,
        role: 'operator',
        scopes,
        recoveryScope: randomBytes(32).toString('base64url'),
      }
      if (hadDevice) auth.recoveryMigrationAllowed = true
      if (issued) {
        auth.deviceToken = issued.token
        auth.issuedAtMs = issued.issuedAtMs
      }
      payload.auth = auth
    }
    return { type: 'res', id: '', ok: true, payload }
  }

  function handleConnect(conn: Conn, frame: Record<string, unknown>): void {
    const id = String(frame.id)
    const reject = (failure: HandshakeFailure): void => {
      if (failure.sendResponse !== false) send(conn, errorFrame(id, failure.error))
      closeConn(conn, failure.closeCode, failure.closeReason)
    }
    const params = (frame.params ?? {}) as Record<string, unknown>
    const client = (params.client ?? {}) as Record<string, unknown>
    const scopes = Array.isArray(params.scopes) ? (params.scopes as string[]) : []
    const auth = (params.auth ?? {}) as Record<string, string | undefined>
    const device = params.device as Record<string, unknown> | undefined

    const silent = takeFault(['silence-after-challenge', 'close-before-hello'])
    if (silent?.kind === 'silence-after-challenge') return
    if (silent?.kind === 'close-before-hello') {
      closeConn(conn, silent.code ?? 1000, silent.reason ?? '')
      return
    }
    // docs/protocol.md §2.2: closed enums; §2.5 check order.
    if (!CLIENT_IDS_ALLOWED.has(String(client.id)) || !CLIENT_MODES_ALLOWED.has(String(client.mode))) {
      const where = CLIENT_IDS_ALLOWED.has(String(client.id)) ? '/client/mode' : '/client/id'
      reject(
        fail({
          code: 'INVALID_REQUEST',
          message: `invalid connect params: at ${where}: must be equal to one of the allowed values`,
        }),
      )
      return
    }
    if (typeof client.version !== 'string' || typeof client.platform !== 'string') {
      reject(
        fail({
          code: 'INVALID_REQUEST',
          message: "invalid connect params: at /client: must have required property 'platform'",
        }),
      )
      return
    }
    const deviceId = typeof device?.id === 'string' ? device.id : undefined
    const forced = forcedHandshakeFault(scopes, deviceId)
    if (forced) {
      reject(forced)
      return
    }
    const minP = Number(params.minProtocol)
    const maxP = Number(params.maxProtocol)
    const inRange = protocol === 3 ? !(maxP < 3 || minP > 3) : maxP >= 4 && minP <= 4
    if (!inRange) {
      const details: Record<string, unknown> =
        protocol === 3
          ? { expectedProtocol: 3 }
          : {
              code: 'PROTOCOL_MISMATCH',
              clientMinProtocol: minP,
              clientMaxProtocol: maxP,
              expectedProtocol: 4,
              minimumProbeProtocol: 3,
            }
      reject(
        fail({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details }, 1002, 'protocol mismatch'),
      )
      return
    }
    const role = params.role ?? 'operator'
    if (role !== 'operator' && role !== 'node') {
      reject(fail({ code: 'INVALID_REQUEST', message: 'invalid role' }))
      return
    }

    // docs/protocol.md §5.1/§5.2: shared secret first, device token as a fallback when a device is present.
    const sharedOk =
      (sharedToken !== undefined && auth.token === sharedToken) ||
      (password !== undefined && auth.password === password)
    if (!device) {
      if (!sharedOk) {
        if (auth.token !== undefined && sharedToken !== undefined) {
          reject(tokenMismatch())
        } else if (auth.password !== undefined && password !== undefined) {
          reject(authFailure('AUTH_PASSWORD_MISMATCH', 'unauthorized: gateway password mismatch'))
        } else {
          reject(
            fail({
              code: 'NOT_PAIRED',
              message: 'device identity required',
              details: { code: 'DEVICE_IDENTITY_REQUIRED' },
            }),
          )
        }
        return
      }
      // docs/protocol.md §5.3: token-only scopes are cleared, except cli/cli (9.6) and gateway-client/backend (5.7+).
      const keep =
        (flavor === '9.6' && client.id === 'cli' && client.mode === 'cli') ||
        (flavor !== '3.13' && client.id === 'gateway-client' && client.mode === 'backend')
      finishHello(
        conn,
        id,
        keep ? scopes : [],
        auth.password !== undefined ? 'password' : 'token',
        undefined,
        false,
      )
      return
    }

    const deviceTokenCandidate = auth.deviceToken ?? auth.token
    const signatureToken = auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ''
    const proofFailure = verifyDevice(device, params, conn, signatureToken)
    if (proofFailure) {
      reject(proofFailure)
      return
    }
    const paired = devices.get(String(device.id))
    let method: 'token' | 'device-token' | 'password' = auth.password !== undefined ? 'password' : 'token'
    if (!sharedOk) {
      if (deviceTokenCandidate === undefined) {
        reject(
          authFailure(
            sharedToken !== undefined ? 'AUTH_TOKEN_MISSING' : 'AUTH_PASSWORD_MISSING',
            'unauthorized: gateway token missing (provide gateway auth token)',
          ),
        )
        return
      }
      const stored = paired?.tokens.get(String(role))
      if (!stored || stored.token !== deviceTokenCandidate) {
        if (auth.deviceToken !== undefined || sharedToken === undefined) {
          reject(
            authFailure(
              'AUTH_DEVICE_TOKEN_MISMATCH',
              'unauthorized: device token mismatch (rotate/reissue device token)',
            ),
          )
        } else {
          reject(tokenMismatch())
        }
        return
      }
      if (!scopes.every((s) => scopeSatisfied(stored.scopes, s))) {
        reject(
          authFailure(
            'AUTH_SCOPE_MISMATCH',
            'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
          ),
        )
        return
      }
      method = 'device-token'
    }

    // docs/protocol.md §5.4: pairing.
    let record = paired
    if (!record) {
      if (!autoPair) {
        const request = ctx.pairingRequest({
          deviceId: String(device.id),
          publicKey: String(device.publicKey),
          clientId: String(client.id),
          platform: String(client.platform),
          scopes: [...scopes].sort(),
          isRepair: false,
          reason: 'not-paired',
        })
        reject(pairingFailure('not-paired', String(device.id), scopes, request))
        return
      }
      record = {
        deviceId: String(device.id),
        publicKey: String(device.publicKey),
        approvedScopes: [...scopes],
        clientId: String(client.id),
        platform: String(client.platform),
        tokens: new Map(),
      }
      devices.set(record.deviceId, record)
    } else if (!scopes.every((s) => scopeSatisfied(record?.approvedScopes ?? [], s))) {
      if (!autoApproveScopeUpgrade || method === 'device-token') {
        const request = ctx.pairingRequest({
          deviceId: record.deviceId,
          publicKey: record.publicKey,
          clientId: record.clientId,
          platform: record.platform,
          scopes: [...scopes].sort(),
          isRepair: true,
          reason: 'scope-upgrade',
        })
        const approvedScopes = [...record.approvedScopes].sort()
        reject(pairingFailure('scope-upgrade', record.deviceId, scopes, { ...request, approvedScopes }))
        return
      }
      record.approvedScopes = [...new Set([...record.approvedScopes, ...scopes])]
    }
    // docs/protocol.md §5.6: reuse a covering token, else mint one (43 chars base64url).
    let issued = record.tokens.get(String(role))
    if (!issued || !scopes.every((s) => scopeSatisfied(issued?.scopes ?? [], s))) {
      issued = { token: randomBytes(32).toString('base64url'), scopes: [...scopes], issuedAtMs: now() }
      record.tokens.set(String(role), issued)
    }
    conn.deviceId = record.deviceId
    finishHello(conn, id, scopes, method, issued, true)
  }

  function finishHello(
    conn: Conn,
    id: string,
    scopes: string[],
    method: 'token' | 'device-token' | 'password',
    issued: { token: string; scopes: string[]; issuedAtMs: number } | undefined,
    hadDevice: boolean,
  ): void {
    conn.helloDone = true
    conn.scopes = scopes
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
    const frame = helloOk(conn, scopes, method, issued, hadDevice)
    frame.id = id
    send(conn, frame)
    if (sendTicks) {
      conn.tick = setInterval(() => sendEvent(conn, 'tick', { ts: now() }), tickIntervalMs)
    }
  }

  return { handleConnect }
}
