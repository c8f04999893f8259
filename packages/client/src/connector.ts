import { type ConnectAuth, GatewayError } from '@clawlink/protocol'
import { sleep } from './deadline.js'
import { abortedError, ClientError } from './errors.js'
import { assertSameGateway, type GatewayBinding } from './gateway-binding.js'
import { type HandshakeOptions, type HandshakeResult, performHandshake } from './handshake.js'
import type { AuthMethod } from './session.js'
import type { DeviceTokenKey, DeviceTokenStore, StoredDeviceToken } from './token-store.js'
import { displayUrl } from './url.js'

/** Bounded retry while the gateway answers "gateway starting" (1013, docs/protocol.md §2.5 step 3). */
export type StartingRetryOptions = {
  /** @default 60000 */
  maxWaitMs?: number
  /** @default 120 */
  maxAttempts?: number
}

/** Progress of a connect, for a spinner or a log. */
export type ConnectProgress =
  | { kind: 'connecting'; url: string }
  | { kind: 'gateway-starting'; attempt: number; retryAfterMs: number }
  | { kind: 'device-token-cleared'; deviceId: string; reason: string }
  | { kind: 'retrying-auth'; with: 'shared-secret' | 'device-token' }
  | { kind: 'credentials-reloaded'; source: string | undefined }
  | { kind: 'token-store-warning'; message: string }
  | { kind: 'credentials-warning'; message: string }

/** What a connect needs besides the per-attempt handshake options. */
export interface ConnectorOptions {
  handshake: Omit<HandshakeOptions, 'auth' | 'signal'>
  token: string | undefined
  password: string | undefined
  /**
   * Reads the shared secret again from its source (a file, a SecretRef, the environment): after a mismatch a
   * changed secret replaces `token`/`password` and is tried once per connect (docs/remote-gateway.md, rotation).
   */
  credentials?: (() => Promise<SharedSecrets>) | undefined
  /** Authenticate with the stored device token when there is one, the shared secret only as the fallback. */
  preferDeviceToken?: boolean | undefined
  /** Present when a signer is: tokens are stored for (this gateway, this device, this role). */
  tokens: { store: DeviceTokenStore; key: DeviceTokenKey } | undefined
  /** A stored device token is retried after a shared-token mismatch only on loopback or pinned wss:// (docs/protocol.md §5.6). */
  trustedEndpoint: boolean
  startingRetry: StartingRetryOptions
  onProgress: (event: ConnectProgress) => void
  /**
   * The gateway of the first hello-ok, set by the client once connected. From then on a reconnect never falls back
   * to the stored device token, and a hello-ok from another gateway is refused before anything it issued is kept.
   */
  bound?: GatewayBinding | undefined
}

/** The shared secrets as their source holds them now; `source` names it for a log line (never the value). */
export interface SharedSecrets {
  token?: string | undefined
  password?: string | undefined
  source?: string | undefined
}

/** A completed connect: the open socket, how it authenticated, and the device token it was issued. */
export interface Connected extends HandshakeResult {
  authMethod: AuthMethod
}

type AuthPlan = { auth: ConnectAuth; method: AuthMethod }

/** A broken token store must not break the connect: it only costs the shared-secret path. */
async function storeCall<T>(
  o: ConnectorOptions,
  what: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call()
  } catch (error) {
    o.onProgress({
      kind: 'token-store-warning',
      message: `could not ${what} the device token store: ${(error as Error).message}`,
    })
    return undefined
  }
}

function storedToken(o: ConnectorOptions): Promise<StoredDeviceToken | undefined> {
  const t = o.tokens
  return t ? storeCall(o, 'read', () => t.store.get(t.key)) : Promise.resolve(undefined)
}

async function planAuth(
  o: ConnectorOptions,
  force: 'shared' | 'device-token' | undefined,
  known: Promise<StoredDeviceToken | undefined>,
): Promise<AuthPlan> {
  // A device managing its own token must prove it with that token (9.x hands a rotated token only to it).
  const stored = force === 'shared' || !o.preferDeviceToken ? undefined : await known
  if (force !== 'device-token' && !stored) {
    if (o.token !== undefined) return { auth: { token: o.token }, method: 'token' }
    if (o.password !== undefined) return { auth: { password: o.password }, method: 'password' }
  }
  return planDeviceToken(stored ?? (await known))
}

function planDeviceToken(stored: StoredDeviceToken | undefined): AuthPlan {
  // docs/protocol.md §5.6: without a shared secret send the device token in both fields (auth.token is the fallback).
  if (stored) return { auth: { token: stored.token, deviceToken: stored.token }, method: 'device-token' }
  return { auth: {}, method: 'none' }
}

/** The gateway's retry delay while it starts, or undefined when the error is something else. */
function startingDelay(error: unknown): number | undefined {
  if (error instanceof GatewayError && error.code === 'GATEWAY_STARTING') return error.retryAfterMs ?? 500
  if (error instanceof ClientError && error.closeCode === 1013) return error.retryAfterMs ?? 500
  return undefined
}

/**
 * The auth fallbacks of docs/protocol.md §5.6, each tried once: a stale stored device token is deleted and the
 * shared secret tried; a shared-token mismatch at a trusted endpoint is retried with the stored device token.
 */
async function nextAuth(
  o: ConnectorOptions,
  plan: AuthPlan,
  error: unknown,
  tried: Set<string>,
): Promise<'shared' | 'device-token' | undefined> {
  const code = error instanceof GatewayError ? error.code : undefined
  const t = o.tokens
  const sharedMismatch = code === 'AUTH_TOKEN_MISMATCH' || code === 'AUTH_PASSWORD_MISMATCH'
  // The secret's source is the authority: a rotated token is read again before any fallback (once per connect).
  if ((plan.method === 'token' || plan.method === 'password') && sharedMismatch && (await reloaded(o, tried)))
    return 'shared'
  if (
    plan.method === 'device-token' &&
    t &&
    (code === 'AUTH_DEVICE_TOKEN_MISMATCH' || code === 'AUTH_TOKEN_MISMATCH')
  ) {
    await storeCall(o, 'update', () => t.store.delete(t.key))
    o.onProgress({ kind: 'device-token-cleared', deviceId: t.key.deviceId, reason: code })
    if (!tried.has('shared') && (o.token !== undefined || o.password !== undefined)) {
      tried.add('shared')
      o.onProgress({ kind: 'retrying-auth', with: 'shared-secret' })
      return 'shared'
    }
    // No shared secret was configured at start: its source may hold one now.
    if (o.token === undefined && o.password === undefined && (await reloaded(o, tried))) return 'shared'
    return undefined
  }
  if (
    plan.method === 'token' &&
    code === 'AUTH_TOKEN_MISMATCH' &&
    !tried.has('device') &&
    o.trustedEndpoint &&
    // A reconnect whose shared token stopped working may have reached another gateway behind the same URL
    // (nothing on ws:// tells before authenticating): this gateway's device token is never offered there.
    !o.bound
  ) {
    if (await storedToken(o)) {
      tried.add('device')
      o.onProgress({ kind: 'retrying-auth', with: 'device-token' })
      return 'device-token'
    }
  }
  return undefined
}

/**
 * Reads the shared secrets again, at most once per connect (a second mismatch is final, never a loop). True when
 * they changed and were taken; an unreadable source keeps the old ones (with a warning).
 */
async function reloaded(o: ConnectorOptions, tried: Set<string>): Promise<boolean> {
  if (!o.credentials || tried.has('reload')) return false
  tried.add('reload')
  let fresh: SharedSecrets
  try {
    fresh = await o.credentials()
  } catch (error) {
    o.onProgress({ kind: 'credentials-warning', message: (error as Error).message })
    return false
  }
  if (fresh.token === o.token && fresh.password === o.password) return false
  if (fresh.token === undefined && fresh.password === undefined) return false
  o.token = fresh.token
  o.password = fresh.password
  o.onProgress({ kind: 'credentials-reloaded', source: fresh.source })
  return true
}

/**
 * Connects: plans the credentials, runs the handshake, retries while the gateway is starting (bounded by
 * `startingRetry` and by `signal`) and applies the auth fallbacks; stores an issued device token.
 * @throws the last attempt's error
 */
export async function establish(o: ConnectorOptions, signal: AbortSignal): Promise<Connected> {
  const maxWaitMs = o.startingRetry.maxWaitMs ?? 60_000
  const maxAttempts = o.startingRetry.maxAttempts ?? 120
  const started = Date.now()
  let startingAttempts = 0
  let force: 'shared' | 'device-token' | undefined
  const tried = new Set<string>()
  for (;;) {
    // One read of the token store per attempt, begun before the handshake so that it overlaps the network wait:
    // the plan may need it, and keepIssuedToken compares the issued token with it.
    const known = storedToken(o)
    const plan = await planAuth(o, force, known)
    o.onProgress({ kind: 'connecting', url: displayUrl(o.handshake.url) })
    try {
      const result = await performHandshake({ ...o.handshake, auth: plan.auth, signal })
      try {
        assertSameGateway(o.bound, result.hello, displayUrl(o.handshake.url))
      } catch (error) {
        result.ws.close(1000)
        throw error
      }
      await keepIssuedToken(o, result, known)
      const live = result.hello.scopesAreLive ? result.hello.auth?.method : undefined
      return { ...result, authMethod: live === 'device-token' ? 'device-token' : plan.method }
    } catch (error) {
      if (signal.aborted) throw abortedError(signal, 'connect')
      const delay = startingDelay(error)
      if (delay !== undefined) {
        startingAttempts++
        const wait = Math.max(100, Math.min(delay, 5000))
        if (startingAttempts <= maxAttempts && Date.now() - started + wait <= maxWaitMs) {
          o.onProgress({ kind: 'gateway-starting', attempt: startingAttempts, retryAfterMs: wait })
          await sleep(wait, signal)
          continue
        }
      }
      force = await nextAuth(o, plan, error, tried)
      if (force === undefined) throw error
    }
  }
}

async function keepIssuedToken(
  o: ConnectorOptions,
  result: HandshakeResult,
  known: Promise<StoredDeviceToken | undefined>,
): Promise<void> {
  const auth = result.hello.auth
  if (!auth?.deviceToken) return
  await saveDeviceToken(o, auth.deviceToken, [...auth.scopes], auth.issuedAtMs, known)
}

/**
 * Stores a device token the gateway issued, bound to this gateway; a failing store only warns. `known`: the store's
 * entry as read for this connect (read now when not given).
 */
export async function saveDeviceToken(
  o: ConnectorOptions,
  token: string,
  scopes: string[],
  issuedAtMs?: number,
  known: Promise<StoredDeviceToken | undefined> = storedToken(o),
): Promise<void> {
  const t = o.tokens
  if (!t) return
  const entry: StoredDeviceToken = {
    token,
    scopes,
    url: displayUrl(o.handshake.url),
    ...(issuedAtMs !== undefined ? { issuedAtMs } : {}),
  }
  // 9.x hands the same token back on every connect: rewriting an unchanged file (temp, fsync, rename) is a
  // write per command for nothing.
  const current = await known
  const same =
    current?.token === entry.token &&
    current.url === entry.url &&
    current.issuedAtMs === entry.issuedAtMs &&
    current.scopes.join(' ') === entry.scopes.join(' ')
  if (same) return
  await storeCall(o, 'write', () => t.store.set(t.key, entry))
}
