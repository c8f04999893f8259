import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { type ConnectionOptions, type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls'
import { normalizeFingerprint, parseServerFrame, type ServerFrame } from '@clawlink/protocol'
import type WebSocket from 'ws'
import type { ClientOptions as WsClientOptions } from 'ws'
import { describeFrameForLog } from './redact.js'

// The WebSocket layer both the handshake and the session use: loading `ws`, TLS pinning, frame size limits,
// frame decoding. Nothing here knows about connect, requests or reconnects.

type WebSocketClass = typeof WebSocket
let webSocketClass: WebSocketClass | undefined
/**
 * `require('ws')` costs ~30 ms on Node 20, the ESM import ~90 ms (docs/testing.md §8): the CLI start-up budget.
 * Inside the apps' CommonJS bundles `require` exists and esbuild bundles `ws` in (no module lookup, and the bundle's
 * code cache covers it: docs/architecture.md "Start-up"); as an ES module this library requires it from its own
 * node_modules.
 */
export function loadWebSocket(): WebSocketClass {
  webSocketClass ??= (
    typeof require === 'function' ? require('ws') : createRequire(import.meta.url)('ws')
  ) as WebSocketClass
  return webSocketClass
}

/** Largest frame accepted before hello-ok: the challenge is tiny and a 9.x hello-ok about 16 kB. */
export const PREAUTH_MAX_FRAME_BYTES = 1024 * 1024
/** Ceiling on the gateway's `policy.maxPayload` (25 MiB on every version, docs/protocol.md §1.4). */
export const MAX_FRAME_BYTES = 32 * 1024 * 1024

/** What the TLS pin check saw, read after the socket fails or opens. */
export type PinState = { mismatch?: string }

/** A certificate Node does not trust, with what the user needs to pin it after checking it out of band. */
export type UntrustedCertificate = Error & { code: string; certFingerprint256?: string }

/**
 * `tls.connect` for an unpinned `wss://` that keeps the certificate of a refused handshake: Node's own
 * verification (chain and host name) still decides, but the verdict is read on `secureConnect`, where the peer
 * certificate is still there, so the error can carry its SHA-256 fingerprint (the `--tls-fingerprint` to add).
 * Nothing but the TLS handshake and the upgrade request (no secret in it) precedes the verdict.
 */
function connectKeepingVerdict(options: ConnectionOptions & { path?: string }): TLSSocket {
  const host = options.host ?? ''
  const servername = options.servername ?? (isIP(host) ? '' : host)
  const socket = tlsConnect({ ...options, path: undefined, servername, rejectUnauthorized: false })
  socket.once('secureConnect', () => {
    if (socket.authorized) return
    const reason = String(socket.authorizationError ?? 'certificate not trusted')
    const error = new Error(`certificate not trusted: ${reason}`) as UntrustedCertificate
    error.code = /^[A-Z0-9_]+$/.test(reason) ? reason : 'ERR_TLS_CERT_UNTRUSTED'
    const fingerprint = socket.getPeerCertificate()?.fingerprint256
    if (fingerprint) error.certFingerprint256 = fingerprint
    socket.destroy(error)
  })
  return socket
}

/**
 * `ws` options for one attempt: no compression, the pre-auth frame limit, and for `wss://` either the pin check
 * or (unpinned) Node's verification with the refused certificate's fingerprint kept for the error.
 */
export function socketOptions(
  url: URL,
  pins: readonly string[],
): { options: WsClientOptions; pin: PinState } {
  const pin: PinState = {}
  const options: WsClientOptions = { maxPayload: PREAUTH_MAX_FRAME_BYTES, perMessageDeflate: false }
  if (url.protocol === 'wss:' && pins.length > 0) {
    // docs/protocol.md §10: a pinned self-signed certificate is fine; the pin replaces CA validation.
    options.rejectUnauthorized = false
    const check = (_host: string, cert: PeerCertificate): Error | undefined => {
      const seen = normalizeFingerprint(cert.fingerprint256 ?? '')
      if (seen && pins.includes(seen)) return undefined
      pin.mismatch = seen || 'missing'
      return new Error(`gateway TLS fingerprint mismatch (got ${seen || 'none'})`)
    }
    // ws hands this to tls.connect, which expects Error | undefined (@types/ws declares boolean).
    options.checkServerIdentity = check as unknown as WsClientOptions['checkServerIdentity']
  } else if (url.protocol === 'wss:') {
    options.createConnection = connectKeepingVerdict as unknown as WsClientOptions['createConnection']
  }
  return { options, pin }
}

/** Re-checks the peer certificate once the upgrade succeeded (docs/protocol.md §10). */
export function checkUpgradePin(socket: unknown, pins: readonly string[], pin: PinState): void {
  if (pins.length === 0) return
  const seen = normalizeFingerprint((socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? '')
  if (!seen || !pins.includes(seen)) pin.mismatch = seen || 'missing'
}

/**
 * Raises the frame limit after hello-ok to the gateway's policy, capped at {@link MAX_FRAME_BYTES}. `ws` fixes
 * `maxPayload` at construction; its receiver keeps it in `_maxPayload` (ws 8.x, pinned), which is set here.
 */
export function raiseFrameLimit(ws: WebSocket, policyMaxPayload: number): number {
  const limit = Math.min(Math.max(policyMaxPayload, PREAUTH_MAX_FRAME_BYTES), MAX_FRAME_BYTES)
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = limit
  return receiver ? limit : PREAUTH_MAX_FRAME_BYTES
}

/** Debug sinks: every frame (secrets redacted) and one-line notes. */
export interface FrameLog {
  frame?: (direction: 'in' | 'out', frame: unknown) => void
  note?: (line: string) => void
}

/** A debug log built from a line sink; frames are redacted before they reach it. */
export function frameLog(sink: ((line: string) => void) | undefined): FrameLog {
  if (!sink) return {}
  const safe = (line: string): void => {
    try {
      sink(line)
    } catch {
      // Logging is best effort.
    }
  }
  return { frame: (direction, frame) => safe(describeFrameForLog(direction, frame)), note: safe }
}

/** Decodes one WebSocket message; binary, malformed and unknown frames are logged and skipped (never fatal). */
export function decodeFrame(
  data: WebSocket.RawData,
  isBinary: boolean,
  log: FrameLog,
): ServerFrame | undefined {
  if (isBinary) {
    log.note?.('← [binary frame ignored]')
    return undefined
  }
  // `ws` hands text frames over as a Buffer (binaryType 'nodebuffer'): decode it in place, no copy.
  const text = Buffer.isBuffer(data)
    ? data.toString('utf8')
    : Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data).toString('utf8')
  try {
    const frame = parseServerFrame(text)
    log.frame?.('in', frame)
    return frame
  } catch (error) {
    log.note?.(`← [ignored frame, ${text.length} chars: ${(error as Error).message}]`)
    return undefined
  }
}

/** Byte length of a decoded message (for response budgets). */
export function messageBytes(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0)
  return (data as ArrayBuffer).byteLength ?? (data as Buffer).length
}
