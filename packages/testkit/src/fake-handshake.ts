import { randomBytes, randomUUID } from 'node:crypto'
import { CLIENT_IDS, CLIENT_MODES } from '@clawlink/protocol'
import { verifyDevice } from './fake-device-proof.js'
import { connectParamsExtraKey, normalisedScopes57 } from './fake-schema.js'
import { authFailure, fail, forcedHandshakeFault, pairingFailure, tokenMismatch } from './fake-refusals.js'
import {
  type Conn,
  errorFrame,
  type FakeContext,
  type FakePairedDevice,
  type HandshakeFailure,
  scopeSatisfied,
} from './fake-types.js'

const CLIENT_IDS_ALLOWED = new Set<string>(CLIENT_IDS)
const CLIENT_MODES_ALLOWED = new Set<string>(CLIENT_MODES)
/** Events the fake announces in hello-ok. */
export const FAKE_EVENTS = ['connect.challenge', 'tick', 'shutdown', 'health', 'cron', 'presence']

type AuthMethod = 'token' | 'device-token' | 'password'
type IssuedToken = { token: string; scopes: string[]; issuedAtMs: number }

/** The server around the handshake, with the options it reads already defaulted. */
interface Handshake {
  ctx: FakeContext
  password: string | undefined
  autoPair: boolean
  autoApproveScopeUpgrade: boolean
  tickIntervalMs: number
  sendTicks: boolean
  maxPayload: number
}

/** One `connect` request, its params picked apart. */
interface ConnectRequest {
  conn: Conn
  id: string
  params: Record<string, unknown>
  client: Record<string, unknown>
  scopes: string[]
  auth: Record<string, string | undefined>
  device: Record<string, unknown> | undefined
  role: unknown
}

/** What an accepted connect gets: the socket's scopes and what hello-ok says about its auth. */
type Admission = { scopes: string[]; method: AuthMethod; issued?: IssuedToken; hadDevice: boolean }

function parseConnect(conn: Conn, frame: Record<string, unknown>): ConnectRequest {
  const params = (frame.params ?? {}) as Record<string, unknown>
  return {
    conn,
    id: String(frame.id),
    params,
    client: (params.client ?? {}) as Record<string, unknown>,
    scopes: Array.isArray(params.scopes) ? (params.scopes as string[]) : [],
    auth: (params.auth ?? {}) as Record<string, string | undefined>,
    device: params.device as Record<string, unknown> | undefined,
    role: params.role ?? 'operator',
  }
}

function helloOk(
  hs: Handshake,
  scopes: string[],
  method: AuthMethod,
  issued?: IssuedToken,
  hadDevice = false,
): Record<string, unknown> {
  const { flavor, protocol, version } = hs.ctx
  const payload: Record<string, unknown> = {
    type: 'hello-ok',
    protocol,
    server:
      flavor === '9.6'
        ? { version, buildId: `${version}-fake`, bootId: randomUUID(), connId: randomUUID() }
        : { version, connId: randomUUID() },
    features: { methods: hs.ctx.methods, events: FAKE_EVENTS },
    snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 1000 },
    policy: { maxPayload: hs.maxPayload, maxBufferedBytes: 52_428_800, tickIntervalMs: hs.tickIntervalMs },
  }
  const auth = helloAuth(hs, scopes, method, issued, hadDevice)
  if (auth) payload.auth = auth
  return { type: 'res', id: '', ok: true, payload }
}

/** hello-ok's `auth`; undefined when the release sends none. */
function helloAuth(
  hs: Handshake,
  scopes: string[],
  method: AuthMethod,
  issued: IssuedToken | undefined,
  hadDevice: boolean,
): Record<string, unknown> | undefined {
  // docs/protocol.md §3: auth differs per release.
  if (hs.ctx.flavor === '3.13') {
    if (!issued) return undefined
    return {
      deviceToken: issued.token,
      role: 'operator',
      scopes: [...issued.scopes].sort(),
      issuedAtMs: issued.issuedAtMs,
    }
  }
  if (hs.ctx.flavor === '5.7') {
    return issued
      ? {
          role: 'operator',
          scopes: normalisedScopes57(issued.scopes),
          deviceToken: issued.token,
          issuedAtMs: issued.issuedAtMs,
        }
      : { role: 'operator', scopes: [] }
  }
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
  return auth
}

/** The checks before any auth (docs/protocol.md §2.5): closed enums, injected faults, protocol range, role. */
function checkParams(hs: Handshake, req: ConnectRequest): HandshakeFailure | undefined {
  const { client, scopes, device, params } = req
  // docs/protocol.md §2.2: v3's schema is closed at every level; closed enums; §2.5 check order.
  const extra = connectParamsExtraKey(params, hs.ctx.protocol)
  if (extra) return fail({ code: 'INVALID_REQUEST', message: `invalid connect params: ${extra}` })
  if (!CLIENT_IDS_ALLOWED.has(String(client.id)) || !CLIENT_MODES_ALLOWED.has(String(client.mode))) {
    const where = CLIENT_IDS_ALLOWED.has(String(client.id)) ? '/client/mode' : '/client/id'
    return fail({
      code: 'INVALID_REQUEST',
      message: `invalid connect params: at ${where}: must be equal to one of the allowed values`,
    })
  }
  if (typeof client.version !== 'string' || typeof client.platform !== 'string') {
    return fail({
      code: 'INVALID_REQUEST',
      message: "invalid connect params: at /client: must have required property 'platform'",
    })
  }
  const deviceId = typeof device?.id === 'string' ? device.id : undefined
  const forced = forcedHandshakeFault(hs.ctx, scopes, deviceId)
  if (forced) return forced
  const minP = Number(params.minProtocol)
  const maxP = Number(params.maxProtocol)
  const protocol = hs.ctx.protocol
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
    return fail({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details }, 1002, 'protocol mismatch')
  }
  if (req.role !== 'operator' && req.role !== 'node') {
    return fail({ code: 'INVALID_REQUEST', message: 'invalid role' })
  }
  return undefined
}

/** A connect without a device: the shared secret or nothing (docs/protocol.md §5.3). */
function admitWithoutDevice(
  hs: Handshake,
  req: ConnectRequest,
  sharedOk: boolean,
): HandshakeFailure | Admission {
  const { auth, client, scopes } = req
  const { sharedToken, flavor } = hs.ctx
  if (!sharedOk) {
    if (auth.token !== undefined && sharedToken !== undefined) return tokenMismatch(flavor)
    if (auth.password !== undefined && hs.password !== undefined)
      return authFailure('AUTH_PASSWORD_MISMATCH', 'unauthorized: gateway password mismatch')
    return fail({
      code: 'NOT_PAIRED',
      message: 'device identity required',
      details: { code: 'DEVICE_IDENTITY_REQUIRED' },
    })
  }
  // docs/protocol.md §5.3: token-only scopes are cleared, except cli/cli (9.6) and gateway-client/backend (5.7+).
  const keep =
    (flavor === '9.6' && client.id === 'cli' && client.mode === 'cli') ||
    (flavor !== '3.13' && client.id === 'gateway-client' && client.mode === 'backend')
  return {
    scopes: keep ? scopes : [],
    method: auth.password !== undefined ? 'password' : 'token',
    hadDevice: false,
  }
}

/** Without the shared secret a device needs a stored device token that covers its scopes (§5.2). */
function checkDeviceToken(
  hs: Handshake,
  req: ConnectRequest,
  paired: FakePairedDevice | undefined,
): HandshakeFailure | undefined {
  const { auth, scopes } = req
  const { sharedToken } = hs.ctx
  const deviceTokenCandidate = auth.deviceToken ?? auth.token
  // Real 9.6 in password mode: a wrong password with a signed device is a mismatch, not a missing secret.
  if (auth.password !== undefined && hs.password !== undefined && auth.deviceToken === undefined)
    return authFailure('AUTH_PASSWORD_MISMATCH', 'unauthorized: gateway password mismatch')
  if (deviceTokenCandidate === undefined) {
    return sharedToken !== undefined
      ? authFailure('AUTH_TOKEN_MISSING', 'unauthorized: gateway token missing (provide gateway auth token)')
      : authFailure('AUTH_PASSWORD_MISSING', 'unauthorized: gateway password missing')
  }
  const stored = paired?.tokens.get(String(req.role))
  if (!stored || stored.token !== deviceTokenCandidate) {
    if (auth.deviceToken !== undefined || sharedToken === undefined)
      return authFailure(
        'AUTH_DEVICE_TOKEN_MISMATCH',
        'unauthorized: device token mismatch (rotate/reissue device token)',
      )
    return tokenMismatch(hs.ctx.flavor)
  }
  if (!scopes.every((s) => scopeSatisfied(stored.scopes, s))) {
    return authFailure(
      'AUTH_SCOPE_MISMATCH',
      'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
    )
  }
  return undefined
}

/** docs/protocol.md §5.4: pairs a new device or widens its scopes, or refuses with a pending request. */
function pairedRecord(
  hs: Handshake,
  req: ConnectRequest,
  device: Record<string, unknown>,
  paired: FakePairedDevice | undefined,
  method: AuthMethod,
): HandshakeFailure | FakePairedDevice {
  const { client, scopes } = req
  const { ctx } = hs
  // A stale judgement sees the device as it was before its approval: not paired.
  const stale = paired !== undefined && ctx.takeFault(['stale-pairing']) !== undefined
  if (stale || (!paired && !hs.autoPair)) {
    const request = ctx.pairingRequest({
      deviceId: String(device.id),
      publicKey: String(device.publicKey),
      clientId: String(client.id),
      platform: String(client.platform),
      scopes: [...scopes].sort(),
      isRepair: false,
      reason: 'not-paired',
    })
    return pairingFailure(ctx.flavor, 'not-paired', String(device.id), scopes, request)
  }
  if (!paired) {
    const record: FakePairedDevice = {
      deviceId: String(device.id),
      publicKey: String(device.publicKey),
      approvedScopes: [...scopes],
      clientId: String(client.id),
      platform: String(client.platform),
      tokens: new Map(),
    }
    ctx.devices.set(record.deviceId, record)
    return record
  }
  if (scopes.every((s) => scopeSatisfied(paired.approvedScopes, s))) return paired
  if (!hs.autoApproveScopeUpgrade || method === 'device-token') {
    const request = ctx.pairingRequest({
      deviceId: paired.deviceId,
      publicKey: paired.publicKey,
      clientId: paired.clientId,
      platform: paired.platform,
      scopes: [...scopes].sort(),
      isRepair: true,
      reason: 'scope-upgrade',
    })
    const approvedScopes = [...paired.approvedScopes].sort()
    return pairingFailure(ctx.flavor, 'scope-upgrade', paired.deviceId, scopes, {
      ...request,
      approvedScopes,
    })
  }
  paired.approvedScopes = [...new Set([...paired.approvedScopes, ...scopes])]
  return paired
}

/** A connect with a device: proof, then auth (shared secret or device token), then pairing. */
function admitDevice(
  hs: Handshake,
  req: ConnectRequest,
  device: Record<string, unknown>,
  sharedOk: boolean,
): HandshakeFailure | Admission {
  const { auth, scopes } = req
  const signatureToken = auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ''
  const proofFailure = verifyDevice(hs.ctx.now, device, req.params, req.conn, signatureToken)
  if (proofFailure) return proofFailure
  const paired = hs.ctx.devices.get(String(device.id))
  let method: AuthMethod = auth.password !== undefined ? 'password' : 'token'
  if (!sharedOk) {
    const tokenFailure = checkDeviceToken(hs, req, paired)
    if (tokenFailure) return tokenFailure
    method = 'device-token'
  }
  const record = pairedRecord(hs, req, device, paired, method)
  if ('closeCode' in record) return record
  // docs/protocol.md §5.6: reuse a covering token, else mint one (43 chars base64url).
  const role = String(req.role)
  let issued = record.tokens.get(role)
  if (!issued || !scopes.every((s) => scopeSatisfied(issued?.scopes ?? [], s))) {
    issued = { token: randomBytes(32).toString('base64url'), scopes: [...scopes], issuedAtMs: hs.ctx.now() }
    record.tokens.set(role, issued)
  }
  req.conn.deviceId = record.deviceId
  return { scopes, method, issued, hadDevice: true }
}

function finishHello(hs: Handshake, conn: Conn, id: string, admission: Admission): void {
  const { send, sendEvent, now } = hs.ctx
  conn.helloDone = true
  conn.scopes = admission.scopes
  if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
  const frame = helloOk(hs, admission.scopes, admission.method, admission.issued, admission.hadDevice)
  frame.id = id
  send(conn, frame)
  if (hs.sendTicks) {
    conn.tick = setInterval(() => sendEvent(conn, 'tick', { ts: now() }), hs.tickIntervalMs)
  }
}

function handleConnect(hs: Handshake, conn: Conn, frame: Record<string, unknown>): void {
  const { ctx } = hs
  const req = parseConnect(conn, frame)
  const silent = ctx.takeFault(['silence-after-challenge', 'close-before-hello'])
  if (silent?.kind === 'silence-after-challenge') return
  if (silent?.kind === 'close-before-hello') {
    ctx.closeConn(conn, silent.code ?? 1000, silent.reason ?? '')
    return
  }
  let outcome: HandshakeFailure | Admission | undefined = checkParams(hs, req)
  if (!outcome) {
    // docs/protocol.md §5.1/§5.2: shared secret first, device token as a fallback when a device is present.
    const sharedOk =
      (ctx.sharedToken !== undefined && req.auth.token === ctx.sharedToken) ||
      (hs.password !== undefined && req.auth.password === hs.password)
    outcome = req.device ? admitDevice(hs, req, req.device, sharedOk) : admitWithoutDevice(hs, req, sharedOk)
  }
  if ('closeCode' in outcome) {
    if (outcome.sendResponse !== false) ctx.send(conn, errorFrame(req.id, outcome.error))
    ctx.closeConn(conn, outcome.closeCode, outcome.closeReason)
    return
  }
  finishHello(hs, conn, req.id, outcome)
}

/**
 * The fake's side of `connect` (docs/protocol.md §2, §4, §5): closed enums, injected faults, protocol range,
 * shared secret, device proof, device tokens, pairing, hello-ok per flavor.
 */
export function createFakeHandshake(ctx: FakeContext) {
  const hs: Handshake = {
    ctx,
    password: ctx.options.password,
    autoPair: ctx.options.autoPair ?? true,
    autoApproveScopeUpgrade: ctx.options.autoApproveScopeUpgrade ?? ctx.flavor !== '5.7',
    tickIntervalMs: ctx.options.tickIntervalMs ?? 30_000,
    sendTicks: ctx.options.sendTicks ?? true,
    maxPayload: ctx.options.maxPayload ?? 26_214_400,
  }
  return {
    handleConnect: (conn: Conn, frame: Record<string, unknown>): void => handleConnect(hs, conn, frame),
  }
}
