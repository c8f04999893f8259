import {
  buildConnectParams,
  type ConnectAuth,
  createDeviceProof,
  type DeviceSigner,
  encodeRequest,
  type HelloOk,
  parseHelloOk,
  type ServerFrame,
} from '@clawlink/protocol'
import type WebSocket from 'ws'
import { abortedError } from './errors.js'
import {
  challengeTimeoutError,
  closedBeforeHelloError,
  connectError,
  handshakeSocketError,
  helloTimeoutError,
  httpInsteadOfUpgradeError,
  missingNonceError,
  networkError,
  openTimeoutError,
  pinError,
  signerTimeoutError,
} from './handshake-errors.js'
import { checkUpgradePin, decodeFrame, type FrameLog, loadWebSocket, socketOptions } from './transport.js'
import { displayUrl } from './url.js'

/** Client identity sent in `connect.params.client` (docs/protocol.md §2.2; id and mode are closed enums, §2.3). */
export interface HandshakeIdentity {
  id: string
  mode: string
  version: string
  platform: string
  displayName?: string | undefined
  deviceFamily?: string | undefined
  instanceId?: string | undefined
}

/** Everything one connect attempt needs. */
export interface HandshakeOptions {
  url: URL
  /** Normalised SHA-256 certificate pins (`wss://` only). */
  pins: readonly string[]
  signer?: DeviceSigner | undefined
  auth: ConnectAuth
  client: HandshakeIdentity
  role: 'operator' | 'node'
  scopes: readonly string[]
  protocol: { min: number; max: number }
  /** Deadline for the socket to open, for the signer, and for the answer to `connect`. */
  connectTimeoutMs: number
  /** Deadline for `connect.challenge` once the socket is open. */
  challengeTimeoutMs: number
  signal: AbortSignal
  /** The request id for `connect`. */
  nextId: () => string
  log: FrameLog
}

/** An open socket that completed the handshake. */
export interface HandshakeResult {
  ws: WebSocket
  hello: HelloOk
  /** Gateway clock minus local clock, measured at the challenge; undefined when it carried no ts. */
  skewMs: number | undefined
}

type Phase = 'open' | 'challenge' | 'signing' | 'hello' | 'done'

/**
 * One connect attempt as a small state machine (docs/protocol.md §2): open → challenge → signing → hello.
 * Each phase has its own deadline and handler; the first failure settles the attempt and closes the socket.
 */
class Handshake {
  private phase: Phase = 'open'
  private timer: NodeJS.Timeout | undefined
  private connectId = ''
  private skewMs: number | undefined
  private challengeTs: number | undefined
  private readonly ws: WebSocket
  private readonly pin: { mismatch?: string }

  constructor(
    private readonly o: HandshakeOptions,
    private readonly resolve: (result: HandshakeResult) => void,
    private readonly reject: (error: Error) => void,
  ) {
    const { options, pin } = socketOptions(o.url, o.pins)
    this.pin = pin
    const WebSocketImpl = loadWebSocket()
    this.ws = new WebSocketImpl(o.url.href, options)
    this.ws.on('upgrade', (response) => checkUpgradePin(response.socket, o.pins, pin))
    this.ws.on('open', () => this.onOpen())
    this.ws.on('unexpected-response', (_req, res) =>
      this.fail(httpInsteadOfUpgradeError(this.href, res.statusCode)),
    )
    this.ws.on('error', (error: Error & { code?: string }) => this.onSocketError(error))
    this.ws.on('close', (code: number, reason: Buffer) => this.onSocketClose(code, reason.toString()))
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const frame = decodeFrame(data, isBinary, o.log)
      if (frame) this.onFrame(frame)
    })
    o.signal.addEventListener('abort', this.onAbort, { once: true })
    this.arm(o.connectTimeoutMs, () => openTimeoutError(this.href, o.connectTimeoutMs))
  }

  private get href(): string {
    return displayUrl(this.o.url)
  }

  private readonly onAbort = (): void => {
    this.fail(abortedError(this.o.signal, 'connect'), { code: 1000, reason: 'aborted' })
  }

  private arm(ms: number, error: () => Error, close?: { code: number; reason: string }): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.fail(error(), close), ms)
  }

  private onOpen(): void {
    if (this.pin.mismatch) {
      this.fail(pinError(this.pin.mismatch, this.o.pins.length), {
        code: 1008,
        reason: 'gateway tls fingerprint mismatch',
      })
      return
    }
    this.phase = 'challenge'
    this.arm(this.o.challengeTimeoutMs, () => challengeTimeoutError(this.href, this.o.challengeTimeoutMs), {
      code: 1008,
      reason: 'connect challenge timeout',
    })
  }

  private onFrame(frame: ServerFrame): void {
    if (this.phase === 'challenge' && frame.type === 'event' && frame.event === 'connect.challenge') {
      this.onChallenge(frame.payload)
    } else if (this.phase === 'hello' && frame.type === 'res' && frame.id === this.connectId) {
      this.onHelloResponse(frame)
    }
    // Anything else before hello-ok (ticks, stray events, unknown ids) is ignored.
  }

  private onChallenge(payload: unknown): void {
    const p = (payload ?? {}) as { nonce?: unknown; ts?: unknown }
    const nonce = typeof p.nonce === 'string' ? p.nonce.trim() : ''
    if (!nonce) {
      this.fail(missingNonceError(), { code: 1008, reason: 'connect challenge missing nonce' })
      return
    }
    if (typeof p.ts === 'number' && Number.isFinite(p.ts)) {
      this.challengeTs = p.ts
      this.skewMs = p.ts - Date.now()
    }
    this.phase = 'signing'
    // The signer may be remote (ssh-agent, exec, an HSM, a touch-to-sign key): bound it too.
    this.arm(this.o.connectTimeoutMs, () => signerTimeoutError(this.o.connectTimeoutMs), {
      code: 1000,
      reason: 'signer timeout',
    })
    this.sendConnect(p.nonce as string).catch((error: unknown) =>
      this.fail(error instanceof Error ? error : new Error(String(error)), {
        code: 1000,
        reason: 'connect failed',
      }),
    )
  }

  private async sendConnect(nonce: string): Promise<void> {
    const { signer, client, auth, role, scopes, signal } = this.o
    const hasAuth = Object.keys(auth).length > 0
    // docs/protocol.md §4.1: signedAt = the challenge ts (the gateway's clock) removes client clock skew.
    const device = signer
      ? await createDeviceProof({
          signer,
          nonce,
          signedAtMs: this.challengeTs ?? Date.now(),
          clientId: client.id,
          clientMode: client.mode,
          role,
          scopes,
          ...(hasAuth ? { auth } : {}),
          platform: client.platform,
          ...(client.deviceFamily !== undefined ? { deviceFamily: client.deviceFamily } : {}),
          signal,
        })
      : undefined
    if (this.phase !== 'signing') return
    const params = buildConnectParams({
      minProtocol: this.o.protocol.min,
      maxProtocol: this.o.protocol.max,
      client,
      role,
      scopes,
      ...(hasAuth ? { auth } : {}),
      ...(device ? { device } : {}),
    })
    this.connectId = this.o.nextId()
    const frame = { type: 'req' as const, id: this.connectId, method: 'connect', params }
    this.phase = 'hello'
    this.arm(this.o.connectTimeoutMs, () => helloTimeoutError(this.o.connectTimeoutMs), {
      code: 1000,
      reason: 'connect timeout',
    })
    this.o.log.frame?.('out', frame)
    this.ws.send(encodeRequest(frame))
  }

  private onHelloResponse(frame: Extract<ServerFrame, { type: 'res' }>): void {
    if (!frame.ok) {
      // The answer to connect arrives before the close frame: it says more than the close code.
      this.fail(connectError(frame.error, this.o.protocol, this.skewMs, this.challengeTs))
      return
    }
    let hello: HelloOk
    try {
      hello = parseHelloOk(frame.payload, this.o.protocol)
    } catch (error) {
      this.fail(error as Error, { code: 1002, reason: 'invalid hello-ok' })
      return
    }
    this.settle()
    this.resolve({ ws: this.ws, hello, skewMs: this.skewMs })
  }

  private onSocketError(error: Error & { code?: string }): void {
    if (this.pin.mismatch) this.fail(pinError(this.pin.mismatch, this.o.pins.length))
    else if (this.phase === 'open') this.fail(networkError(this.href, error))
    else this.fail(handshakeSocketError(this.href, error))
  }

  private onSocketClose(code: number, reason: string): void {
    this.fail(closedBeforeHelloError(this.href, code, reason, this.phase !== 'open'))
  }

  /** Stops every timer and handler of the attempt; the socket stays open (success) or is closed (failure). */
  private settle(): void {
    this.phase = 'done'
    if (this.timer) clearTimeout(this.timer)
    this.o.signal.removeEventListener('abort', this.onAbort)
    this.ws.removeAllListeners()
    // Late errors on a dead socket must not become unhandled 'error' events.
    this.ws.on('error', () => undefined)
  }

  private fail(error: Error, close?: { code: number; reason: string }): void {
    if (this.phase === 'done') return
    this.settle()
    if (this.ws.readyState === this.ws.OPEN && close) this.ws.close(close.code, close.reason)
    else if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate()
    this.reject(error)
  }
}

/**
 * Opens a socket and completes the handshake (docs/protocol.md §2): challenge, signed `connect` with protocol
 * 3..4 and the v3 payload signed at the challenge's ts, `hello-ok`.
 * @throws GatewayError (the gateway said no), ClientError (network, deadlines, pins), ProtocolError, SignerError
 */
export function performHandshake(options: HandshakeOptions): Promise<HandshakeResult> {
  if (options.signal.aborted) return Promise.reject(abortedError(options.signal, 'connect'))
  return new Promise((resolve, reject) => {
    new Handshake(options, resolve, reject)
  })
}
