import { createRequire } from 'node:module'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import {
  buildConnectParams,
  CLAWLINK_SCOPES,
  classifyGatewayError,
  createDeviceProof,
  DEFAULT_MAX_PROTOCOL,
  DEFAULT_MIN_PROTOCOL,
  deriveDeviceId,
  describeCloseCode,
  effectiveScopes,
  encodeRequest,
  GatewayError,
  missingScope,
  normalizeFingerprint,
  parseCronEvent,
  parseHelloOk,
  parseServerFrame,
  scopeSatisfies,
} from '@clawlink/protocol'
import type { CronEvent, DeviceSigner, EventFrame, HelloOk, ServerFrame, WireError } from '@clawlink/protocol'
import type WebSocket from 'ws'
import type { ClientOptions as WsClientOptions } from 'ws'
import { type ReconnectOptions, backoffDelayMs } from './backoff.js'
import { abortedError, ClientError } from './errors.js'
import { describeFrameForLog } from './redact.js'
import type { DeviceTokenStore, StoredDeviceToken } from './token-store.js'
import { checkGatewayUrl, isLoopbackHost } from './url.js'

const CLIENT_VERSION = '0.1.0'
const MAX_INBOUND_FRAME_BYTES = 64 * 1024 * 1024 // above policy.maxPayload (25 MiB, PROTOCOL.md §1.4)
const RECENT_CRON_EVENTS = 200

type WebSocketClass = typeof WebSocket
let webSocketClass: WebSocketClass | undefined
/** `require('ws')` costs ~30 ms on Node 20, the ESM import ~90 ms (TOOLING.md §8): the CLI start-up budget. */
function loadWebSocket(): WebSocketClass {
  webSocketClass ??= createRequire(import.meta.url)('ws') as WebSocketClass
  return webSocketClass
}

/** Connection state of a `GatewayClient`. */
export type GatewayClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'paused' | 'closed'

/** Progress and warnings, for a CLI spinner, a log or the MCP server's stderr. */
export type ClientProgressEvent =
  | { kind: 'connecting'; url: string }
  | { kind: 'gateway-starting'; attempt: number; retryAfterMs: number }
  | { kind: 'device-token-cleared'; deviceId: string; reason: string }
  | { kind: 'retrying-auth'; with: 'shared-secret' | 'device-token' }
  | { kind: 'connected'; protocol: number; scopes: readonly string[]; authMethod: AuthMethod }
  | { kind: 'disconnected'; code: number; reason: string; error: Error }
  | { kind: 'reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { kind: 'reconnected' }
  | { kind: 'reconnect-paused'; error: Error }
  | {
      kind: 'warning'
      code: 'NO_SCOPES_TOKEN_ONLY' | 'SCOPES_REDUCED' | 'DEVICE_TOKEN_STORE'
      message: string
    }

/** How the last connect authenticated. */
export type AuthMethod = 'token' | 'password' | 'device-token' | 'none'

/** Client identity sent in `connect.params.client` (PROTOCOL.md §2.2, closed enums §2.3). */
export type ClientIdentityOptions = {
  /** @default 'cli' */
  id?: string
  /** @default 'cli' */
  mode?: string
  /** @default the clawlink client version */
  version?: string
  /** @default process.platform */
  platform?: string
  displayName?: string
  deviceFamily?: string
  instanceId?: string
}

/** Bounded retry while the gateway answers "gateway starting" (1013, PROTOCOL.md §2.5 step 3). */
export type StartingRetryOptions = {
  /** @default 60000 */
  maxWaitMs?: number
  /** @default 120 */
  maxAttempts?: number
}

export type GatewayClientOptions = {
  /** `ws://` or `wss://` gateway URL. */
  url: string
  /** Shared gateway token (`gateway.auth.token`). */
  token?: string
  /** Shared gateway password (`gateway.auth.password`). */
  password?: string
  /** Device identity; without one the gateway clears the scopes of most connections (PROTOCOL.md §5.3). */
  signer?: DeviceSigner
  /** Where device tokens are kept between runs. */
  deviceTokenStore?: DeviceTokenStore
  client?: ClientIdentityOptions
  /** @default 'operator' */
  role?: 'operator' | 'node'
  /** Requested up front: a later scope upgrade needs a human on 5.7 (PROTOCOL.md §5.4). @default CLAWLINK_SCOPES */
  scopes?: readonly string[]
  /** @default 3 */
  minProtocol?: number
  /** @default 4 */
  maxProtocol?: number
  /** Deadline for the socket to open, and again for the answer to `connect`. @default 10000 */
  connectTimeoutMs?: number
  /** Deadline for `connect.challenge` after the socket opened. @default 10000 */
  challengeTimeoutMs?: number
  /** Per-request deadline. @default 30000 */
  requestTimeoutMs?: number
  /** Retry budget while the gateway is starting. */
  startingRetry?: StartingRetryOptions
  /** SHA-256 certificate fingerprints; any match is accepted (PROTOCOL.md §10). */
  tlsFingerprints?: readonly string[]
  /** Allow `ws://` to a public host (the token travels in clear). @default false */
  allowInsecurePlaintext?: boolean
  /** Reconnect after an unexpected close (long-lived users such as the MCP server). @default false */
  reconnect?: boolean | ReconnectOptions
  /** Check method scopes locally before sending. @default true */
  scopePreflight?: boolean
  /** Receives every frame, secrets redacted. */
  debugLog?: (line: string) => void
  onProgress?: (event: ClientProgressEvent) => void
  /** Aborting closes the client. */
  signal?: AbortSignal
}

export type RequestOptions = {
  /** @default the client's requestTimeoutMs */
  timeoutMs?: number
  signal?: AbortSignal
  /** Skip interim `{status:"accepted"}` responses and wait for the final one (PROTOCOL.md §1.2). @default true */
  expectFinal?: boolean
}

export type WaitForCronOptions = { timeoutMs?: number; signal?: AbortSignal }

/** What identifies the run to wait for (PROTOCOL.md §7.3). */
export type CronRunRef = {
  jobId: string
  /** `runId` from `cron.run`; matched when the event carries one (5.7+). */
  runId?: string
  /** Only runs that started at or after this gateway-clock time; default: when `cron.run` was last called. */
  sinceMs?: number
}

type Pending = {
  method: string
  params: unknown
  expectFinal: boolean
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  cleanup: () => void
}

type Session = {
  ws: WebSocket
  hello: HelloOk
  scopes: readonly string[]
  tokenOnly: boolean
  authMethod: AuthMethod
  skewMs: number | undefined
  pending: Map<string, Pending>
  tickTimer?: NodeJS.Timeout
  shutdownSeen: boolean
  tickTimedOut: boolean
  ended: boolean
}

type AuthPlan = {
  token?: string
  password?: string
  deviceToken?: string
  method: AuthMethod
}

type AttemptResult = {
  session: Session
  issuedDeviceToken?: { token: string; scopes: string[]; issuedAtMs?: number }
}

const TERMINAL_GATEWAY_CODES = new Set([
  'PROTOCOL_MISMATCH',
  'PAIRING_REQUIRED',
  'SCOPE_UPGRADE_PENDING',
  'AUTH_TOKEN_MISMATCH',
  'AUTH_TOKEN_MISSING',
  'AUTH_PASSWORD_MISMATCH',
  'AUTH_PASSWORD_MISSING',
  'AUTH_DEVICE_TOKEN_MISMATCH',
  'AUTH_SCOPE_MISMATCH',
  'AUTH_RATE_LIMITED',
  'AUTH_FAILED',
  'DEVICE_IDENTITY_REQUIRED',
  'DEVICE_SIGNATURE_INVALID',
  'DEVICE_ID_MISMATCH',
  'DEVICE_PUBLIC_KEY_INVALID',
  'INVALID_CONNECT_PARAMS',
  'FORBIDDEN',
])
const TERMINAL_CLIENT_CODES = new Set([
  'INSECURE_URL',
  'INVALID_URL',
  'TLS_PIN_MISMATCH',
  'TLS_PIN_REQUIRES_WSS',
  'ABORTED',
])

/**
 * True when retrying the connect cannot help without a human (pairing, credentials, protocol, configuration);
 * reconnect pauses on these (PROTOCOL.md §8, reference-client behaviour).
 */
export function isTerminalConnectError(error: unknown): boolean {
  if (error instanceof GatewayError) return TERMINAL_GATEWAY_CODES.has(error.code)
  if (error instanceof ClientError) return TERMINAL_CLIENT_CODES.has(error.code)
  // Signer and protocol errors (bad key file, invalid client id) need a fix, not a retry.
  return !(error instanceof Error && (error as { code?: string }).code === 'SIGNER_TIMEOUT')
}

function isGatewayStarting(error: unknown): number | undefined {
  if (error instanceof GatewayError && error.code === 'GATEWAY_STARTING') return error.retryAfterMs ?? 500
  if (error instanceof ClientError && error.closeCode === 1013) return error.retryAfterMs ?? 500
  return undefined
}

function formatMs(ms: number): string {
  const abs = Math.abs(ms)
  if (abs < 1000) return `${abs} ms`
  if (abs < 120_000) return `${(abs / 1000).toFixed(1)} s`
  return `${(abs / 60_000).toFixed(1)} min`
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal, 'wait'))
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortedError(signal, 'wait'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function networkError(url: string, error: Error & { code?: string }): ClientError {
  const code = error.code
  if (code === 'ECONNREFUSED') {
    return new ClientError('CONNECT_REFUSED', `cannot connect to ${url}: connection refused`, {
      remedy:
        'Is the gateway running? Check with `openclaw gateway status`, and that the URL and port are right.',
      retryable: true,
      cause: error,
    })
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new ClientError('UNREACHABLE', `TLS certificate of ${url} was not accepted: ${error.message}`, {
      remedy:
        'For a self-signed gateway certificate, pin its SHA-256 fingerprint (tlsFingerprints / --tls-fingerprint) after verifying it out of band.',
      cause: error,
    })
  }
  const what =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'host name not found'
      : code === 'ETIMEDOUT'
        ? 'connection timed out'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? 'host unreachable'
          : code === 'ECONNRESET'
            ? 'connection reset'
            : error.message
  return new ClientError('UNREACHABLE', `cannot reach ${url}: ${what}`, {
    remedy: 'Check the gateway URL and the network path; is the gateway running? `openclaw gateway status`',
    retryable: true,
    cause: error,
  })
}

/**
 * A WebSocket client for the OpenClaw gateway, protocol v3 and v4: challenge, signed connect, requests,
 * events, device tokens, reconnect. Every wait has a deadline and honours an AbortSignal.
 */
export class GatewayClient {
  readonly url: string
  private readonly options: GatewayClientOptions
  private readonly parsedUrl: URL
  private readonly requestedScopes: readonly string[]
  private readonly role: 'operator' | 'node'
  private readonly pins: string[]
  private readonly reconnectOptions: ReconnectOptions | undefined
  private readonly listeners = new Map<string, Set<(frame: EventFrame) => void>>()
  private readonly recentCron: Array<{ event: CronEvent; receivedAtMs: number }> = []
  private readonly cronRunCalls = new Map<string, number>()
  private readonly sessionWaiters = new Set<{ resolve: (s: Session) => void; reject: (e: Error) => void }>()
  private readonly lifetime = new AbortController()
  private nextId = 0
  private currentState: GatewayClientState = 'idle'
  private session: Session | undefined
  private connecting: Promise<HelloOk> | undefined
  private lastHello: HelloOk | undefined
  private lastError: Error | undefined
  private readonly ownDeviceId: string | undefined

  constructor(options: GatewayClientOptions) {
    this.options = options
    this.url = options.url
    this.pins = (options.tlsFingerprints ?? [])
      .map((pin) => normalizeFingerprint(pin))
      .filter((pin) => pin !== '')
    this.parsedUrl = checkGatewayUrl(options.url, {
      allowInsecurePlaintext: options.allowInsecurePlaintext ?? false,
      tlsFingerprints: this.pins,
    })
    this.requestedScopes = [...(options.scopes ?? CLAWLINK_SCOPES)]
    this.role = options.role ?? 'operator'
    this.reconnectOptions =
      options.reconnect === true ? {} : options.reconnect === false ? undefined : options.reconnect
    this.ownDeviceId = options.signer ? deriveDeviceId(options.signer.publicKey) : undefined
    const outer = options.signal
    if (outer) {
      if (outer.aborted) this.lifetime.abort(outer.reason)
      else outer.addEventListener('abort', () => void this.close(), { once: true })
    }
  }

  /** Connection state. */
  get state(): GatewayClientState {
    return this.currentState
  }

  /** The last `hello-ok`, once connected. */
  get hello(): HelloOk | undefined {
    return this.lastHello
  }

  /** sha256 hex of the signer's public key; undefined without a signer. */
  get deviceId(): string | undefined {
    return this.ownDeviceId
  }

  /** Scopes this connection can use (v4: the live hello-ok scopes; v3: the requested ones unless cleared; §3 caveat). */
  get scopes(): readonly string[] {
    return this.session?.scopes ?? []
  }

  /** Negotiated protocol (3 or 4), once connected. */
  get protocol(): number | undefined {
    return this.lastHello?.protocol
  }

  /** Gateway clock minus local clock, measured at the last challenge (undefined when the challenge had no ts). */
  get clockSkewMs(): number | undefined {
    return this.session?.skewMs
  }

  /** Gateway-clock time at which `cron.run` was last sent for `jobId` (what 3.13 finished events are matched by). */
  cronRunSentAtMs(jobId: string): number | undefined {
    return this.cronRunCalls.get(jobId)
  }

  /** How the current connection authenticated. */
  get authMethod(): AuthMethod | undefined {
    return this.session?.authMethod
  }

  /**
   * Open the socket and complete the handshake; resolves with hello-ok. Retries "gateway starting" (bounded).
   * @throws GatewayError (gateway said no) or ClientError (local: refused, timeouts, closed before hello, aborted)
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<HelloOk> {
    if (this.currentState === 'closed') {
      return Promise.reject(
        new ClientError('CONNECTION_CLOSED', 'client is closed', {
          remedy: 'Create a new client to reconnect.',
        }),
      )
    }
    if (this.session && this.lastHello) return Promise.resolve(this.lastHello)
    if (!this.connecting) {
      if (this.currentState !== 'reconnecting') this.setState('connecting')
      const signal = options.signal
        ? AbortSignal.any([options.signal, this.lifetime.signal])
        : this.lifetime.signal
      this.connecting = this.establish(signal).then(
        (hello) => {
          this.connecting = undefined
          return hello
        },
        (error: unknown) => {
          this.connecting = undefined
          const err = error instanceof Error ? error : new Error(String(error))
          this.lastError = err
          if (this.currentState === 'connecting') {
            this.setState(isTerminalConnectError(err) && this.reconnectOptions ? 'paused' : 'idle')
            this.rejectSessionWaiters(err)
          }
          throw err
        },
      )
    }
    return this.connecting
  }

  /**
   * Send a request and wait for its final response. Connects first when idle; waits for the next hello when
   * reconnecting (within the timeout).
   * @throws GatewayError (wire error), ClientError (SCOPE_PREFLIGHT, NO_SCOPES_TOKEN_ONLY, PAYLOAD_TOO_LARGE,
   *   REQUEST_TIMEOUT, CONNECTION_CLOSED, SHUTDOWN, TICK_TIMEOUT, ABORTED)
   */
  async request<T = unknown>(method: string, params?: unknown, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000
    const deadline = Date.now() + timeoutMs
    const signal = options.signal
    if (signal?.aborted) throw abortedError(signal, method)
    const session = this.session ?? (await this.waitForSession(method, deadline, signal))
    this.preflight(session, method)
    const id = String(++this.nextId)
    const frame =
      params === undefined
        ? { type: 'req' as const, id, method }
        : { type: 'req' as const, id, method, params }
    const text = encodeRequest(frame)
    const limit = session.hello.policy.maxPayload
    const size = Buffer.byteLength(text)
    if (limit > 0 && size > limit) {
      throw new ClientError(
        'PAYLOAD_TOO_LARGE',
        `${method} request is ${size} bytes; the gateway accepts at most ${limit}`,
        {
          remedy: 'Send less data in one request (hello-ok policy.maxPayload is the limit).',
        },
      )
    }
    if (method === 'cron.run' && params && typeof params === 'object') {
      const p = params as { id?: unknown; jobId?: unknown }
      const jobId = typeof p.id === 'string' ? p.id : typeof p.jobId === 'string' ? p.jobId : undefined
      if (jobId) this.cronRunCalls.set(jobId, this.toGatewayClock(Date.now()))
    }
    return new Promise<T>((resolve, reject) => {
      const remaining = Math.max(1, deadline - Date.now())
      const timer = setTimeout(() => {
        session.pending.delete(id)
        cleanup()
        reject(
          new ClientError('REQUEST_TIMEOUT', `${method} got no response within ${formatMs(timeoutMs)}`, {
            remedy:
              'The gateway may be overloaded or the request still running; for side effects (cron.run) check the result (cron.runs) before retrying.',
            retryable: true,
          }),
        )
      }, remaining)
      const onAbort = (): void => {
        session.pending.delete(id)
        cleanup()
        reject(abortedError(signal, method))
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      session.pending.set(id, {
        method,
        params,
        expectFinal: options.expectFinal ?? true,
        resolve: (value) => resolve(value as T),
        reject,
        cleanup,
      })
      this.log('out', frame)
      session.ws.send(text, (error) => {
        if (!error) return
        const entry = session.pending.get(id)
        if (!entry) return
        session.pending.delete(id)
        entry.cleanup()
        entry.reject(
          new ClientError('CONNECTION_CLOSED', `could not send ${method}: ${error.message}`, {
            remedy: 'The connection dropped; retry once the client is connected again.',
            retryable: true,
            cause: error,
          }),
        )
      })
    })
  }

  /** Subscribe to an event name, or `'*'` for every event. Returns the unsubscribe function. */
  on(event: string, listener: (frame: EventFrame) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener)
    return () => {
      set?.delete(listener)
    }
  }

  /**
   * Wait for the `finished` cron event of a run. Matches `runId` when the event has one (5.7+); otherwise (3.13)
   * the job id and `runAtMs` ≥ the time `cron.run` was called (PROTOCOL.md §7.3). Events already received count.
   * @throws ClientError REQUEST_TIMEOUT, CONNECTION_CLOSED, ABORTED
   */
  waitForCronFinished(ref: CronRunRef, options: WaitForCronOptions = {}): Promise<CronEvent> {
    const timeoutMs = options.timeoutMs ?? 600_000
    const sinceMs = ref.sinceMs ?? this.cronRunCalls.get(ref.jobId)
    const matches = (event: CronEvent): boolean => {
      if (event.action !== 'finished' || event.jobId !== ref.jobId) return false
      if (ref.runId !== undefined && event.runId !== undefined) return event.runId === ref.runId
      // 1 s of slack for clock rounding between the gateway's runAtMs and our estimate of its clock.
      if (sinceMs !== undefined) return (event.runAtMs ?? Number.POSITIVE_INFINITY) >= sinceMs - 1000
      return true
    }
    for (const entry of this.recentCron) if (matches(entry.event)) return Promise.resolve(entry.event)
    return new Promise<CronEvent>((resolve, reject) => {
      const signal = options.signal
      const done = (): void => {
        clearTimeout(timer)
        off()
        offClose()
        signal?.removeEventListener('abort', onAbort)
      }
      const off = this.on('cron', (frame) => {
        const event = parseCronEvent(frame.payload)
        if (event && matches(event)) {
          done()
          resolve(event)
        }
      })
      const offClose = this.onSessionEnd((error) => {
        if (this.reconnectOptions && !isTerminalConnectError(error) && this.currentState !== 'closed') return
        done()
        reject(error)
      })
      const timer = setTimeout(() => {
        done()
        reject(
          new ClientError(
            'REQUEST_TIMEOUT',
            `no finished event for cron job ${ref.jobId} within ${formatMs(timeoutMs)}`,
            {
              remedy: 'The run may still be going; check `cron.runs` for its result.',
              retryable: true,
            },
          ),
        )
      }, timeoutMs)
      const onAbort = (): void => {
        done()
        reject(abortedError(signal, 'waiting for the cron run'))
      }
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Close the connection and stop reconnecting. Pending requests fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return
    this.setState('closed')
    this.lifetime.abort(new Error('client closed'))
    const error = new ClientError('CONNECTION_CLOSED', 'client closed', {
      remedy: 'The client was closed by its owner; create a new one to continue.',
    })
    this.rejectSessionWaiters(error)
    const session = this.session
    if (!session) return
    const ws = session.ws
    this.endSession(session, 1000, 'client closed', error)
    if (ws.readyState === ws.CLOSED) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate()
        resolve()
      }, 1000)
      ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.close(1000)
    })
  }

  // ---------------------------------------------------------------------------------------------------------

  private isClosed(): boolean {
    return this.currentState === 'closed'
  }

  private setState(state: GatewayClientState): void {
    this.currentState = state
  }

  private progress(event: ClientProgressEvent): void {
    try {
      this.options.onProgress?.(event)
    } catch {
      // A faulty progress callback must not break the connection.
    }
  }

  private log(direction: 'in' | 'out', frame: unknown): void {
    const sink = this.options.debugLog
    if (!sink) return
    try {
      sink(describeFrameForLog(direction, frame))
    } catch {
      // Logging is best effort.
    }
  }

  private toGatewayClock(localMs: number): number {
    return localMs + (this.session?.skewMs ?? 0)
  }

  private sessionEndListeners = new Set<(error: Error) => void>()
  private onSessionEnd(listener: (error: Error) => void): () => void {
    this.sessionEndListeners.add(listener)
    return () => {
      this.sessionEndListeners.delete(listener)
    }
  }

  private rejectSessionWaiters(error: Error): void {
    for (const waiter of this.sessionWaiters) waiter.reject(error)
    this.sessionWaiters.clear()
  }

  private async waitForSession(method: string, deadline: number, signal?: AbortSignal): Promise<Session> {
    if (this.currentState === 'closed') {
      throw new ClientError('CONNECTION_CLOSED', `cannot send ${method}: client is closed`, {
        remedy: 'Create a new client to reconnect.',
      })
    }
    if (this.currentState === 'paused' && this.lastError) throw this.lastError
    if (this.currentState === 'idle') {
      await this.connect(signal ? { signal } : {})
      if (this.session) return this.session
    }
    return new Promise<Session>((resolve, reject) => {
      const waiter = {
        resolve: (session: Session) => {
          cleanup()
          resolve(session)
        },
        reject: (error: Error) => {
          cleanup()
          reject(error)
        },
      }
      const timer = setTimeout(
        () => {
          cleanup()
          reject(
            new ClientError('REQUEST_TIMEOUT', `${method}: not connected to the gateway in time`, {
              remedy: `The client is ${this.currentState}; check that the gateway is reachable (\`openclaw gateway status\`).`,
              retryable: true,
              ...(this.lastError ? { cause: this.lastError } : {}),
            }),
          )
        },
        Math.max(1, deadline - Date.now()),
      )
      const onAbort = (): void => {
        cleanup()
        reject(abortedError(signal, method))
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        this.sessionWaiters.delete(waiter)
        signal?.removeEventListener('abort', onAbort)
      }
      this.sessionWaiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
      // connect() may have been kicked off without anyone awaiting it (first request while connecting).
      if (!this.connecting && this.currentState === 'connecting') void this.connect().catch(() => undefined)
    })
  }

  private preflight(session: Session, method: string): void {
    if (this.options.scopePreflight === false) return
    const missing = missingScope(session.scopes, method)
    if (missing === undefined) return
    if (session.tokenOnly && session.scopes.length === 0 && this.requestedScopes.length > 0) {
      throw new ClientError(
        'NO_SCOPES_TOKEN_ONLY',
        `${method} needs ${missing}, but the gateway granted this token-only connection no scopes: it clears the scopes of connections that send no device identity (PROTOCOL.md §5.3)`,
        {
          remedy:
            'Use a device identity: run `clawlink device init` and connect with a signer (a loopback gateway pairs it automatically). Gateways ≥ 2026.7.1 also keep the scopes of a token-only cli/cli client over loopback.',
          missingScope: missing,
        },
      )
    }
    throw new ClientError(
      'SCOPE_PREFLIGHT',
      `${method} needs ${missing}; this connection holds [${session.scopes.join(', ')}]`,
      {
        remedy: `Connect with ${missing} in the requested scopes (clawlink requests ${CLAWLINK_SCOPES.join(', ')} by default); a paired device may need the scope upgrade approved: \`openclaw devices list\`, then \`openclaw devices approve <requestId>\`.`,
        missingScope: missing,
      },
    )
  }

  private async planAuth(force?: 'shared' | 'device-token'): Promise<AuthPlan> {
    const { token, password, signer, deviceTokenStore } = this.options
    if (force !== 'device-token') {
      if (token !== undefined) return { token, method: 'token' }
      if (password !== undefined) return { password, method: 'password' }
    }
    if (signer && deviceTokenStore && this.ownDeviceId) {
      const stored = await this.readStoredToken()
      // PROTOCOL.md §5.6: without a shared secret send the device token in both fields (auth.token is the fallback).
      if (stored) return { token: stored.token, deviceToken: stored.token, method: 'device-token' }
    }
    return { method: 'none' }
  }

  /** A broken token store must not break the connect: it only costs the shared-secret path. */
  private async readStoredToken(): Promise<StoredDeviceToken | undefined> {
    const store = this.options.deviceTokenStore
    if (!store || !this.ownDeviceId) return undefined
    try {
      return await store.get(this.ownDeviceId, this.role)
    } catch (error) {
      this.storeWarning('read', error)
      return undefined
    }
  }

  private storeWarning(action: string, error: unknown): void {
    this.progress({
      kind: 'warning',
      code: 'DEVICE_TOKEN_STORE',
      message: `could not ${action} the device token store: ${(error as Error).message}`,
    })
  }

  private async establish(signal: AbortSignal): Promise<HelloOk> {
    const startingBudget = this.options.startingRetry ?? {}
    const maxWaitMs = startingBudget.maxWaitMs ?? 60_000
    const maxAttempts = startingBudget.maxAttempts ?? 120
    const started = Date.now()
    let startingAttempts = 0
    let force: 'shared' | 'device-token' | undefined
    const retried = new Set<string>()
    for (;;) {
      const plan = await this.planAuth(force)
      try {
        const { session, issuedDeviceToken } = await this.attempt(plan, signal)
        await this.adoptSession(session, issuedDeviceToken)
        return session.hello
      } catch (error) {
        if (signal.aborted) throw abortedError(signal, 'connect')
        const retryAfterMs = isGatewayStarting(error)
        if (retryAfterMs !== undefined) {
          startingAttempts++
          const wait = Math.max(100, Math.min(retryAfterMs, 5000))
          if (startingAttempts <= maxAttempts && Date.now() - started + wait <= maxWaitMs) {
            this.progress({ kind: 'gateway-starting', attempt: startingAttempts, retryAfterMs: wait })
            await sleep(wait, signal)
            continue
          }
        }
        const code = error instanceof GatewayError ? error.code : undefined
        // PROTOCOL.md §5.6: a stale stored device token is deleted; retry once with the shared secret.
        if (
          plan.method === 'device-token' &&
          (code === 'AUTH_DEVICE_TOKEN_MISMATCH' || code === 'AUTH_TOKEN_MISMATCH') &&
          this.ownDeviceId &&
          this.options.deviceTokenStore
        ) {
          await this.options.deviceTokenStore
            .delete(this.ownDeviceId, this.role)
            .catch((error: unknown) => this.storeWarning('update', error))
          this.progress({ kind: 'device-token-cleared', deviceId: this.ownDeviceId, reason: code })
          if (
            !retried.has('shared') &&
            (this.options.token !== undefined || this.options.password !== undefined)
          ) {
            retried.add('shared')
            force = 'shared'
            this.progress({ kind: 'retrying-auth', with: 'shared-secret' })
            continue
          }
        }
        // PROTOCOL.md §5.6: on a shared-token mismatch from a trusted endpoint, retry once with the device token.
        if (
          plan.method === 'token' &&
          code === 'AUTH_TOKEN_MISMATCH' &&
          !retried.has('device') &&
          this.isTrustedEndpoint()
        ) {
          const stored = await this.readStoredToken()
          if (stored) {
            retried.add('device')
            force = 'device-token'
            this.progress({ kind: 'retrying-auth', with: 'device-token' })
            continue
          }
        }
        throw error
      }
    }
  }

  private isTrustedEndpoint(): boolean {
    return (
      isLoopbackHost(this.parsedUrl.hostname) || (this.parsedUrl.protocol === 'wss:' && this.pins.length > 0)
    )
  }

  private wsOptions(): { options: WsClientOptions; pinState: { mismatch?: string } } {
    const pinState: { mismatch?: string } = {}
    const options: WsClientOptions = { maxPayload: MAX_INBOUND_FRAME_BYTES, perMessageDeflate: false }
    if (this.parsedUrl.protocol === 'wss:' && this.pins.length > 0) {
      // PROTOCOL.md §10: a pinned self-signed certificate is fine; the pin replaces CA validation.
      options.rejectUnauthorized = false
      const check = (_host: string, cert: PeerCertificate): Error | undefined => {
        const seen = normalizeFingerprint(cert.fingerprint256 ?? '')
        if (seen && this.pins.includes(seen)) return undefined
        pinState.mismatch = seen || 'missing'
        return new Error(`gateway TLS fingerprint mismatch (got ${seen || 'none'})`)
      }
      // ws hands this to tls.connect, which expects Error | undefined (@types/ws declares boolean).
      options.checkServerIdentity = check as unknown as WsClientOptions['checkServerIdentity']
    }
    return { options, pinState }
  }

  private attempt(plan: AuthPlan, signal: AbortSignal): Promise<AttemptResult> {
    const url = this.url
    this.progress({ kind: 'connecting', url })
    const WebSocketImpl = loadWebSocket()
    const { options: wsOptions, pinState } = this.wsOptions()
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000
    const challengeTimeoutMs = this.options.challengeTimeoutMs ?? 10_000
    const minProtocol = this.options.minProtocol ?? DEFAULT_MIN_PROTOCOL
    const maxProtocol = this.options.maxProtocol ?? DEFAULT_MAX_PROTOCOL
    const signer = this.options.signer
    const scopes = this.requestedScopes
    const clientInfo = this.options.client ?? {}
    const clientId = clientInfo.id ?? 'cli'
    const clientMode = clientInfo.mode ?? 'cli'
    const platform = clientInfo.platform ?? process.platform

    return new Promise<AttemptResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortedError(signal, 'connect'))
        return
      }
      const ws = new WebSocketImpl(url, wsOptions)
      let phase: 'open' | 'challenge' | 'signing' | 'hello' | 'done' = 'open'
      let timer: NodeJS.Timeout | undefined
      let connectId = ''
      let skewMs: number | undefined
      let challengeTs: number | undefined
      let settled = false

      const arm = (ms: number, onTimeout: () => void): void => {
        if (timer) clearTimeout(timer)
        timer = setTimeout(onTimeout, ms)
      }
      const cleanup = (): void => {
        if (timer) clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        ws.removeAllListeners()
        // Late errors on a dead socket must not become unhandled 'error' events.
        ws.on('error', () => undefined)
      }
      const fail = (error: Error, close?: { code: number; reason: string }): void => {
        if (settled) return
        settled = true
        phase = 'done'
        cleanup()
        if (ws.readyState === ws.OPEN && close) ws.close(close.code, close.reason)
        else if (ws.readyState !== ws.CLOSED) ws.terminate()
        reject(error)
      }
      const onAbort = (): void => fail(abortedError(signal, 'connect'), { code: 1000, reason: 'aborted' })
      signal.addEventListener('abort', onAbort, { once: true })

      arm(connectTimeoutMs, () =>
        fail(
          new ClientError(
            'UNREACHABLE',
            `cannot reach ${url}: no WebSocket connection within ${formatMs(connectTimeoutMs)}`,
            {
              remedy:
                'Check the URL, the network path and that the gateway is running (`openclaw gateway status`).',
              retryable: true,
            },
          ),
        ),
      )

      ws.on('upgrade', (response) => {
        if (this.pins.length === 0) return
        // PROTOCOL.md §10: re-check the peer certificate once the upgrade succeeded.
        const socket = response.socket as TLSSocket
        const seen = normalizeFingerprint(socket.getPeerCertificate?.()?.fingerprint256 ?? '')
        if (!seen || !this.pins.includes(seen)) pinState.mismatch = seen || 'missing'
      })

      ws.on('open', () => {
        if (pinState.mismatch) {
          fail(this.pinError(pinState.mismatch), { code: 1008, reason: 'gateway tls fingerprint mismatch' })
          return
        }
        phase = 'challenge'
        arm(challengeTimeoutMs, () =>
          fail(
            new ClientError(
              'CHALLENGE_TIMEOUT',
              `${url} accepted the WebSocket but sent no connect.challenge within ${formatMs(challengeTimeoutMs)}`,
              {
                remedy:
                  'Is this an OpenClaw gateway? Check the URL and port; the gateway may be overloaded (`openclaw gateway status`).',
                retryable: true,
              },
            ),
            { code: 1008, reason: 'connect challenge timeout' },
          ),
        )
      })

      ws.on('unexpected-response', (_request, response) => {
        fail(
          new ClientError(
            'UNREACHABLE',
            `${url} answered HTTP ${response.statusCode} instead of a WebSocket upgrade`,
            {
              remedy:
                'Check the URL: it must point at the gateway port itself (a proxy in between must forward WebSocket upgrades).',
              retryable: (response.statusCode ?? 0) >= 500,
            },
          ),
        )
      })

      ws.on('error', (error: Error & { code?: string }) => {
        if (pinState.mismatch) {
          fail(this.pinError(pinState.mismatch))
          return
        }
        if (phase === 'open') {
          fail(networkError(url, error))
          return
        }
        fail(
          new ClientError(
            'CLOSED_BEFORE_HELLO',
            `connection to ${url} failed during the handshake: ${error.message}`,
            {
              remedy: 'Retry; if it persists check the gateway log (`openclaw logs`).',
              retryable: true,
              cause: error,
            },
          ),
        )
      })

      ws.on('close', (code: number, reasonBuffer: Buffer) => {
        const reason = reasonBuffer.toString()
        if (phase === 'open') {
          fail(
            new ClientError('UNREACHABLE', `cannot open a WebSocket to ${url} (close ${code})`, {
              remedy: 'Check the URL and that the gateway is running (`openclaw gateway status`).',
              retryable: true,
            }),
          )
          return
        }
        const meaning = describeCloseCode(code, reason)
        const retryAfterMs = code === 1013 ? 500 : undefined
        fail(
          new ClientError(
            'CLOSED_BEFORE_HELLO',
            `gateway closed the connection before hello-ok (close ${code}${reason ? '' : ', no reason'}): ${meaning.meaning}`,
            {
              remedy:
                code === 1000 && !reason
                  ? "The gateway's handshake timeout expired or it rejected the connection without a reason; check the gateway log (`openclaw logs`), the server version and the token."
                  : 'Check the gateway log (`openclaw logs`) for why it rejected the connection.',
              retryable: meaning.retryable,
              closeCode: code,
              closeReason: reason,
              ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            },
          ),
        )
      })

      const sendConnect = async (nonce: string): Promise<void> => {
        phase = 'signing'
        // PROTOCOL.md §4.1: signedAt = the challenge ts (server clock) removes client clock skew.
        const signedAtMs = challengeTs ?? Date.now()
        const auth: { token?: string; password?: string; deviceToken?: string } = {}
        if (plan.token !== undefined) auth.token = plan.token
        if (plan.password !== undefined) auth.password = plan.password
        if (plan.deviceToken !== undefined) auth.deviceToken = plan.deviceToken
        const hasAuth = Object.keys(auth).length > 0
        try {
          const device = signer
            ? await createDeviceProof({
                signer,
                nonce,
                signedAtMs,
                clientId,
                clientMode,
                role: this.role,
                scopes,
                ...(hasAuth ? { auth } : {}),
                platform,
                ...(clientInfo.deviceFamily !== undefined ? { deviceFamily: clientInfo.deviceFamily } : {}),
                signal,
              })
            : undefined
          if (settled) return
          const params = buildConnectParams({
            minProtocol,
            maxProtocol,
            client: {
              id: clientId,
              mode: clientMode,
              version: clientInfo.version ?? CLIENT_VERSION,
              platform,
              ...(clientInfo.displayName !== undefined ? { displayName: clientInfo.displayName } : {}),
              ...(clientInfo.deviceFamily !== undefined ? { deviceFamily: clientInfo.deviceFamily } : {}),
              ...(clientInfo.instanceId !== undefined ? { instanceId: clientInfo.instanceId } : {}),
            },
            role: this.role,
            scopes,
            ...(hasAuth ? { auth } : {}),
            ...(device ? { device } : {}),
          })
          connectId = String(++this.nextId)
          const frame = { type: 'req' as const, id: connectId, method: 'connect', params }
          phase = 'hello'
          arm(connectTimeoutMs, () =>
            fail(
              new ClientError(
                'REQUEST_TIMEOUT',
                `gateway did not answer connect within ${formatMs(connectTimeoutMs)}`,
                {
                  remedy:
                    'The gateway may be overloaded or stuck; check `openclaw gateway status` and its log.',
                  retryable: true,
                },
              ),
              { code: 1000, reason: 'connect timeout' },
            ),
          )
          this.log('out', frame)
          ws.send(encodeRequest(frame))
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)), {
            code: 1000,
            reason: 'connect failed',
          })
        }
      }

      const onHandshakeFrame = (frame: ServerFrame): void => {
        if (phase === 'challenge') {
          if (frame.type !== 'event' || frame.event !== 'connect.challenge') return
          const payload = (frame.payload ?? {}) as { nonce?: unknown; ts?: unknown }
          const nonce = typeof payload.nonce === 'string' ? payload.nonce.trim() : ''
          if (!nonce) {
            fail(
              new ClientError('CLOSED_BEFORE_HELLO', 'connect.challenge carried no nonce', {
                remedy: 'This gateway is not speaking the OpenClaw protocol clawlink expects; check the URL.',
              }),
              { code: 1008, reason: 'connect challenge missing nonce' },
            )
            return
          }
          if (typeof payload.ts === 'number' && Number.isFinite(payload.ts)) {
            challengeTs = payload.ts
            skewMs = payload.ts - Date.now()
          }
          // The signer may be remote (ssh-agent, exec, a touch-to-sign key): bound it too.
          arm(connectTimeoutMs, () =>
            fail(
              new ClientError(
                'REQUEST_TIMEOUT',
                `the device signer did not sign within ${formatMs(connectTimeoutMs)}`,
                {
                  remedy: 'Check the signer (is the agent running, does the key need a touch or a PIN?).',
                  retryable: true,
                },
              ),
              { code: 1000, reason: 'signer timeout' },
            ),
          )
          void sendConnect(payload.nonce as string)
          return
        }
        if (phase !== 'hello' || frame.type !== 'res' || frame.id !== connectId) return
        if (!frame.ok) {
          // The response to connect arrives before the close frame: prefer it over the close code.
          fail(this.connectError(frame.error, minProtocol, maxProtocol, skewMs, challengeTs))
          return
        }
        let hello: HelloOk
        try {
          hello = parseHelloOk(frame.payload)
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)), {
            code: 1002,
            reason: 'invalid hello-ok',
          })
          return
        }
        settled = true
        phase = 'done'
        cleanup()
        const session: Session = {
          ws,
          hello,
          scopes: effectiveScopes(hello, scopes),
          tokenOnly: signer === undefined,
          authMethod: plan.method === 'none' ? 'none' : plan.method,
          skewMs,
          pending: new Map(),
          shutdownSeen: false,
          tickTimedOut: false,
          ended: false,
        }
        if (
          hello.scopesAreLive &&
          hello.auth &&
          'method' in hello.auth &&
          hello.auth.method === 'device-token'
        )
          session.authMethod = 'device-token'
        this.installSession(session)
        const issued = hello.auth?.deviceToken
        resolve({
          session,
          ...(issued
            ? {
                issuedDeviceToken: {
                  token: issued,
                  scopes: [...(hello.auth?.scopes ?? [])],
                  ...(hello.auth?.issuedAtMs !== undefined ? { issuedAtMs: hello.auth.issuedAtMs } : {}),
                },
              }
            : {}),
        })
      }

      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (settled) return
        const frame = this.parseFrame(data, isBinary)
        if (frame) onHandshakeFrame(frame)
      })
    })
  }

  private pinError(seen: string): ClientError {
    return new ClientError(
      'TLS_PIN_MISMATCH',
      `gateway TLS certificate fingerprint ${seen === 'missing' ? 'unavailable' : `sha256:${seen}`} matches none of the ${this.pins.length} pinned fingerprint(s)`,
      {
        remedy:
          'If the gateway certificate was renewed on purpose, verify the new fingerprint out of band and update the pin; otherwise do not connect (possible interception).',
      },
    )
  }

  private connectError(
    wire: WireError | undefined,
    clientMinProtocol: number,
    clientMaxProtocol: number,
    skewMs: number | undefined,
    challengeTs: number | undefined,
  ): GatewayError {
    const base: WireError = wire ?? { code: 'UNAVAILABLE', message: 'connect failed without an error body' }
    const error = classifyGatewayError(base, { method: 'connect', clientMinProtocol, clientMaxProtocol })
    if (error.code === 'DEVICE_SIGNATURE_EXPIRED') {
      // PROTOCOL.md §4.3: the gateway accepts ±120 s; report what we measured.
      const skewText =
        skewMs === undefined
          ? 'the challenge carried no ts, so signedAt came from this machine\u2019s clock'
          : `measured clock skew: gateway ${skewMs >= 0 ? 'ahead of' : 'behind'} this machine by ${formatMs(skewMs)} (challenge ts ${challengeTs})`
      error.message = `${error.message} (${skewText})`
      error.details.clockSkewMs = skewMs
      Object.defineProperty(error, 'remedy', {
        value: `Sync this machine's clock (NTP) with the gateway host: signatures older or newer than 120 s are refused. ${error.remedy}`,
        enumerable: true,
      })
    }
    return error
  }

  private parseFrame(data: WebSocket.RawData, isBinary: boolean): ServerFrame | undefined {
    if (isBinary) {
      this.options.debugLog?.('← [binary frame ignored]')
      return undefined
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8')
    try {
      const frame = parseServerFrame(text)
      this.log('in', frame)
      return frame
    } catch (error) {
      // Malformed or unknown frames are logged and skipped; they never take the connection down.
      this.options.debugLog?.(`← [ignored frame, ${text.length} chars: ${(error as Error).message}]`)
      return undefined
    }
  }

  private installSession(session: Session): void {
    const { ws } = session
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      this.armTickWatchdog(session)
      const frame = this.parseFrame(data, isBinary)
      if (frame) this.onSessionFrame(session, frame)
    })
    ws.on('ping', () => this.armTickWatchdog(session))
    ws.on('error', () => undefined)
    ws.on('close', (code: number, reason: Buffer) => {
      this.endSession(session, code, reason.toString())
    })
    this.armTickWatchdog(session)
  }

  private async adoptSession(
    session: Session,
    issued: { token: string; scopes: string[]; issuedAtMs?: number } | undefined,
  ): Promise<void> {
    const wasReconnecting = this.currentState === 'reconnecting'
    if (session.ended) {
      throw new ClientError('CONNECTION_CLOSED', 'connection closed right after hello-ok', {
        remedy: 'Retry the connect.',
        retryable: true,
      })
    }
    if (this.currentState === 'closed') {
      session.ws.close(1000)
      throw new ClientError('CONNECTION_CLOSED', 'client closed during connect', {
        remedy: 'Create a new client.',
      })
    }
    this.session = session
    this.lastHello = session.hello
    this.lastError = undefined
    this.setState('open')
    const { signer, deviceTokenStore } = this.options
    if (issued && signer && deviceTokenStore && this.ownDeviceId) {
      await deviceTokenStore
        .set(this.ownDeviceId, this.role, {
          token: issued.token,
          scopes: issued.scopes,
          ...(issued.issuedAtMs !== undefined ? { issuedAtMs: issued.issuedAtMs } : {}),
          url: this.url,
        })
        .catch((error: unknown) => this.storeWarning('write', error))
    }
    if (session.tokenOnly && session.scopes.length === 0 && this.requestedScopes.length > 0) {
      this.progress({
        kind: 'warning',
        code: 'NO_SCOPES_TOKEN_ONLY',
        message:
          'the gateway cleared the scopes of this token-only connection (no device identity sent); only `health` will work. Run `clawlink device init` and connect with a signer.',
      })
    } else if (session.scopes.length < this.requestedScopes.length) {
      const missing = this.requestedScopes.filter(
        (s) => !session.scopes.some((held) => scopeSatisfies(held, s)),
      )
      if (missing.length > 0)
        this.progress({
          kind: 'warning',
          code: 'SCOPES_REDUCED',
          message: `gateway did not grant ${missing.join(', ')}`,
        })
    }
    this.progress({
      kind: 'connected',
      protocol: session.hello.protocol,
      scopes: session.scopes,
      authMethod: session.authMethod,
    })
    if (wasReconnecting) this.progress({ kind: 'reconnected' })
    for (const waiter of [...this.sessionWaiters]) waiter.resolve(session)
    this.sessionWaiters.clear()
  }

  private armTickWatchdog(session: Session): void {
    if (session.ended) return
    const interval = session.hello.policy.tickIntervalMs
    if (!(interval > 0)) return
    if (session.tickTimer) clearTimeout(session.tickTimer)
    // PROTOCOL.md §8: no tick (or any frame) within 2 × tickIntervalMs → close 4000 "tick timeout".
    session.tickTimer = setTimeout(() => {
      session.tickTimedOut = true
      const error = new ClientError(
        'TICK_TIMEOUT',
        `no tick from the gateway for ${formatMs(2 * interval)} (2 × tickIntervalMs); connection considered dead`,
        {
          remedy:
            'The gateway or the network path stalled; reconnect (the MCP server does so automatically).',
          retryable: true,
          closeCode: 4000,
          closeReason: 'tick timeout',
        },
      )
      try {
        session.ws.close(4000, 'tick timeout')
      } catch {
        // already closing
      }
      const killer = setTimeout(() => session.ws.terminate(), 1000)
      killer.unref()
      this.endSession(session, 4000, 'tick timeout', error)
    }, 2 * interval)
    session.tickTimer.unref()
  }

  private onSessionFrame(session: Session, frame: ServerFrame): void {
    if (frame.type === 'res') {
      const entry = session.pending.get(frame.id)
      if (!entry) return
      const payload = frame.payload as { status?: unknown } | undefined
      if (
        frame.ok &&
        entry.expectFinal &&
        payload &&
        typeof payload === 'object' &&
        payload.status === 'accepted'
      )
        return
      session.pending.delete(frame.id)
      entry.cleanup()
      if (frame.ok) entry.resolve(frame.payload)
      else {
        const wire: WireError = frame.error ?? {
          code: 'UNAVAILABLE',
          message: `${entry.method} failed without an error body`,
        }
        entry.reject(classifyGatewayError(wire, { method: entry.method, params: entry.params }))
      }
      return
    }
    if (frame.event === 'shutdown') session.shutdownSeen = true
    if (frame.event === 'cron') {
      const event = parseCronEvent(frame.payload)
      if (event) {
        this.recentCron.push({ event, receivedAtMs: Date.now() })
        if (this.recentCron.length > RECENT_CRON_EVENTS) this.recentCron.shift()
      }
    }
    for (const key of [frame.event, '*']) {
      const set = this.listeners.get(key)
      if (!set) continue
      for (const listener of [...set]) {
        try {
          listener(frame)
        } catch (error) {
          this.options.debugLog?.(`listener for ${key} threw: ${(error as Error).message}`)
        }
      }
    }
  }

  private endSession(session: Session, code: number, reason: string, given?: Error): void {
    if (session.ended) return
    session.ended = true
    if (session.tickTimer) clearTimeout(session.tickTimer)
    const meaning = describeCloseCode(code, reason)
    const error =
      given ??
      (session.shutdownSeen || code === 1012
        ? new ClientError(
            'SHUTDOWN',
            `gateway is shutting down (close ${code}${reason ? ` "${reason}"` : ''})`,
            {
              remedy: 'The gateway is stopping or restarting; retry in a few seconds.',
              retryable: true,
              closeCode: code,
              closeReason: reason,
              retryAfterMs: 1000,
            },
          )
        : new ClientError(
            'CONNECTION_CLOSED',
            `connection to the gateway closed (close ${code}${reason ? ` "${reason}"` : ''}): ${meaning.meaning}`,
            {
              remedy: 'Retry once the gateway is reachable; requests in flight may or may not have run.',
              retryable: true,
              closeCode: code,
              closeReason: reason,
            },
          ))
    for (const [id, entry] of session.pending) {
      session.pending.delete(id)
      entry.cleanup()
      entry.reject(error)
    }
    if (this.session === session) this.session = undefined
    this.progress({ kind: 'disconnected', code, reason, error })
    for (const listener of [...this.sessionEndListeners]) listener(error)
    if (this.currentState === 'closed') return
    this.lastError = error
    if (this.reconnectOptions) this.startReconnect(error)
    else this.setState('idle')
  }

  private startReconnect(cause: Error): void {
    const options = this.reconnectOptions ?? {}
    const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY
    this.setState('reconnecting')
    const signal = this.lifetime.signal
    const run = async (): Promise<void> => {
      let lastError = cause
      for (let attempt = 0; ; attempt++) {
        if (signal.aborted || this.currentState !== 'reconnecting') return
        if (attempt >= maxAttempts) {
          this.pause(lastError)
          return
        }
        const delayMs = backoffDelayMs(attempt, options)
        this.progress({ kind: 'reconnect-scheduled', attempt: attempt + 1, delayMs, error: lastError })
        try {
          await sleep(delayMs, signal)
          await this.connect()
          return
        } catch (error) {
          if (signal.aborted || this.isClosed()) return
          lastError = error instanceof Error ? error : new Error(String(error))
          this.lastError = lastError
          if (isTerminalConnectError(lastError)) {
            this.pause(lastError)
            return
          }
        }
      }
    }
    void run()
  }

  private pause(error: Error): void {
    this.setState('paused')
    this.lastError = error
    this.progress({ kind: 'reconnect-paused', error })
    this.rejectSessionWaiters(error)
    for (const listener of [...this.sessionEndListeners]) listener(error)
  }
}

/** Create a `GatewayClient` (nothing is opened until `connect()` or the first request). */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options)
}
