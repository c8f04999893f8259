import {
  CLAWLINK_SCOPES,
  deriveDeviceId,
  effectiveScopes,
  type EventFrame,
  type HelloOk,
  missingScope,
  scopeSatisfies,
} from '@clawlink/protocol'
import type {
  ClientProgressEvent,
  ConnectionChange,
  GatewayClientOptions,
  GatewayClientState,
  RequestOptions,
} from './client-options.js'
import { checkPin, connectorOptions } from './client-setup.js'
import { type Connected, type ConnectorOptions, establish } from './connector.js'
import { bindingOf } from './gateway-binding.js'
import { anySignal, deadlineSignal, raceSignal, requestTimeout } from './deadline.js'
import { abortedError, ClientError } from './errors.js'
import { Reconnector } from './reconnect.js'
import { type AuthMethod, Session } from './session.js'
import { type ApprovalContext, establishApproved } from './upgrade.js'
import { checkGatewayUrl } from './url.js'

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
  private readonly connectorOptions: ConnectorOptions
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
    const pins = (options.tlsFingerprints ?? []).map((p) => checkPin(p))
    const parsed = checkGatewayUrl(options.url, {
      allowInsecurePlaintext: options.allowInsecurePlaintext ?? false,
      tlsFingerprints: pins,
    })
    this.requestedScopes = [...(options.scopes ?? CLAWLINK_SCOPES)]
    this.ownDeviceId = options.signer ? deriveDeviceId(options.signer.publicKey) : undefined
    this.connectorOptions = connectorOptions(options, parsed, pins, {
      scopes: this.requestedScopes,
      deviceId: this.ownDeviceId,
      nextId: () => String(++this.nextId),
      progress: (event) => this.progress(event),
    })
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

  /** Where this device's token for this gateway is kept, and its key; undefined without a signer or a store. */
  get deviceTokenBinding(): ConnectorOptions['tokens'] {
    return this.connectorOptions.tokens
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
    // The deadline covers any wait for a connection and the answer: the session needs no timer of its own.
    const signal = anySignal(options.signal, deadline.signal) as AbortSignal
    try {
      const session = await this.sessionFor(method, signal)
      this.preflight(session, method)
      return (await session.request({
        id: String(++this.nextId),
        method,
        params,
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
        log: this.connectorOptions.handshake.log,
        onEvent: (frame) => this.dispatch(frame),
        onEnd: (error) => this.onSessionEnd(session, error),
      },
    )
    this.session = session
    this.lastHello = hello
    // Credentials are bound to the first gateway for this client's life (gateway-binding.ts).
    this.connectorOptions.bound ??= bindingOf(hello)
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
    const missing = missingScope(scopes, method, session.info.hello.protocol)
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

/** Create a `GatewayClient` (nothing is opened until `connect()` or the first request). */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options)
}
