/**
 * A scriptable fake OpenClaw gateway: a real `ws` server on 127.0.0.1 that speaks the v3 (3.13 / 5.7) or v4 (9.6)
 * handshake, verifies device signatures, keeps cron jobs in memory and injects every fault a client must survive.
 * It verifies signatures with its own payload builder and node:crypto (only the client id/mode enums come from
 * `@clawlink/protocol`), so a client test against it also cross-checks the protocol package.
 *
 * ```ts
 * const gw = await startFakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly' }] })
 * // point the client / CLI / MCP server at gw.url with token gw.token
 * gw.setFault({ kind: 'gateway-starting', times: 2, retryAfterMs: 20 }) // next two connects get 1013
 * gw.requests('cron.run') // what the client sent
 * await gw.close()
 * ```
 */
import { createHash, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { CLIENT_IDS, CLIENT_MODES } from '@clawlink/protocol'
import { type WebSocket, WebSocketServer } from 'ws'

/** Which real release the fake imitates (hello-ok shape, error shapes, cron event fields). */
export type FakeGatewayFlavor = '3.13' | '5.7' | '9.6'

/** A wire error as the gateway sends it (PROTOCOL.md §1.2). */
export type FakeWireError = {
  code: string
  message: string
  details?: Record<string, unknown>
  retryable?: boolean
  retryAfterMs?: number
}

/**
 * Faults the fake injects. Handshake faults apply to the next `connect` (or socket); request faults apply to
 * requests whose method matches `method` (any method when omitted). `times` limits how often the fault fires
 * (default: until `setFault()` replaces it).
 */
export type FakeGatewayFault = (
  | { kind: 'no-challenge' }
  | { kind: 'silence-after-challenge' }
  | { kind: 'close-before-hello'; code?: number; reason?: string }
  | { kind: 'gateway-starting'; retryAfterMs?: number }
  | { kind: 'protocol-mismatch' }
  | {
      kind: 'pairing-required'
      reason?: 'not-paired' | 'scope-upgrade' | 'metadata-upgrade' | 'role-upgrade'
    }
  | { kind: 'auth-token-mismatch' }
  | { kind: 'device-token-mismatch' }
  | { kind: 'signature-expired' }
  | { kind: 'auth-rate-limited'; retryAfterMs?: number }
  | {
      kind: 'connect-error'
      error: FakeWireError
      closeCode?: number
      closeReason?: string
      sendResponse?: boolean
    }
  | { kind: 'rate-limited'; method?: string; retryAfterMs?: number }
  | { kind: 'no-response'; method?: string }
  | { kind: 'close-mid-request'; method?: string; code?: number; reason?: string }
  | { kind: 'interim-accepted'; method?: string }
  | { kind: 'malformed-json'; method?: string }
  | { kind: 'unknown-frame'; method?: string }
  | { kind: 'oversized-frame'; method?: string; bytes: number }
) & { times?: number }

/** A cron job as stored by the fake (a subset of the real CronJob, PROTOCOL.md §7.2). */
export type FakeCronJob = {
  id: string
  name: string
  enabled: boolean
  schedule: Record<string, unknown>
  payload: Record<string, unknown>
  /** Outcome of a run: `ok` (default) or `error`. */
  outcome?: 'ok' | 'error'
  /** How long a run takes before `finished` is broadcast. @default 20 */
  runDurationMs?: number
  nextRunAtMs?: number
  running?: boolean
}

/** One recorded frame; `frame` is the parsed JSON, or undefined when the text was not JSON. */
export type FakeFrameRecord = {
  connId: number
  direction: 'in' | 'out'
  text: string
  frame: Record<string, unknown> | undefined
}

/** A device the fake has paired. */
export type FakePairedDevice = {
  deviceId: string
  publicKey: string
  approvedScopes: string[]
  clientId: string
  platform: string
  tokens: Map<string, { token: string; scopes: string[]; issuedAtMs: number }>
}

export type FakeGatewayOptions = {
  /** Release to imitate. @default '9.6' */
  flavor?: FakeGatewayFlavor
  /** Shared gateway token; `undefined` with no password means no shared auth is configured. @default 'fake-shared-token' */
  token?: string
  password?: string
  /** Silently pair new devices, like a loopback gateway with a shared secret. @default true */
  autoPair?: boolean
  /** Approve scope upgrades silently (3.13 and 9.6 loopback do, 5.7 never does). @default flavor !== '5.7' */
  autoApproveScopeUpgrade?: boolean
  /** `policy.tickIntervalMs` in hello-ok, and the tick period. @default 30000 */
  tickIntervalMs?: number
  /** Send `tick` events at all. @default true */
  sendTicks?: boolean
  /** `policy.maxPayload`; frames above it close the socket with 1009 like `ws` does. @default 26214400 */
  maxPayload?: number
  /** Server clock offset added to `Date.now()` for the challenge ts and the signature-age check. @default 0 */
  clockOffsetMs?: number
  /** Leave `ts` out of `connect.challenge` (old or odd servers). @default false */
  omitChallengeTs?: boolean
  /** Close a socket that has not completed `connect` after this long (code 1000, empty reason). @default 15000 */
  handshakeTimeoutMs?: number
  /** Jobs present at start (ids generated when absent). */
  jobs?: Array<Partial<FakeCronJob> & { name: string }>
  /** Initial fault. */
  fault?: FakeGatewayFault
  /** Serve `wss://` with this PEM key and certificate (for TLS pinning tests). */
  tls?: { key: string; cert: string }
  /** Listen on this port (e.g. to restart a gateway where a client expects it). @default a free port */
  port?: number
}

/** A running fake gateway. */
export type FakeGateway = {
  /** `ws://127.0.0.1:<port>` (`wss://` with the tls option) */
  readonly url: string
  readonly port: number
  readonly flavor: FakeGatewayFlavor
  readonly protocol: 3 | 4
  /** Shared token the fake accepts (undefined when none is configured). */
  readonly token: string | undefined
  /** Every frame received and sent, in order. */
  readonly frames: FakeFrameRecord[]
  /** In-memory cron jobs, keyed by id. */
  readonly jobs: Map<string, FakeCronJob>
  /** Paired devices, keyed by deviceId. */
  readonly devices: Map<string, FakePairedDevice>
  /** Number of sockets accepted so far. */
  readonly connectionCount: number
  /** Frames received with `type:"req"` and the given method (convenience over `frames`). */
  requests(method?: string): Array<Record<string, unknown>>
  /** Replace the current fault (undefined clears it). */
  setFault(fault: FakeGatewayFault | undefined): void
  /** Add a job; returns it. */
  addJob(job: Partial<FakeCronJob> & { name: string }): FakeCronJob
  /** Broadcast an event to every connected (hello-ok) client. */
  broadcast(event: string, payload?: unknown): void
  /** Send `event shutdown` then close every socket with 1012 "service restart" (PROTOCOL.md §8). */
  shutdown(): void
  /** Close every open socket with the given code (default 1001). */
  dropConnections(code?: number, reason?: string): void
  /** Revoke every issued device token (the next device-token connect gets AUTH_DEVICE_TOKEN_MISMATCH). */
  revokeDeviceTokens(): void
  close(): Promise<void>
}

const PREAUTH_MAX_BYTES = 65_536 // PROTOCOL.md §1.4
const SIGNATURE_SKEW_MS = 120_000 // PROTOCOL.md §4.3
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const CLIENT_IDS_ALLOWED = new Set<string>(CLIENT_IDS)
const CLIENT_MODES_ALLOWED = new Set<string>(CLIENT_MODES)
// PROTOCOL.md §7.4 (the part the fake serves); anything unlisted needs operator.admin.
const METHOD_SCOPES: Record<string, string | null> = {
  health: null,
  'cron.list': 'operator.read',
  'cron.status': 'operator.read',
  'cron.runs': 'operator.read',
  'cron.get': 'operator.read',
  status: 'operator.read',
  echo: 'operator.read',
  wake: 'operator.write',
  'cron.add': 'operator.admin',
  'cron.update': 'operator.admin',
  'cron.remove': 'operator.admin',
  'cron.run': 'operator.admin',
  'device.pair.list': 'operator.pairing',
}
const FAKE_METHODS = Object.keys(METHOD_SCOPES)
const FAKE_EVENTS = ['connect.challenge', 'tick', 'shutdown', 'health', 'cron', 'presence']

type Conn = {
  id: number
  ws: WebSocket
  nonce: string
  helloDone: boolean
  scopes: string[]
  deviceId?: string
  seq: number
  tick?: NodeJS.Timeout
  handshakeTimer?: NodeJS.Timeout
}

type HandshakeFailure = {
  error: FakeWireError
  closeCode: number
  closeReason?: string
  sendResponse?: boolean
}

function normalizeMetadata(value: unknown): string {
  if (typeof value !== 'string') return ''
  const trimmed = value.trim()
  return trimmed.replace(/[A-Z]/g, (c) => c.toLowerCase())
}

function scopeSatisfied(held: readonly string[], needed: string): boolean {
  if (held.includes(needed) || held.includes('operator.admin')) return true
  if (needed === 'operator.read' && held.includes('operator.write')) return true
  return false
}

function base64UrlToBuffer(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

function errorFrame(id: string, error: FakeWireError): Record<string, unknown> {
  return { type: 'res', id, ok: false, error }
}

/** Start a fake gateway on 127.0.0.1 with a free port. */
export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const flavor = options.flavor ?? '9.6'
  const protocol: 3 | 4 = flavor === '9.6' ? 4 : 3
  const sharedToken = 'token' in options ? options.token : 'fake-shared-token'
  const password = options.password
  const autoPair = options.autoPair ?? true
  const autoApproveScopeUpgrade = options.autoApproveScopeUpgrade ?? flavor !== '5.7'
  const tickIntervalMs = options.tickIntervalMs ?? 30_000
  const sendTicks = options.sendTicks ?? true
  const maxPayload = options.maxPayload ?? 26_214_400
  const clockOffsetMs = options.clockOffsetMs ?? 0
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000
  const version = flavor === '3.13' ? '2026.3.13' : flavor === '5.7' ? '2026.5.7' : '2026.9.6'

  const frames: FakeFrameRecord[] = []
  const jobs = new Map<string, FakeCronJob>()
  const runs: Array<Record<string, unknown>> = []
  const devices = new Map<string, FakePairedDevice>()
  const conns = new Set<Conn>()
  let fault: FakeGatewayFault | undefined = options.fault
  let connCounter = 0
  let runCounter = 0
  let globalSeq = 0
  const timers = new Set<NodeJS.Timeout>()

  const now = (): number => Date.now() + clockOffsetMs

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }

  function addJob(input: Partial<FakeCronJob> & { name: string }): FakeCronJob {
    const job: FakeCronJob = {
      id: input.id ?? randomUUID(),
      name: input.name,
      enabled: input.enabled ?? true,
      schedule: input.schedule ?? { kind: 'every', everyMs: 3_600_000 },
      payload: input.payload ?? { kind: 'systemEvent', text: `hello from ${input.name}` },
      outcome: input.outcome ?? 'ok',
      runDurationMs: input.runDurationMs ?? 20,
      nextRunAtMs: input.nextRunAtMs ?? now() + 3_600_000,
      running: false,
    }
    jobs.set(job.id, job)
    return job
  }
  for (const job of options.jobs ?? []) addJob(job)

  /** Consume one use of the current fault when it matches `kinds` (and `method`, for request faults). */
  function takeFault<K extends FakeGatewayFault['kind']>(
    kinds: readonly K[],
    method?: string,
  ): Extract<FakeGatewayFault, { kind: K }> | undefined {
    const current = fault
    if (!current || !(kinds as readonly string[]).includes(current.kind)) return undefined
    const wanted = 'method' in current ? current.method : undefined
    if (wanted !== undefined && method !== undefined && wanted !== method) return undefined
    if (current.times !== undefined) {
      const left = current.times - 1
      fault = left > 0 ? { ...current, times: left } : undefined
    }
    return current as Extract<FakeGatewayFault, { kind: K }>
  }

  function send(conn: Conn, frame: Record<string, unknown> | string): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame)
    frames.push({
      connId: conn.id,
      direction: 'out',
      text,
      frame: typeof frame === 'string' ? undefined : frame,
    })
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text)
  }

  function closeConn(conn: Conn, code: number, reason = ''): void {
    // The server truncates close reasons to fit the 123-byte limit (PROTOCOL.md §5.4).
    const safe = Buffer.from(reason).length > 120 ? reason.slice(0, 100) : reason
    if (conn.ws.readyState === conn.ws.OPEN || conn.ws.readyState === conn.ws.CONNECTING)
      conn.ws.close(code, safe)
  }

  function sendEvent(conn: Conn, event: string, payload: unknown, withSeq = true): void {
    const frame: Record<string, unknown> = { type: 'event', event, payload }
    if (withSeq) {
      // 3.13 uses one global counter (gaps are normal), later versions count per client (PROTOCOL.md §1.2).
      frame.seq = flavor === '3.13' ? ++globalSeq : ++conn.seq
    }
    send(conn, frame)
  }

  function broadcast(event: string, payload?: unknown): void {
    for (const conn of conns) if (conn.helloDone) sendEvent(conn, event, payload)
  }

  function fail(error: FakeWireError, closeCode = 1008, closeReason?: string): HandshakeFailure {
    return { error, closeCode, closeReason: closeReason ?? error.message }
  }

  function authFailure(code: string, message: string, extra: Record<string, unknown> = {}): HandshakeFailure {
    const nextStep =
      code === 'AUTH_TOKEN_MISSING' || code === 'AUTH_PASSWORD_MISSING'
        ? 'update_auth_configuration'
        : code === 'AUTH_SCOPE_MISMATCH'
          ? 'review_auth_configuration'
          : code === 'AUTH_RATE_LIMITED'
            ? 'wait_then_retry'
            : 'update_auth_credentials'
    return fail({
      code: 'INVALID_REQUEST',
      message,
      details: {
        code,
        authReason: code.replace(/^AUTH_/, '').toLowerCase(),
        canRetryWithDeviceToken: false,
        recommendedNextStep: nextStep,
        ...extra,
      },
    })
  }

  function tokenMismatch(): HandshakeFailure {
    // PROTOCOL.md §5.1: the hint in the message changed in 9.6.
    return authFailure(
      'AUTH_TOKEN_MISMATCH',
      flavor === '9.6'
        ? 'unauthorized: gateway token mismatch (use this gateway\u2019s gateway.auth.token or pair the device)'
        : 'unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)',
    )
  }

  function pairingFailure(reason: string, deviceId: string | undefined, scopes: string[]): HandshakeFailure {
    const requestId = randomUUID()
    if (flavor === '3.13') {
      return fail(
        {
          code: 'NOT_PAIRED',
          message: 'pairing required',
          details: { code: 'PAIRING_REQUIRED', requestId, reason },
        },
        1008,
        'pairing required',
      )
    }
    const requirement =
      reason === 'scope-upgrade'
        ? 'device is asking for more scopes than currently approved'
        : reason === 'metadata-upgrade'
          ? 'device metadata changed'
          : reason === 'role-upgrade'
            ? 'device is asking for a role that is not approved'
            : 'device is not approved yet'
    const message = `pairing required: ${requirement}`
    return fail(
      {
        code: 'NOT_PAIRED',
        message,
        details: {
          code: 'PAIRING_REQUIRED',
          requestId,
          reason,
          remediationHint:
            reason === 'scope-upgrade'
              ? 'Review the requested scopes, then approve the pending upgrade.'
              : 'Approve this device from the pending pairing requests.',
          deviceId,
          requestedRole: 'operator',
          requestedScopes: scopes,
        },
      },
      1008,
      `${message} (requestId: ${requestId})`,
    )
  }

  function forcedHandshakeFault(scopes: string[], deviceId?: string): HandshakeFailure | undefined {
    const f = takeFault([
      'gateway-starting',
      'protocol-mismatch',
      'pairing-required',
      'auth-token-mismatch',
      'device-token-mismatch',
      'signature-expired',
      'auth-rate-limited',
      'connect-error',
    ])
    if (!f) return undefined
    switch (f.kind) {
      case 'gateway-starting':
        return fail(
          {
            code: 'UNAVAILABLE',
            message: 'gateway starting; retry shortly',
            retryable: true,
            retryAfterMs: f.retryAfterMs ?? 500,
            details: { reason: 'startup-sidecars' },
          },
          1013,
          'gateway starting',
        )
      case 'protocol-mismatch':
        return fail(
          {
            code: 'INVALID_REQUEST',
            message: 'protocol mismatch',
            details: {
              code: 'PROTOCOL_MISMATCH',
              clientMinProtocol: 3,
              clientMaxProtocol: 4,
              expectedProtocol: 5,
            },
          },
          1002,
          'protocol mismatch',
        )
      case 'pairing-required':
        return pairingFailure(f.reason ?? 'not-paired', deviceId, scopes)
      case 'auth-token-mismatch':
        return tokenMismatch()
      case 'device-token-mismatch':
        return authFailure(
          'AUTH_DEVICE_TOKEN_MISMATCH',
          'unauthorized: device token mismatch (rotate/reissue device token)',
        )
      case 'signature-expired':
        return fail({
          code: 'INVALID_REQUEST',
          message: 'device signature expired',
          details: { code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' },
        })
      case 'auth-rate-limited':
        return authFailure('AUTH_RATE_LIMITED', 'unauthorized: too many failed authentication attempts', {
          retryAfterMs: f.retryAfterMs ?? 60_000,
        })
      case 'connect-error':
        return {
          error: f.error,
          closeCode: f.closeCode ?? 1008,
          closeReason: f.closeReason ?? f.error.message,
          sendResponse: f.sendResponse ?? true,
        }
    }
    return undefined
  }

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
    // PROTOCOL.md §4.3: id, age, nonce, signature, in that order.
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
      features: { methods: FAKE_METHODS, events: FAKE_EVENTS },
      snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 1000 },
      policy: { maxPayload, maxBufferedBytes: 52_428_800, tickIntervalMs },
    }
    // PROTOCOL.md §3: auth differs per release.
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
    // PROTOCOL.md §2.2: closed enums; §2.5 check order.
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

    // PROTOCOL.md §5.1/§5.2: shared secret first, device token as a fallback when a device is present.
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
      // PROTOCOL.md §5.3: token-only scopes are cleared, except cli/cli (9.6) and gateway-client/backend (5.7+).
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

    // PROTOCOL.md §5.4: pairing.
    let record = paired
    if (!record) {
      if (!autoPair) {
        reject(pairingFailure('not-paired', String(device.id), scopes))
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
        reject(pairingFailure('scope-upgrade', record.deviceId, scopes))
        return
      }
      record.approvedScopes = [...new Set([...record.approvedScopes, ...scopes])]
    }
    // PROTOCOL.md §5.6: reuse a covering token, else mint one (43 chars base64url).
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

  function missingScopeError(scope: string): FakeWireError {
    // PROTOCOL.md §5.7: v3 INVALID_REQUEST text, v4 FORBIDDEN + MISSING_SCOPE.
    return protocol === 3
      ? { code: 'INVALID_REQUEST', message: `missing scope: ${scope}` }
      : {
          code: 'FORBIDDEN',
          message: `missing scope: ${scope}`,
          details: { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [scope] },
        }
  }

  function unknownJob(jobId: string): FakeWireError {
    // PROTOCOL.md §7.2
    return protocol === 3
      ? { code: 'UNAVAILABLE', message: `Error: unknown cron job id: ${jobId}` }
      : {
          code: 'INVALID_REQUEST',
          message: `Automation not found: ${jobId}. List automations and retry with a current job id.`,
          details: { code: 'CRON_JOB_NOT_FOUND', jobId },
        }
  }

  function jobView(job: FakeCronJob): Record<string, unknown> {
    return {
      id: job.id,
      name: job.name,
      enabled: job.enabled,
      createdAtMs: 0,
      updatedAtMs: 0,
      schedule: job.schedule,
      sessionTarget: 'main',
      wakeMode: 'next-heartbeat',
      payload: job.payload,
      state: { nextRunAtMs: job.nextRunAtMs, ...(job.running ? { runningAtMs: now() } : {}) },
    }
  }

  function startRun(job: FakeCronJob, runId: string): void {
    job.running = true
    const runAtMs = now()
    later(1, () => {
      broadcast('cron', {
        jobId: job.id,
        action: 'started',
        runAtMs,
        ...(flavor === '3.13' ? {} : { job: jobView(job) }),
      })
      later(job.runDurationMs ?? 20, () => {
        job.running = false
        const ok = job.outcome !== 'error'
        const finished: Record<string, unknown> = {
          jobId: job.id,
          action: 'finished',
          status: ok ? 'ok' : 'error',
          ...(ok ? { summary: String(job.payload.text ?? 'ok') } : { error: 'fake run failed' }),
          runAtMs,
          durationMs: job.runDurationMs ?? 20,
          nextRunAtMs: job.nextRunAtMs,
        }
        // PROTOCOL.md §7.3: 3.13 finished events carry no runId.
        if (flavor !== '3.13') finished.runId = runId
        if (flavor === '9.6') finished.completionStatus = ok ? 'succeeded' : 'failed'
        runs.unshift({ ts: now(), ...finished, jobName: job.name })
        broadcast('cron', finished)
      })
    })
  }

  function handleMethod(
    method: string,
    params: Record<string, unknown>,
  ): { payload?: unknown; error?: FakeWireError } {
    switch (method) {
      case 'health':
        return { payload: { ok: true, ts: now() } }
      case 'echo':
        return { payload: params }
      case 'status':
        return { payload: { ok: true } }
      case 'cron.list':
        return {
          payload: {
            jobs: [...jobs.values()].filter((j) => j.enabled || params.includeDisabled === true).map(jobView),
            total: jobs.size,
            offset: 0,
            limit: 200,
            hasMore: false,
            nextOffset: null,
          },
        }
      case 'cron.status':
        return {
          payload: { enabled: true, storePath: '/fake/cron/jobs.json', jobs: jobs.size, nextWakeAtMs: null },
        }
      case 'cron.runs': {
        const id = (params.id ?? params.jobId) as string | undefined
        const entries = runs.filter((r) => id === undefined || r.jobId === id)
        return {
          payload: { entries, total: entries.length, offset: 0, limit: 50, hasMore: false, nextOffset: null },
        }
      }
      case 'cron.add': {
        if (typeof params.name !== 'string')
          return {
            error: {
              code: 'INVALID_REQUEST',
              message: "invalid cron.add params: must have required property 'name'",
            },
          }
        const job = addJob({
          name: params.name,
          schedule: params.schedule as Record<string, unknown>,
          payload: params.payload as Record<string, unknown>,
        })
        broadcast('cron', { jobId: job.id, action: 'added', nextRunAtMs: job.nextRunAtMs })
        return { payload: jobView(job) }
      }
      case 'cron.remove': {
        const id = String(params.id ?? params.jobId)
        const removed = jobs.delete(id)
        if (removed) broadcast('cron', { jobId: id, action: 'removed' })
        return { payload: { ok: true, removed } }
      }
      case 'cron.run': {
        const keys = Object.keys(params)
        const mode = params.mode ?? 'force'
        const hasId = typeof params.id === 'string'
        const hasJobId = typeof params.jobId === 'string'
        const allowed = new Set(['id', 'jobId', 'mode', 'expectedProcessInstanceId'])
        if (
          hasId === hasJobId ||
          keys.some((k) => !allowed.has(k)) ||
          !['force', 'due', 'if-enabled'].includes(String(mode))
        )
          return {
            error: {
              code: 'INVALID_REQUEST',
              message: 'invalid cron.run params: must match a schema in anyOf',
            },
          }
        const jobId = String(params.id ?? params.jobId)
        const job = jobs.get(jobId)
        if (!job) return { error: unknownJob(jobId) }
        if (job.running) return { payload: { ok: true, ran: false, reason: 'already-running' } }
        if (mode === 'due' && (job.nextRunAtMs ?? Number.POSITIVE_INFINITY) > now())
          return { payload: { ok: true, ran: false, reason: 'not-due' } }
        const runId = `manual:${job.id}:${now()}:${++runCounter}`
        startRun(job, runId)
        return {
          payload: {
            ok: true,
            enqueued: true,
            runId,
            ...(flavor === '9.6' ? { processInstanceId: 'fake-process' } : {}),
          },
        }
      }
      default:
        return { error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` } }
    }
  }

  function handleRequest(conn: Conn, frame: Record<string, unknown>): void {
    const id = String(frame.id)
    const method = String(frame.method)
    const params = (frame.params ?? {}) as Record<string, unknown>
    if (method === 'connect') {
      send(
        conn,
        errorFrame(id, { code: 'INVALID_REQUEST', message: 'connect is only valid as the first request' }),
      )
      return
    }
    const f = takeFault(
      [
        'rate-limited',
        'no-response',
        'close-mid-request',
        'interim-accepted',
        'malformed-json',
        'unknown-frame',
        'oversized-frame',
      ],
      method,
    )
    if (f?.kind === 'no-response') return
    if (f?.kind === 'close-mid-request') {
      closeConn(conn, f.code ?? 1011, f.reason ?? 'internal error')
      return
    }
    if (f?.kind === 'malformed-json') send(conn, '{"type":"res", this is not json')
    if (f?.kind === 'unknown-frame') send(conn, { type: 'mystery', id, hello: true })
    if (f?.kind === 'oversized-frame') {
      send(conn, { type: 'event', event: 'bulk', payload: 'x'.repeat(f.bytes) })
      return
    }
    if (f?.kind === 'rate-limited') {
      const retryAfterMs = f.retryAfterMs ?? 58_451
      send(
        conn,
        errorFrame(id, {
          code: 'UNAVAILABLE',
          message: `rate limit exceeded for ${method}; retry after ${Math.ceil(retryAfterMs / 1000)}s`,
          retryable: true,
          retryAfterMs,
          details: { method, limit: '30 per 60s' },
        }),
      )
      return
    }
    // PROTOCOL.md §5.7: health is always allowed; unclassified methods need admin.
    const needed = method in METHOD_SCOPES ? METHOD_SCOPES[method] : 'operator.admin'
    if (needed && !scopeSatisfied(conn.scopes, needed)) {
      send(conn, errorFrame(id, missingScopeError(needed)))
      return
    }
    if (f?.kind === 'interim-accepted')
      send(conn, { type: 'res', id, ok: true, payload: { status: 'accepted' } })
    const result = handleMethod(method, params)
    send(
      conn,
      result.error
        ? errorFrame(id, result.error)
        : { type: 'res', id, ok: true, payload: result.payload ?? null },
    )
  }

  const wsMaxPayload = Math.max(maxPayload, PREAUTH_MAX_BYTES)
  const httpsServer = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : undefined
  const wss = httpsServer
    ? new WebSocketServer({ server: httpsServer, maxPayload: wsMaxPayload })
    : new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, maxPayload: wsMaxPayload })
  await new Promise<void>((resolve, reject) => {
    if (httpsServer) {
      httpsServer.once('error', reject)
      httpsServer.listen(options.port ?? 0, '127.0.0.1', () => resolve())
    } else {
      wss.once('listening', resolve)
      wss.once('error', reject)
    }
  })
  const address = (httpsServer ? httpsServer.address() : wss.address()) as AddressInfo
  const port = address.port

  wss.on('connection', (ws) => {
    const conn: Conn = { id: ++connCounter, ws, nonce: randomUUID(), helloDone: false, scopes: [], seq: 0 }
    conns.add(conn)
    ws.on('close', () => {
      conns.delete(conn)
      if (conn.tick) clearInterval(conn.tick)
      if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
    })
    ws.on('error', () => {})
    conn.handshakeTimer = setTimeout(() => closeConn(conn, 1000, ''), handshakeTimeoutMs)
    if (!takeFault(['no-challenge'])) {
      const payload: Record<string, unknown> = { nonce: conn.nonce }
      if (!options.omitChallengeTs) payload.ts = now()
      if (flavor === '9.6') payload.capabilities = ['model-catalog-snapshot']
      send(conn, { type: 'event', event: 'connect.challenge', payload })
    }
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString()
      let frame: Record<string, unknown> | undefined
      try {
        const parsed: unknown = JSON.parse(text)
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          frame = parsed as Record<string, unknown>
      } catch {
        frame = undefined
      }
      frames.push({ connId: conn.id, direction: 'in', text, frame })
      if (!conn.helloDone) {
        // PROTOCOL.md §2.5 step 1: the ws maxPayload closes oversize pre-auth frames with 1009.
        if (Buffer.byteLength(text) > PREAUTH_MAX_BYTES) {
          closeConn(conn, 1009, '')
          return
        }
        if (frame?.type !== 'req') {
          closeConn(conn, 1000, '')
          return
        }
        if (frame.method !== 'connect') {
          send(
            conn,
            errorFrame(String(frame.id), {
              code: 'INVALID_REQUEST',
              message: 'invalid handshake: first request must be connect',
            }),
          )
          closeConn(conn, 1008, 'invalid handshake: first request must be connect')
          return
        }
        handleConnect(conn, frame)
        return
      }
      if (Buffer.byteLength(text) > maxPayload) {
        closeConn(conn, 1009, '')
        return
      }
      if (frame?.type !== 'req' || typeof frame.id !== 'string') {
        send(conn, errorFrame('', { code: 'INVALID_REQUEST', message: 'invalid request frame' }))
        return
      }
      handleRequest(conn, frame)
    })
  })

  const gateway: FakeGateway = {
    url: `${httpsServer ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    port,
    flavor,
    protocol,
    token: sharedToken,
    frames,
    jobs,
    devices,
    get connectionCount() {
      return connCounter
    },
    requests(method?: string) {
      return frames
        .filter(
          (f) =>
            f.direction === 'in' &&
            f.frame?.type === 'req' &&
            (method === undefined || f.frame.method === method),
        )
        .map((f) => f.frame as Record<string, unknown>)
    },
    setFault(next) {
      fault = next
    },
    addJob,
    broadcast,
    shutdown() {
      for (const conn of conns) {
        if (conn.helloDone)
          sendEvent(
            conn,
            'shutdown',
            flavor === '9.6'
              ? { reason: 'gateway stopping' }
              : { reason: 'gateway stopping', restartExpectedMs: null },
          )
        closeConn(conn, 1012, 'service restart')
      }
    },
    dropConnections(code = 1001, reason = 'going away') {
      for (const conn of conns) closeConn(conn, code, reason)
    },
    revokeDeviceTokens() {
      for (const device of devices.values()) device.tokens.clear()
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const conn of conns) {
        if (conn.tick) clearInterval(conn.tick)
        if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer)
        conn.ws.terminate()
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      if (httpsServer) await new Promise<void>((resolve) => httpsServer.close(() => resolve()))
    },
  }
  return gateway
}
