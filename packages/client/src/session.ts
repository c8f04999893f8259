import {
  classifyGatewayError,
  describeCloseCode,
  encodeRequest,
  type EventFrame,
  type HelloOk,
  type ServerFrame,
  type WireError,
} from '@clawlink/protocol'
import type WebSocket from 'ws'
import { clampMs, formatMs, MAX_TIMER_MS, requestTimeout } from './deadline.js'
import { abortedError, ClientError } from './errors.js'
import { decodeFrame, type FrameLog, messageBytes, raiseFrameLimit } from './transport.js'

/** How a session authenticated. */
export type AuthMethod = 'token' | 'password' | 'device-token' | 'none'

/** What the façade knows about a session when it opens. */
export interface SessionInfo {
  hello: HelloOk
  /** Scopes this socket can use (docs/protocol.md §3 caveat). */
  scopes: readonly string[]
  authMethod: AuthMethod
  /** True when no device identity was sent. */
  tokenOnly: boolean
  /** Gateway clock minus local clock, from the challenge. */
  skewMs: number | undefined
}

/** Options of one request on a session. */
export interface SessionRequest {
  id: string
  method: string
  params: unknown
  /** A limit of the session's own; callers whose `signal` already carries their deadline leave it out. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
  /** Skip interim `{status:"accepted"}` responses (docs/protocol.md §1.2). */
  expectFinal: boolean
  /** Receives the byte size of the final response frame (for paging budgets). */
  onResponseBytes?: ((bytes: number) => void) | undefined
}

type Pending = {
  request: SessionRequest
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  cleanup: () => void
}

// A gateway could announce any tick interval; the watchdog stays within sane bounds (docs/protocol.md §8).
const MIN_TICK_MS = 1000
const MAX_TICK_MS = 10 * 60_000

/**
 * One open socket after `hello-ok`: request correlation, event dispatch, the tick watchdog
 * (docs/protocol.md §8). When the socket ends, every pending request fails with the reason, once.
 */
export class Session {
  readonly info: SessionInfo
  private readonly pending = new Map<string, Pending>()
  private tickTimer: NodeJS.Timeout | undefined
  private shutdownSeen = false
  private endedWith: Error | undefined
  private lastResponseBytes = 0

  constructor(
    private readonly ws: WebSocket,
    info: SessionInfo,
    private readonly hooks: {
      log: FrameLog
      onEvent: (frame: EventFrame) => void
      onEnd: (error: Error) => void
    },
  ) {
    this.info = info
    const frameLimit = raiseFrameLimit(ws, info.hello.policy.maxPayload)
    let socketError: (Error & { code?: string }) | undefined
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      this.armTickWatchdog()
      this.lastResponseBytes = messageBytes(data)
      const frame = decodeFrame(data, isBinary, hooks.log)
      if (frame) this.onFrame(frame)
    })
    ws.on('ping', () => this.armTickWatchdog())
    ws.on('error', (error: Error) => {
      socketError = error
    })
    ws.on('close', (code: number, reason: Buffer) =>
      this.end(
        socketError?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
          ? frameTooLarge(frameLimit, socketError)
          : closeError(code, reason.toString(), this.shutdownSeen),
      ),
    )
    this.armTickWatchdog()
  }

  /** True once the socket has ended. */
  get ended(): boolean {
    return this.endedWith !== undefined
  }

  /** The largest frame the gateway accepts from us. */
  get maxPayload(): number {
    return this.info.hello.policy.maxPayload
  }

  /** Sends a request and resolves with the final response's payload. */
  request(req: SessionRequest): Promise<unknown> {
    if (this.endedWith) return Promise.reject(this.endedWith)
    const frame =
      req.params === undefined
        ? { type: 'req' as const, id: req.id, method: req.method }
        : { type: 'req' as const, id: req.id, method: req.method, params: req.params }
    const text = encodeRequest(frame)
    const size = Buffer.byteLength(text)
    if (size > this.maxPayload) {
      return Promise.reject(
        new ClientError(
          'PAYLOAD_TOO_LARGE',
          `${req.method} request is ${size} bytes; the gateway accepts at most ${this.maxPayload}`,
          {
            remedy: 'Send less data in one request (hello-ok policy.maxPayload is the limit).',
          },
        ),
      )
    }
    return new Promise((resolve, reject) => {
      const limitMs = req.timeoutMs
      const timer =
        limitMs === undefined
          ? undefined
          : setTimeout(
              () => {
                settle()
                reject(requestTimeout(req.method, limitMs, 'open'))
              },
              clampMs(limitMs, 1, MAX_TIMER_MS, 30_000),
            )
      const onAbort = (): void => {
        settle()
        reject(abortedError(req.signal, req.method))
      }
      const settle = (): void => {
        this.pending.delete(req.id)
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
      }
      if (req.signal?.aborted) {
        settle()
        reject(abortedError(req.signal, req.method))
        return
      }
      req.signal?.addEventListener('abort', onAbort, { once: true })
      this.pending.set(req.id, { request: req, resolve, reject, cleanup: settle })
      this.hooks.log.frame?.('out', frame)
      this.ws.send(text, (error) => {
        if (!error || !this.pending.has(req.id)) return
        settle()
        reject(
          new ClientError('CONNECTION_CLOSED', `could not send ${req.method}: ${error.message}`, {
            remedy: 'The connection dropped; retry once the client is connected again.',
            retryable: true,
            cause: error,
          }),
        )
      })
    })
  }

  /** Closes the socket (1000) and fails pending requests with `error`; waits at most 1 s for the close. */
  async close(error: Error): Promise<void> {
    const ws = this.ws
    this.end(error)
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

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'res') {
      this.onResponse(frame)
      return
    }
    if (frame.event === 'shutdown') this.shutdownSeen = true
    this.hooks.onEvent(frame)
  }

  private onResponse(frame: Extract<ServerFrame, { type: 'res' }>): void {
    const entry = this.pending.get(frame.id)
    if (!entry) return
    const payload = frame.payload as { status?: unknown } | undefined
    if (
      frame.ok &&
      entry.request.expectFinal &&
      payload &&
      typeof payload === 'object' &&
      payload.status === 'accepted'
    )
      return
    entry.cleanup()
    entry.request.onResponseBytes?.(this.lastResponseBytes)
    if (frame.ok) {
      entry.resolve(frame.payload)
      return
    }
    const wire: WireError = frame.error ?? {
      code: 'UNAVAILABLE',
      message: `${entry.request.method} failed without an error body`,
    }
    entry.reject(classifyGatewayError(wire, { method: entry.request.method, params: entry.request.params }))
  }

  /** Restarts the tick watchdog (on every frame): one timer per session, refreshed. */
  private armTickWatchdog(): void {
    if (this.endedWith) return
    if (this.tickTimer) {
      this.tickTimer.refresh()
      return
    }
    const interval = clampMs(this.info.hello.policy.tickIntervalMs, MIN_TICK_MS, MAX_TICK_MS, 30_000)
    // docs/protocol.md §8: no tick (or any frame) within 2 × tickIntervalMs → close 4000 "tick timeout".
    this.tickTimer = setTimeout(() => this.onTickTimeout(interval), 2 * interval)
    this.tickTimer.unref()
  }

  private onTickTimeout(interval: number): void {
    const error = new ClientError(
      'TICK_TIMEOUT',
      `no tick from the gateway for ${formatMs(2 * interval)} (2 × tickIntervalMs); connection considered dead`,
      {
        remedy: 'The gateway or the network path stalled; reconnect (the MCP server does so automatically).',
        retryable: true,
        closeCode: 4000,
        closeReason: 'tick timeout',
      },
    )
    try {
      this.ws.close(4000, 'tick timeout')
    } catch {
      // already closing
    }
    setTimeout(() => this.ws.terminate(), 1000).unref()
    this.end(error)
  }

  private end(error: Error): void {
    if (this.endedWith) return
    this.endedWith = error
    if (this.tickTimer) clearTimeout(this.tickTimer)
    for (const entry of [...this.pending.values()]) {
      entry.cleanup()
      entry.reject(error)
    }
    this.hooks.onEnd(error)
  }
}

/** A frame beyond the limit (policy.maxPayload, capped): `ws` refused it unread and closed the socket (1009). */
function frameTooLarge(limit: number, cause: Error): ClientError {
  return new ClientError(
    'RESPONSE_TOO_LARGE',
    `the gateway sent a frame larger than ${formatBytes(limit)}; connection closed without reading it`,
    {
      remedy:
        'Ask for less at once (a query, a smaller limit); a gateway that does this unasked is misbehaving.',
      closeCode: 1009,
      cause,
    },
  )
}

const formatBytes = (n: number): string =>
  n >= 1048576 ? `${Math.round(n / 1048576)} MiB` : `${Math.round(n / 1024)} KiB`

/** The error for a socket that closed after hello-ok. */
export function closeError(code: number, reason: string, shutdownSeen: boolean): ClientError {
  if (shutdownSeen || code === 1012) {
    return new ClientError(
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
  }
  const meaning = describeCloseCode(code, reason)
  return new ClientError(
    'CONNECTION_CLOSED',
    `connection to the gateway closed (close ${code}${reason ? ` "${reason}"` : ''}): ${meaning.meaning}`,
    {
      remedy: 'Retry once the gateway is reachable; requests in flight may or may not have run.',
      retryable: true,
      closeCode: code,
      closeReason: reason,
    },
  )
}
