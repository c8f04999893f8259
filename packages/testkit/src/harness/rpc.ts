import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { createRequire } from 'node:module'
import {
  buildConnectParams,
  createDeviceProof,
  type DeviceSigner,
  parseServerFrame,
  seedToPkcs8Pem,
  type WireError,
} from '@clawlink/protocol'
import type WebSocketType from 'ws'

const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketType

/** A throwaway Ed25519 signer on node:crypto, for harness set-up calls (not clawlink's signers). */
export function createEphemeralSigner(seed?: Uint8Array): DeviceSigner {
  const key: KeyObject = seed
    ? createPrivateKey(seedToPkcs8Pem(seed))
    : generateKeyPairSync('ed25519').privateKey
  const publicKey = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12))
  return {
    algorithm: 'ed25519',
    publicKey,
    async sign(payload) {
      return new Uint8Array(sign(null, payload, key))
    },
  }
}

/** Failure of a harness RPC, with the gateway's error or close code. */
export class HarnessRpcError extends Error {
  override name = 'HarnessRpcError'
  constructor(
    message: string,
    readonly kind: 'refused' | 'closed' | 'gateway' | 'timeout',
    readonly gatewayCode?: string,
    readonly closeCode?: number,
    /** The gateway's whole `error` (its `details` name e.g. `PAIRING_REQUIRED` and the requestId). */
    readonly wire?: WireError,
  ) {
    super(message)
  }

  /** The gateway's `error.details`, when it sent any. */
  get details(): Record<string, unknown> | undefined {
    return this.wire?.details
  }
}

/** Options of {@link gatewayRpc}. */
export interface RpcOptions {
  url: string
  /** The shared token; `''` sends none (e.g. a device-token-only connect). */
  token: string
  /** A device token from an earlier hello-ok, sent as `auth.deviceToken`. */
  deviceToken?: string
  scopes?: readonly string[]
  /** Sign a device block (needed for scopes on v3 gateways, docs/protocol.md §5.3). */
  signer?: DeviceSigner
  /** Overrides of the `client` block (default `cli`/`cli`, platform `linux`). */
  client?: { id?: string; mode?: string; platform?: string; displayName?: string }
  timeoutMs?: number
  /** Sees every event frame after the challenge (e.g. `device.pair.requested`). */
  onEvent?: (event: string, payload: unknown, seq?: number) => void
  /** Keeps the session open this long after the last call (to watch events). @default 0 */
  holdOpenMs?: number
  /** Keeps the session open after the last call until this settles (then `holdOpenMs` more); `timeoutMs` still bounds it. */
  holdUntil?: (results: unknown[]) => Promise<unknown>
}

/** One call of {@link gatewayRpc}; `params` may be computed from the results so far. */
export interface RpcCall {
  method: string
  params?: unknown | ((results: unknown[]) => unknown)
}

type RpcResult = { hello: Record<string, unknown>; results: unknown[] }

/** One {@link gatewayRpc} session: the socket, the calls and what has come back so far. */
interface RpcSession {
  options: RpcOptions
  calls: RpcCall[]
  scopes: readonly string[]
  ws: WebSocketType
  hello?: Record<string, unknown>
  results: unknown[]
  next: number
  timer?: NodeJS.Timeout
  resolve(result: RpcResult): void
  reject(error: Error): void
}

/** Stops listening (a late socket error is ignored) and stops the timeout. */
function detach(session: RpcSession): void {
  clearTimeout(session.timer)
  session.ws.removeAllListeners()
  session.ws.on('error', () => {})
}

function fail(session: RpcSession, error: Error): void {
  detach(session)
  session.ws.terminate()
  session.reject(error)
}

/** Sends the next call, or, after the last one, closes (after `holdOpenMs`) and resolves. */
function sendNext(session: RpcSession): void {
  const { calls, next, results, options, ws } = session
  const call = calls[next]
  if (!call) {
    const finish = () => {
      detach(session)
      ws.close()
      session.resolve({ hello: session.hello!, results })
    }
    const hold = () => (options.holdOpenMs ? setTimeout(finish, options.holdOpenMs) : finish())
    if (options.holdUntil) options.holdUntil(results).then(hold, (error: Error) => fail(session, error))
    else hold()
    return
  }
  const params = typeof call.params === 'function' ? call.params(results) : call.params
  ws.send(JSON.stringify({ type: 'req', id: `h${next + 2}`, method: call.method, params: params ?? {} }))
}

/** Answers the challenge with `connect`, signing a device block when there is a signer. */
async function answerChallenge(session: RpcSession, challenge: unknown): Promise<void> {
  const { options, scopes } = session
  const { nonce, ts } = challenge as { nonce: string; ts: number }
  const client = {
    id: 'cli',
    mode: 'cli',
    version: '0.0.0-harness',
    platform: 'linux',
    ...options.client,
  }
  const auth = { token: options.token || undefined, deviceToken: options.deviceToken }
  const device = options.signer
    ? await createDeviceProof({
        signer: options.signer,
        nonce,
        signedAtMs: ts,
        clientId: client.id,
        clientMode: client.mode,
        scopes,
        auth,
        platform: client.platform,
      })
    : undefined
  const params = buildConnectParams({ client, scopes, auth, ...(device ? { device } : {}) })
  session.ws.send(JSON.stringify({ type: 'req', id: 'h1', method: 'connect', params }))
}

/** Handles one frame; a promise only while the challenge is being answered. */
function onFrame(session: RpcSession, data: Buffer): Promise<void> | undefined {
  const frame = parseServerFrame(data.toString())
  if (frame.type === 'event' && frame.event === 'connect.challenge')
    return answerChallenge(session, frame.payload)
  if (frame.type === 'event') {
    session.options.onEvent?.(frame.event, frame.payload, frame.seq)
    return undefined
  }
  if (frame.type !== 'res') return undefined
  if (!frame.ok) {
    const e = frame.error!
    fail(session, new HarnessRpcError(`${e.code}: ${e.message}`, 'gateway', e.code, undefined, e))
    return undefined
  }
  if (frame.id === 'h1') session.hello = frame.payload as Record<string, unknown>
  else {
    if ((frame.payload as { status?: string } | undefined)?.status === 'accepted') return undefined
    session.results.push(frame.payload)
    session.next++
  }
  sendNext(session)
  return undefined
}

/**
 * Connects (protocol 3..4, `cli`/`cli`), runs `calls` in order and closes. A deliberately small client of its
 * own, so the harness does not depend on the client under test.
 */
export async function gatewayRpc(options: RpcOptions, calls: RpcCall[]): Promise<RpcResult> {
  const scopes = options.scopes ?? ['operator.admin', 'operator.read', 'operator.write']
  const ws = new WebSocket(options.url)
  const timeoutMs = options.timeoutMs ?? 20_000
  return await new Promise((resolve, reject) => {
    const session: RpcSession = { options, calls, scopes, ws, results: [], next: 0, resolve, reject }
    session.timer = setTimeout(
      () => fail(session, new HarnessRpcError(`no answer from ${options.url} in ${timeoutMs} ms`, 'timeout')),
      timeoutMs,
    )
    ws.on('error', (error: NodeJS.ErrnoException) =>
      fail(session, new HarnessRpcError(`${options.url}: ${error.code ?? error.message}`, 'refused')),
    )
    ws.on('close', (code: number, reason: Buffer) =>
      fail(session, new HarnessRpcError(`closed ${code} ${reason.toString()}`, 'closed', undefined, code)),
    )
    ws.on('message', async (data: Buffer) => {
      try {
        await onFrame(session, data)
      } catch (error) {
        fail(session, error as Error)
      }
    })
  })
}
