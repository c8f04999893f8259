import {
  CLAWLINK_SCOPES,
  DEFAULT_MAX_PROTOCOL,
  DEFAULT_MIN_PROTOCOL,
  type DeviceSigner,
  deriveDeviceId,
  effectiveScopes,
  type EventFrame,
  type HelloOk,
  missingScope,
  normalizeFingerprint,
  scopeSatisfies,
} from '@clawlink/protocol'
import type { ReconnectOptions } from './backoff.js'
import { type Connected, type ConnectProgress, establish, type StartingRetryOptions } from './connector.js'
import { anySignal, deadlineSignal, formatMs, raceSignal } from './deadline.js'
import { abortedError, ClientError } from './errors.js'
import type { HandshakeIdentity } from './handshake.js'
import { Reconnector, type ReconnectProgress } from './reconnect.js'
import { type AuthMethod, Session } from './session.js'
import type { ApprovalProgress, ApprovalWaitOptions } from './pairing.js'
import { type DeviceTokenStore, gatewayKey } from './token-store.js'
import { frameLog } from './transport.js'
import { type ApprovalContext, establishApproved } from './upgrade.js'
import { checkGatewayUrl, isLoopbackHost } from './url.js'

const CLIENT_VERSION = '0.1.0'

export type { AuthMethod } from './session.js'

/** Connection state of a `GatewayClient`. */
export type GatewayClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'paused' | 'closed'

/** Progress and warnings, for a CLI spinner, a log or the MCP server's stderr. */
export type ClientProgressEvent =
  | Exclude<ConnectProgress, { kind: 'token-store-warning' }>
  | ReconnectProgress
  | ApprovalProgress
  | { kind: 'connected'; protocol: number; scopes: readonly string[]; authMethod: AuthMethod }
  | { kind: 'disconnected'; code: number | undefined; reason: string | undefined; error: Error }
  | { kind: 'reconnected' }
  | {
      kind: 'warning'
      code: 'NO_SCOPES_TOKEN_ONLY' | 'SCOPES_REDUCED' | 'DEVICE_TOKEN_STORE'
      message: string
    }

/** Client identity sent in `connect.params.client` (docs/protocol.md §2.2, closed enums §2.3). */
export type ClientIdentityOptions = Partial<HandshakeIdentity>

export type GatewayClientOptions = {
  /** `ws://` or `wss://` gateway URL. */
  url: string
  /** Shared gateway token (`gateway.auth.token`). */
  token?: string
  /** Shared gateway password (`gateway.auth.password`). */
  password?: string
  /** Device identity; without one the gateway clears the scopes of most connections (docs/protocol.md §5.3). */
  signer?: DeviceSigner
  /** Where device tokens are kept between runs; each is bound to the gateway that issued it. */
  deviceTokenStore?: DeviceTokenStore
  client?: ClientIdentityOptions
  /** @default 'operator' */
  role?: 'operator' | 'node'
  /** Requested up front: a later scope upgrade needs a human on 5.7 (docs/protocol.md §5.4). @default CLAWLINK_SCOPES */
  scopes?: readonly string[]
  /** @default 3 */
  minProtocol?: number
  /** @default 4 */
  maxProtocol?: number
  /** Deadline for the socket to open, for the signer, and for the answer to `connect`. @default 10000 */
  connectTimeoutMs?: number
  /** Deadline for `connect.challenge` after the socket opened. @default 10000 */
  challengeTimeoutMs?: number
  /** Per-request deadline, including any wait for a connection. @default 30000 */
  requestTimeoutMs?: number
  /** Retry budget while the gateway is starting. */
  startingRetry?: StartingRetryOptions
  /** SHA-256 certificate fingerprints; any match is accepted (docs/protocol.md §10). */
  tlsFingerprints?: readonly string[]
  /** Allow `ws://` to a public host (the token travels in clear). @default false */
  allowInsecurePlaintext?: boolean
  /** Reconnect after an unexpected close (long-lived users such as the MCP server). @default false */
  reconnect?: boolean | ReconnectOptions
  /**
   * When the gateway wants an operator's approval (pairing, scope upgrade), wait for it instead of failing:
   * `connect()` then ends at approval, at a rejection (PAIRING_REJECTED) or at its signal (APPROVAL_TIMEOUT).
   * @default false
   */
  waitApproval?: boolean | ApprovalWaitOptions
  /** Check method scopes locally before sending. @default true */
  scopePreflight?: boolean
  /** Receives every frame, secrets redacted. */
  debugLog?: (line: string) => void
  onProgress?: (event: ClientProgressEvent) => void
  /** Aborting closes the client; its reason (a deadline) becomes the error of everything still waiting. */
  signal?: AbortSignal
}

export type RequestOptions = {
  /** Deadline of this request, including any wait for a connection. @default the client's requestTimeoutMs */
  timeoutMs?: number
  signal?: AbortSignal
  /** Skip interim `{status:"accepted"}` responses and wait for the final one (docs/protocol.md §1.2). @default true */
  expectFinal?: boolean
  /** Receives the byte size of the response frame. */
  onResponseBytes?: (bytes: number) => void
}

/** A change of connection, for long waits that must notice a drop (the run path polls at once). */
export type ConnectionChange = { kind: 'connected' } | { kind: 'disconnected'; error: Error }

/**
 * A WebSocket client for the OpenClaw gateway, protocol v3 and v4: a thin façade over the handshake
 * (handshake.ts), the open session (session.ts) and reconnects (reconnect.ts). Every wait has a deadline and
 * honours an AbortSignal.
 */
export class GatewayClient {
  readonly url: string
  private readonly options: GatewayClientOptions
  private readonly requestedScopes: readonly string[]
  private readonly listeners = new Map<string, Set<(frame: EventFrame) => void>>()
  private readonly connectionListeners = new Set<(change: ConnectionChange) => void>()
  private readonly lifetime = new AbortController()
  private readonly reconnector: Reconnector | undefined
  private readonly connectorOptions: Parameters<typeof establish>[0]
  private nextId = 0
  private currentState: GatewayClientState = 'idle'
  private session: Session | undefined
  private connecting: Promise<HelloOk> | undefined
  private lastHello: HelloOk | undefined
  private lastSkewMs: number | undefined
  private readonly ownDeviceId: string | undefined

  constructor(options: GatewayClientOptions) {
    this.options = options
    this.url = options.url
    const pins = (options.tlsFingerprints ?? []).map((p) => normalizeFingerprint(p)).filter((p) => p !== '')
    const parsed = checkGatewayUrl(options.url, {
      allowInsecurePlaintext: options.allowInsecurePlaintext ?? false,
      tlsFingerprints: pins,
    })
    this.requestedScopes = [...(options.scopes ?? CLAWLINK_SCOPES)]
    this.ownDeviceId = options.signer ? deriveDeviceId(options.signer.publicKey) : undefined
    this.connectorOptions = this.buildConnectorOptions(parsed, pins)
    const reconnect =
      options.reconnect === true ? {} : options.reconnect === false ? undefined : options.reconnect
    if (reconnect) {
      this.reconnector = new Reconnector({
        connect: () => this.connect().then(() => undefined),
        backoff: reconnect,
        lifetime: this.lifetime.signal,
        onProgress: (event) => {
          if (event.kind === 'reconnect-paused') this.setState('paused')
          this.progress(event)
        },
      })
    }
    const outer = options.signal
    if (outer?.aborted) this.lifetime.abort(outer.reason)
    else outer?.addEventListener('abort', () => void this.close(outer.reason), { once: true })
  }

  private buildConnectorOptions(url: URL, pins: string[]): Parameters<typeof establish>[0] {
    const o = this.options
    const identity = o.client ?? {}
    const signer = o.signer
    const role = o.role ?? 'operator'
    return {
      handshake: {
        url,
        pins,
        signer,
        client: {
          id: identity.id ?? 'cli',
          mode: identity.mode ?? 'cli',
          version: identity.version ?? CLIENT_VERSION,
          platform: identity.platform ?? process.platform,
          displayName: identity.displayName,
          deviceFamily: identity.deviceFamily,
          instanceId: identity.instanceId,
        },
        role,
        scopes: this.requestedScopes,
        protocol: { min: o.minProtocol ?? DEFAULT_MIN_PROTOCOL, max: o.maxProtocol ?? DEFAULT_MAX_PROTOCOL },
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        challengeTimeoutMs: o.challengeTimeoutMs ?? 10_000,
        nextId: () => String(++this.nextId),
        log: frameLog(o.debugLog),
      },
      token: o.token,
      password: o.password,
      tokens:
        signer && o.deviceTokenStore && this.ownDeviceId
          ? {
              store: o.deviceTokenStore,
              key: { gateway: gatewayKey(o.url, pins), deviceId: this.ownDeviceId, role },
            }
          : undefined,
      trustedEndpoint: isLoopbackHost(url.hostname) || (url.protocol === 'wss:' && pins.length > 0),
      startingRetry: o.startingRetry ?? {},
      onProgress: (event) => {
        if (event.kind === 'token-store-warning') {
          this.progress({ kind: 'warning', code: 'DEVICE_TOKEN_STORE', message: event.message })
        } else this.progress(event)
      },
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

  /** Scopes this connection can use (v4: the live hello-ok scopes; v3: the requested ones unless cleared). */
  get scopes(): readonly string[] {
    return this.session?.info.scopes ?? []
  }

  /** Negotiated protocol (3 or 4), once connected. */
  get protocol(): number | undefined {
    return this.lastHello?.protocol
  }

  /** Gateway clock minus local clock, measured at the last challenge (undefined when it had no ts). */
  get clockSkewMs(): number | undefined {
    return this.lastSkewMs
  }

  /** How the current connection authenticated. */
  get authMethod(): AuthMethod | undefined {
    return this.session?.info.authMethod
  }

  /** The gateway's clock now, estimated from the skew measured at the handshake (docs/protocol.md §4.1). */
  gatewayNow(): number {
    return Date.now() + (this.lastSkewMs ?? 0)
  }

  /** True when the gateway lists `method` in hello-ok `features.methods`. */
  hasMethod(method: string): boolean {
    return this.lastHello?.methods.includes(method) ?? false
  }

  /**
   * Opens the socket and completes the handshake; resolves with hello-ok. Retries "gateway starting" (bounded).
   * @throws GatewayError (gateway said no) or ClientError (local: refused, timeouts, closed before hello, aborted)
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<HelloOk> {
    if (this.currentState === 'closed') return Promise.reject(this.closedError('connect'))
    if (this.session && this.lastHello) return Promise.resolve(this.lastHello)
    if (!this.connecting) {
      const wasReconnecting = this.currentState === 'reconnecting' || this.currentState === 'paused'
      if (!wasReconnecting) this.setState('connecting')
      const signal = anySignal(options.signal, this.lifetime.signal) as AbortSignal
      const approval = this.approvalContext()
      this.connecting = (
        approval
          ? establishApproved(this.connectorOptions, signal, approval)
          : establish(this.connectorOptions, signal)
      )
        .then((connected) => this.adopt(connected, wasReconnecting))
        .finally(() => {
          this.connecting = undefined
        })
      this.connecting.catch(() => {
        if (this.currentState === 'connecting') this.setState('idle')
      })
      return this.connecting
    }
    return raceSignal(this.connecting, options.signal, 'connect')
  }

  /**
   * Sends a request and waits for its final response. Connects first when needed; when reconnecting it attempts
   * at once rather than waiting for the backoff, and fails fast with that attempt's error.
   * @throws GatewayError (wire error), ClientError (SCOPE_PREFLIGHT, NO_SCOPES_TOKEN_ONLY, PAYLOAD_TOO_LARGE,
   *   REQUEST_TIMEOUT, CONNECTION_CLOSED, SHUTDOWN, TICK_TIMEOUT, ABORTED, DEADLINE_EXCEEDED)
   */
  async request<T = unknown>(method: string, params?: unknown, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000
    const deadline = deadlineSignal(timeoutMs, method, () =>
      requestTimeout(method, timeoutMs, this.currentState),
    )
    const signal = anySignal(options.signal, deadline.signal) as AbortSignal
    const started = Date.now()
    try {
      const session = await this.sessionFor(method, signal)
      this.preflight(session, method)
      return (await session.request({
        id: String(++this.nextId),
        method,
        params,
        timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
        signal,
        expectFinal: options.expectFinal ?? true,
        onResponseBytes: options.onResponseBytes,
      })) as T
    } finally {
      deadline.clear()
    }
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

  /** Subscribe to connects and drops. Returns the unsubscribe function. */
  onConnectionChange(listener: (change: ConnectionChange) => void): () => void {
    this.connectionListeners.add(listener)
    return () => {
      this.connectionListeners.delete(listener)
    }
  }

  /** Close the connection and stop reconnecting. Whatever still waits fails with `reason` or CONNECTION_CLOSED. */
  async close(reason?: unknown): Promise<void> {
    if (this.currentState === 'closed') return
    this.setState('closed')
    const error = reason instanceof Error ? reason : this.closedError('the request')
    this.lifetime.abort(error)
    const session = this.session
    this.session = undefined
    await session?.close(error)
  }

  // ---------------------------------------------------------------------------------------------------------

  private approvalContext(): ApprovalContext | undefined {
    const wait = this.options.waitApproval
    if (!wait) return undefined
    const h = this.connectorOptions.handshake
    return {
      options: wait === true ? {} : wait,
      subject: { deviceId: this.ownDeviceId, platform: h.client.platform, scopes: this.requestedScopes },
      onProgress: (event) => this.progress(event),
    }
  }

  private async sessionFor(method: string, signal: AbortSignal): Promise<Session> {
    if (this.session && !this.session.ended) return this.session
    if (this.currentState === 'closed') throw this.closedError(method)
    if (this.reconnector && (this.currentState === 'reconnecting' || this.currentState === 'paused')) {
      await raceSignal(this.reconnector.kick(), signal, method)
    } else {
      await this.connect({ signal })
    }
    if (this.session && !this.session.ended) return this.session
    throw abortedError(signal, method)
  }

  private adopt(connected: Connected, wasReconnecting: boolean): HelloOk {
    const { ws, hello, skewMs, authMethod } = connected
    if (this.currentState === 'closed') {
      ws.close(1000)
      throw this.closedError('connect')
    }
    const session: Session = new Session(
      ws,
      {
        hello,
        scopes: effectiveScopes(hello, this.requestedScopes),
        authMethod,
        tokenOnly: this.options.signer === undefined,
        skewMs,
      },
      {
        log: frameLog(this.options.debugLog),
        onEvent: (frame) => this.dispatch(frame),
        onEnd: (error) => this.onSessionEnd(session, error),
      },
    )
    this.session = session
    this.lastHello = hello
    this.lastSkewMs = skewMs
    this.setState('open')
    this.warnAboutScopes(session)
    this.progress({ kind: 'connected', protocol: hello.protocol, scopes: session.info.scopes, authMethod })
    if (wasReconnecting) this.progress({ kind: 'reconnected' })
    this.notifyConnection({ kind: 'connected' })
    return hello
  }

  private warnAboutScopes(session: Session): void {
    const { scopes, tokenOnly } = session.info
    if (tokenOnly && scopes.length === 0 && this.requestedScopes.length > 0) {
      this.progress({
        kind: 'warning',
        code: 'NO_SCOPES_TOKEN_ONLY',
        message:
          'the gateway cleared the scopes of this token-only connection (no device identity sent); only `health` will work. Run `clawlink device init` and connect with a signer.',
      })
      return
    }
    const missing = this.requestedScopes.filter((s) => !scopes.some((held) => scopeSatisfies(held, s)))
    if (missing.length > 0)
      this.progress({
        kind: 'warning',
        code: 'SCOPES_REDUCED',
        message: `gateway did not grant ${missing.join(', ')}`,
      })
  }

  private onSessionEnd(session: Session, error: Error): void {
    if (this.session !== session) return
    this.session = undefined
    const closed = error as { closeCode?: number; closeReason?: string }
    this.progress({ kind: 'disconnected', code: closed.closeCode, reason: closed.closeReason, error })
    this.notifyConnection({ kind: 'disconnected', error })
    if (this.currentState === 'closed') return
    if (this.reconnector) {
      this.setState('reconnecting')
      this.reconnector.start(error)
    } else this.setState('idle')
  }

  private dispatch(frame: EventFrame): void {
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

  private notifyConnection(change: ConnectionChange): void {
    for (const listener of [...this.connectionListeners]) {
      try {
        listener(change)
      } catch {
        // A listener's bug must not break the connection.
      }
    }
  }

  private preflight(session: Session, method: string): void {
    if (this.options.scopePreflight === false) return
    const { scopes, tokenOnly } = session.info
    const missing = missingScope(scopes, method)
    if (missing === undefined) return
    if (tokenOnly && scopes.length === 0 && this.requestedScopes.length > 0) {
      throw new ClientError(
        'NO_SCOPES_TOKEN_ONLY',
        `${method} needs ${missing}, but the gateway granted this token-only connection no scopes: it clears the scopes of connections that send no device identity (docs/protocol.md §5.3)`,
        {
          remedy:
            'Use a device identity: run `clawlink device init` and connect with a signer (a loopback gateway pairs it automatically). Gateways ≥ 2026.7.1 also keep the scopes of a token-only cli/cli client over loopback.',
          missingScope: missing,
        },
      )
    }
    throw new ClientError(
      'SCOPE_PREFLIGHT',
      `${method} needs ${missing}; this connection holds [${scopes.join(', ')}]`,
      {
        remedy: `Connect with ${missing} in the requested scopes (clawlink requests ${CLAWLINK_SCOPES.join(', ')} by default); a paired device may need the scope upgrade approved: \`openclaw devices list\`, then \`openclaw devices approve <requestId>\`.`,
        missingScope: missing,
      },
    )
  }

  private closedError(what: string): Error {
    const reason: unknown = this.lifetime.signal.reason
    if (this.lifetime.signal.aborted && reason instanceof Error) return reason
    return new ClientError('CONNECTION_CLOSED', `cannot run ${what}: the client is closed`, {
      remedy: 'The client was closed by its owner; create a new one to continue.',
    })
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
}

function requestTimeout(method: string, timeoutMs: number, state: GatewayClientState): ClientError {
  const connecting = state !== 'open'
  return new ClientError(
    'REQUEST_TIMEOUT',
    `${method} got no response within ${formatMs(timeoutMs)}${connecting ? ` (client ${state})` : ''}`,
    {
      remedy: connecting
        ? 'The gateway could not be reached in time; check that it is running and reachable (`openclaw gateway status`).'
        : 'The gateway may be overloaded or the request still running; for side effects (cron.run) check the result (cron runs) before retrying.',
      retryable: true,
    },
  )
}

/** Create a `GatewayClient` (nothing is opened until `connect()` or the first request). */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options)
}
