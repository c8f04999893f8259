import {
  buildPairRequestParams,
  canCall,
  GatewayError,
  type HelloOk,
  scopeSatisfies,
} from '@clawlink/protocol'
import { type Connected, type ConnectorOptions, establish, saveDeviceToken } from './connector.js'
import { ClientError } from './errors.js'
import {
  type ApprovalProgress,
  type ApprovalSubject,
  type ApprovalWaitOptions,
  approvalAborted,
  isApprovalError,
  PAIRING_REQUEST_TTL_MS,
  pairingRejected,
  waitForApproval,
} from './pairing.js'
import { Session } from './session.js'

// Scope upgrades (REMOTE-FACTS.md): 2026.9.x lets a paired device ask for more scopes on a live session
// (`device.scopes.requestUpgrade`) and wait for the verdict (`device.scopes.waitUpgrade`, which also says
// "rejected" and "expired"). The live session keeps its scopes: the approved device token is stored and the
// device reconnects. Without those methods the refused connect's own request is waited out by reconnecting.

const REQUEST_UPGRADE = 'device.scopes.requestUpgrade'
const WAIT_UPGRADE = 'device.scopes.waitUpgrade'
const REJECT = 'device.pair.reject'
/** One `waitUpgrade` long-poll; the caller's signal bounds the whole wait. */
const WAIT_CALL_MS = 600_000

/** What a connect that waits for approval needs besides the connector options. */
export interface ApprovalContext {
  options: ApprovalWaitOptions
  subject: ApprovalSubject
  onProgress: (event: ApprovalProgress) => void
}

function grantedScopes(hello: HelloOk, fallback: readonly string[]): readonly string[] {
  return hello.auth?.scopes.length ? hello.auth.scopes : fallback
}

/** Requested scopes this hello-ok did not grant (v4 only: v3 reports the token's scopes, not the socket's). */
function shortOf(hello: HelloOk, requested: readonly string[]): string[] {
  if (!hello.scopesAreLive || !hello.auth) return []
  const held = hello.auth.scopes
  return requested.filter((s) => !scopeSatisfies(held, s))
}

function hasUpgradeMethods(hello: HelloOk): boolean {
  return hello.methods.includes(REQUEST_UPGRADE) && hello.methods.includes(WAIT_UPGRADE)
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/**
 * Connects; when the gateway wants an operator's approval, waits for it (bounded by `signal`): a scope upgrade
 * through `requestUpgrade`/`waitUpgrade` where the gateway has them, else by reconnecting. One approval either way.
 * @throws PAIRING_REJECTED, APPROVAL_TIMEOUT, ABORTED, or the connect's own error
 */
export async function establishApproved(
  o: ConnectorOptions,
  signal: AbortSignal,
  ctx: ApprovalContext,
): Promise<Connected> {
  const started = Date.now()
  const granted = (c: Connected, requestId: string | undefined): Connected => {
    const scopes = grantedScopes(c.hello, o.handshake.scopes)
    ctx.onProgress({ kind: 'approval-granted', requestId, scopes, waitedMs: Date.now() - started })
    return c
  }
  let first: unknown
  try {
    const connected = await establish(o, signal)
    const short = shortOf(connected.hello, o.handshake.scopes).length > 0
    if (!o.handshake.signer || !short || !hasUpgradeMethods(connected.hello)) return connected
    const upgraded = await upgradeOnConnection(o, connected, signal, ctx)
    return granted(upgraded.connected, upgraded.requestId)
  } catch (error) {
    if (!isApprovalError(error)) throw error
    first = error
  }
  if (first instanceof GatewayError && first.code === 'SCOPE_UPGRADE_PENDING') {
    const upgraded = await upgradeFromRefusal(o, first, signal, ctx)
    if (upgraded) return granted(upgraded.connected, upgraded.requestId)
  }
  let lastId = first instanceof GatewayError ? first.requestId : undefined
  let stray: string | undefined
  const connected = await waitForApproval(
    { attempt: (s) => establish(o, s), first, subject: ctx.subject, options: ctx.options },
    {
      signal,
      onProgress: (event) => {
        if (event.kind === 'approval-pending') lastId = event.requestId
        ctx.onProgress(event)
      },
      onStray: (requestId) => {
        stray = requestId
      },
    },
  )
  const approved = granted(connected, lastId)
  return stray ? withdrawStray(o, approved, stray, signal, ctx) : approved
}

/**
 * A connect that crossed the operator's approval opens a new request nobody needs (measured on 2026.5.7); it
 * would sit in the operator's list for minutes. The device withdraws it where its scopes allow (a gateway lets
 * a device reject its own request), on a session of its own, then connects again for the caller.
 */
async function withdrawStray(
  o: ConnectorOptions,
  connected: Connected,
  requestId: string,
  signal: AbortSignal,
  ctx: ApprovalContext,
): Promise<Connected> {
  const scopes = grantedScopes(connected.hello, o.handshake.scopes)
  if (!canCall(scopes, REJECT, connected.hello.protocol) || !connected.hello.methods.includes(REJECT)) {
    ctx.onProgress({ kind: 'approval-stray', requestId, outcome: 'left' })
    return connected
  }
  const side = sideSession(o, connected, signal)
  let outcome: 'withdrawn' | 'gone' | 'left' = 'left'
  try {
    await side.call(REJECT, buildPairRequestParams(requestId), 10_000)
    outcome = 'withdrawn'
  } catch (error) {
    if (signal.aborted) throw error
    if (error instanceof GatewayError && /unknown requestId/i.test(error.message)) outcome = 'gone'
  } finally {
    await side.close()
  }
  ctx.onProgress({ kind: 'approval-stray', requestId, outcome })
  return establish(o, signal)
}

/** The refused connect told us what is approved: reconnect with that, and ask for the rest on the session. */
async function upgradeFromRefusal(
  o: ConnectorOptions,
  refusal: GatewayError,
  signal: AbortSignal,
  ctx: ApprovalContext,
): Promise<{ connected: Connected; requestId: string } | undefined> {
  const approved = stringList(refusal.details.approvedScopes).filter((s) => s.startsWith('operator.'))
  if (!o.handshake.signer || approved.length === 0) return undefined
  let reduced: Connected
  try {
    reduced = await establish({ ...o, handshake: { ...o.handshake, scopes: approved } }, signal)
  } catch (error) {
    if (signal.aborted) throw error
    return undefined // the fallback (reconnect and wait) still works
  }
  if (!hasUpgradeMethods(reduced.hello)) {
    reduced.ws.close(1000)
    return undefined
  }
  return upgradeOnConnection(o, reduced, signal, ctx)
}

/**
 * On a session holding fewer scopes than requested: one `requestUpgrade`, then `waitUpgrade` until approved
 * (a new request when one expires; PAIRING_REJECTED when turned down); stores the new device token and
 * reconnects with the full scopes, returning that connection and the request that was approved. The caller
 * checked that the gateway has the methods.
 */
async function upgradeOnConnection(
  o: ConnectorOptions,
  connected: Connected,
  signal: AbortSignal,
  ctx: ApprovalContext,
): Promise<{ connected: Connected; requestId: string }> {
  const started = Date.now()
  const held = grantedScopes(connected.hello, o.handshake.scopes)
  const wanted = [...new Set([...o.handshake.scopes, ...held])].slice(0, 8)
  let side = sideSession(o, connected, signal)
  const call = (method: string, params: unknown): Promise<unknown> => side.call(method, params, WAIT_CALL_MS)
  const ask = (replaces?: string): Promise<string> => askUpgrade(call, wanted, ctx, replaces)
  let requestId: string | undefined
  let askedAt = Date.now()
  // "expired or not found" for a young request: it was resolved before the wait began (an operator quick on
  // the draw); the reconnect below tells approved (paired with the scopes) from rejected (refused again).
  let resolvedEarly = false
  try {
    requestId = await ask()
    for (;;) {
      let answer: { status?: unknown; deviceToken?: unknown; scopes?: unknown }
      try {
        answer = (await call(WAIT_UPGRADE, { requestId })) as typeof answer
      } catch (error) {
        if (signal.aborted) throw error
        if (error instanceof GatewayError && /expired or not found/.test(error.message)) {
          resolvedEarly = Date.now() - askedAt < (ctx.options.expiryMs ?? PAIRING_REQUEST_TTL_MS) - 10_000
          if (resolvedEarly) break
          answer = { status: 'expired' }
        } else if (error instanceof ClientError && error.shouldRetry()) {
          // The long-poll's socket dropped: wait on the same request from a new session (works on 9.6).
          await side.close(error)
          const again = await establish({ ...o, handshake: { ...o.handshake, scopes: held } }, signal)
          side = sideSession(o, again, signal)
          continue
        } else throw error
      }
      if (answer.status === 'approved') {
        // The approved token replaces the old one (which the gateway no longer accepts).
        const token = answer.deviceToken
        if (typeof token === 'string' && token !== '')
          await saveDeviceToken(o, token, stringList(answer.scopes))
        break
      }
      if (answer.status === 'rejected') throw pairingRejected(requestId, undefined)
      if (answer.status !== 'expired') throw badAnswer(WAIT_UPGRADE)
      requestId = await ask(requestId)
      askedAt = Date.now()
    }
  } catch (error) {
    if (signal.aborted) throw approvalAborted(signal, requestId, Date.now() - started)
    throw error
  } finally {
    await side.close()
  }
  const approvedId = requestId ?? ''
  const reconnected = await establish(o, signal).catch((error: unknown) => {
    throw resolvedEarly && isApprovalError(error) ? pairingRejected(approvedId, error.requestId) : error
  })
  return { connected: reconnected, requestId: approvedId }
}

/** Sends `requestUpgrade` and reports the new request (and the expired one it replaces). */
async function askUpgrade(
  call: (method: string, params: unknown) => Promise<unknown>,
  wanted: string[],
  ctx: ApprovalContext,
  replaces: string | undefined,
): Promise<string> {
  const answer = (await call(REQUEST_UPGRADE, { scopes: wanted })) as { requestId?: unknown }
  const id = typeof answer?.requestId === 'string' ? answer.requestId : undefined
  if (!id) throw badAnswer(REQUEST_UPGRADE)
  ctx.onProgress({
    kind: 'approval-pending',
    requestId: id,
    reason: 'scope-upgrade',
    via: 'requestUpgrade',
    ...(replaces ? { replaces } : {}),
    subject: ctx.subject,
  })
  return id
}

/** A session of this module's own on a connection (a scope upgrade, a withdrawal): final answers, then closed. */
function sideSession(o: ConnectorOptions, connected: Connected, signal: AbortSignal) {
  const session = new Session(
    connected.ws,
    {
      hello: connected.hello,
      scopes: grantedScopes(connected.hello, []),
      authMethod: connected.authMethod,
      tokenOnly: false,
      skewMs: connected.skewMs,
    },
    { log: o.handshake.log, onEvent: () => undefined, onEnd: () => undefined },
  )
  return {
    call: (method: string, params: unknown, timeoutMs: number): Promise<unknown> =>
      session.request({ id: o.handshake.nextId(), method, params, timeoutMs, signal, expectFinal: true }),
    close: (reason?: Error): Promise<void> =>
      session.close(
        reason ?? new ClientError('CONNECTION_CLOSED', 'approval side session closed', { remedy: 'none' }),
      ),
  }
}

function badAnswer(method: string): ClientError {
  return new ClientError('UNEXPECTED_RESPONSE', `${method} answered with an unexpected shape`, {
    remedy:
      'report this with the gateway version (`openclaw --version`); the operator can still approve the request',
  })
}
