import { approveCommand, ClawlinkError, GatewayError, isSafeGatewayId } from '@clawlink/protocol'
import { backoffDelayMs } from './backoff.js'
import { formatMs, sleep } from './deadline.js'
import { abortedError, ClientError } from './errors.js'

// Waiting for an operator's approval (REMOTE-FACTS.md): an unpaired device cannot hold a session, so it cannot
// see `device.pair.resolved`; it polls by reconnecting. Each such connect is cheap and is not an auth failure.
// A rejection is not announced either: the next connect simply gets a NEW requestId. An expiry (5 minutes after
// the request was made) looks the same, so a change of id before the request could have expired is a rejection.

/** Pending device-pairing requests live this long on 2026.5.7 and 2026.9.6 (docs/gateway/pairing.md). */
export const PAIRING_REQUEST_TTL_MS = 300_000

/** Tuning of the wait for an operator's approval. */
export type ApprovalWaitOptions = {
  /** First delay between connects. @default 1000 */
  initialDelayMs?: number
  /** Longest delay between connects (bounds how long after the approval the wait ends). @default 4000 */
  maxDelayMs?: number
  /** How long the gateway keeps a pending request. @default PAIRING_REQUEST_TTL_MS */
  expiryMs?: number
  /** Remembers when each requestId was first seen, across runs. @default in memory */
  requestLog?: PairingRequestLog
}

/** When each requestId was first seen; a file-backed one keeps that across runs (a Ctrl-C and a re-run). */
export interface PairingRequestLog {
  /** The first time `requestId` was seen; records `nowMs` when it is new. */
  firstSeen(requestId: string, nowMs: number): Promise<number>
}

/** What the operator is asked to approve: the device, its platform, the scopes. */
export interface ApprovalSubject {
  deviceId: string | undefined
  platform: string
  scopes: readonly string[]
}

/** Progress of a wait for approval (a CLI status line, the MCP server's stderr). */
export type ApprovalProgress =
  | {
      kind: 'approval-pending'
      /** Undefined when the gateway sent none (the operator must look it up with `openclaw devices list`). */
      requestId: string | undefined
      reason: 'pairing' | 'scope-upgrade'
      /** How the request was made: a refused connect, or `device.scopes.requestUpgrade` (≥ 2026.8). */
      via: 'connect' | 'requestUpgrade'
      /** The expired request this one replaces. */
      replaces?: string
      subject: ApprovalSubject
    }
  | { kind: 'approval-retry'; requestId: string | undefined; attempt: number; inMs: number; waitedMs: number }
  | { kind: 'approval-granted'; requestId: string | undefined; scopes: readonly string[]; waitedMs: number }
  | {
      kind: 'approval-stray'
      /** A request opened by a connect that crossed the approval: nobody needs it. */
      requestId: string
      /** Withdrawn by this device, already gone, or left pending (this session may not withdraw it). */
      outcome: 'withdrawn' | 'gone' | 'left'
    }

/** What {@link waitForApproval} needs: one connect attempt, and the error of a first one when already made. */
export interface ApprovalInputs<T> {
  attempt: (signal: AbortSignal) => Promise<T>
  first?: unknown
  subject: ApprovalSubject
  options?: ApprovalWaitOptions
}

/** The caller's control over the wait. */
export interface ApprovalControl {
  signal: AbortSignal
  onProgress?: (event: ApprovalProgress) => void
  /** Called when the wait ends approved although a connect that crossed the approval opened `requestId`. */
  onStray?: (requestId: string) => void
}

/** True for the refusals an operator's approval cures. */
export function isApprovalError(error: unknown): error is GatewayError {
  return (
    error instanceof GatewayError &&
    (error.code === 'PAIRING_REQUIRED' || error.code === 'SCOPE_UPGRADE_PENDING')
  )
}

/** A wrong token counts towards the gateway's lockout and a lockout lasts minutes: neither is waited out. */
function retryableWhileWaiting(error: unknown): boolean {
  return error instanceof ClawlinkError && error.shouldRetry() && !error.code.startsWith('AUTH_')
}

/** A request log that forgets with the process. */
export function createMemoryPairingLog(): PairingRequestLog {
  const seen = new Map<string, number>()
  return {
    async firstSeen(requestId, nowMs) {
      const first = seen.get(requestId)
      if (first !== undefined) return first
      seen.set(requestId, nowMs)
      return nowMs
    },
  }
}

/** The operator turned the request down: named as such, never as a timeout. */
export function pairingRejected(requestId: string, next: string | undefined): ClientError {
  return new ClientError(
    'PAIRING_REJECTED',
    `the gateway operator rejected request ${requestId}${next ? ` (the gateway opened request ${next} for this device's next attempt)` : ''}`,
    {
      remedy: `ask the gateway operator why; if it was a mistake, run this again and have them approve the new request (${approveCommand(next)})`,
      details: { requestId, ...(next ? { newRequestId: next } : {}) },
    },
  )
}

/**
 * What the user should know about a stray request: nothing when it is gone, a line when this device withdrew it,
 * and what the operator can do when it is still pending (it expires on its own).
 */
export function strayNote(event: Extract<ApprovalProgress, { kind: 'approval-stray' }>): string | undefined {
  const what = `request ${event.requestId}, opened by a connect that crossed the approval`
  if (event.outcome === 'withdrawn') return `withdrew ${what}`
  if (event.outcome === 'gone') return undefined
  const reject = isSafeGatewayId(event.requestId)
    ? `openclaw devices reject ${event.requestId}`
    : 'openclaw devices list, then openclaw devices reject <requestId>'
  return `${what}, is still pending and not needed: reject it (${reject}) or let it expire in 5 minutes`
}

/**
 * What an aborted wait becomes: Ctrl-C stays ABORTED; a deadline becomes APPROVAL_TIMEOUT naming the request,
 * so the user can still get it approved.
 */
export function approvalAborted(signal: AbortSignal, requestId: string | undefined, waitedMs: number): Error {
  const error = abortedError(signal, 'waiting for approval')
  if (error.code !== 'DEADLINE_EXCEEDED' && error.code !== 'REQUEST_TIMEOUT') return error
  return new ClientError(
    'APPROVAL_TIMEOUT',
    `no approval${requestId ? ` of request ${requestId}` : ''} within ${formatMs(waitedMs)}`,
    {
      remedy: `on the gateway host run "${approveCommand(requestId)}", then run this again (pending requests expire after 5 minutes)`,
      retryable: true,
      cause: error,
      details: { requestId: requestId ?? null },
    },
  )
}

/**
 * Which request the gateway is holding, across reconnects. A new id before the old request could have expired
 * (facts: expiry ≥ 5 min) means a rejection — or an approval that landed while that connect was in flight
 * (measured on 5.7: the racing connect opens a new request, the next one is paired). So a new id is confirmed by
 * one more connect before it is called a rejection.
 */
class RequestTracker {
  current: { id: string; firstSeenMs: number } | undefined
  private announced = false
  private suspect: { old: string; next: string } | undefined
  private readonly margin: number

  constructor(
    private readonly log: PairingRequestLog,
    private readonly expiryMs: number,
    private readonly subject: ApprovalSubject,
    private readonly emit: (event: ApprovalProgress) => void,
  ) {
    this.margin = Math.min(10_000, expiryMs / 10)
  }

  /** Notes a refusal; 'confirm' when its new request id needs one more connect to tell a rejection apart. */
  async track(error: GatewayError): Promise<'confirm' | undefined> {
    const id = error.requestId
    if (this.suspect) throw pairingRejected(this.suspect.old, id ?? this.suspect.next)
    if (id === undefined || id === this.current?.id) {
      if (!this.announced) this.emitPending(undefined, error)
      this.announced = true
      return undefined
    }
    const now = Date.now()
    if (this.current && now - this.current.firstSeenMs < this.expiryMs - this.margin) {
      this.suspect = { old: this.current.id, next: id }
      return 'confirm'
    }
    const replaces = this.current?.id
    this.current = { id, firstSeenMs: await this.log.firstSeen(id, now).catch(() => now) }
    this.announced = true
    this.emitPending(replaces, error)
    return undefined
  }

  /** The request a connect opened while the approval landed, once the next connect succeeded. */
  get stray(): string | undefined {
    return this.suspect?.next
  }

  private emitPending(replaces: string | undefined, error: GatewayError): void {
    this.emit({
      kind: 'approval-pending',
      requestId: this.current?.id,
      reason: error.code === 'SCOPE_UPGRADE_PENDING' ? 'scope-upgrade' : 'pairing',
      via: 'connect',
      ...(replaces ? { replaces } : {}),
      subject: this.subject,
    })
  }
}

/** The pause before the next connect: backoff, at least what the gateway asked for (capped at a minute). */
function retryDelayMs(attempt: number, confirm: boolean, error: unknown, o: ApprovalWaitOptions): number {
  const initialDelayMs = o.initialDelayMs ?? 1000
  const base = confirm
    ? initialDelayMs
    : backoffDelayMs(attempt, { initialDelayMs, maxDelayMs: o.maxDelayMs ?? 4000, jitter: 0.1 })
  const asked = error instanceof ClawlinkError ? (error.retryAfterMs ?? 0) : 0
  return Math.max(base, Math.min(asked, 60_000))
}

/**
 * Reconnects until the operator approves: reports each requestId (again when an expired request is replaced),
 * backs off from ~1 s to ~4 s (longer when the gateway says so), stops at once on an auth failure and on a
 * rejection (PAIRING_REJECTED), and ends at the signal with APPROVAL_TIMEOUT (or ABORTED).
 */
export async function waitForApproval<T>(inputs: ApprovalInputs<T>, control: ApprovalControl): Promise<T> {
  const { signal } = control
  const o = inputs.options ?? {}
  const started = Date.now()
  const emit = (event: ApprovalProgress): void => {
    try {
      control.onProgress?.(event)
    } catch {
      // A faulty progress callback must not end the wait.
    }
  }
  const log = o.requestLog ?? createMemoryPairingLog()
  const requests = new RequestTracker(log, o.expiryMs ?? PAIRING_REQUEST_TTL_MS, inputs.subject, emit)
  let error: unknown = inputs.first
  try {
    if (error === undefined) {
      try {
        return await inputs.attempt(signal)
      } catch (e) {
        error = e
      }
    }
    for (let attempt = 0; ; attempt++) {
      let confirm = false
      if (isApprovalError(error)) confirm = (await requests.track(error)) === 'confirm'
      else if (!retryableWhileWaiting(error)) throw error
      const inMs = retryDelayMs(attempt, confirm, error, o)
      const waitedMs = Date.now() - started
      emit({ kind: 'approval-retry', requestId: requests.current?.id, attempt: attempt + 1, inMs, waitedMs })
      await sleep(inMs, signal)
      try {
        const connected = await inputs.attempt(signal)
        if (requests.stray) control.onStray?.(requests.stray)
        return connected
      } catch (e) {
        error = e
      }
    }
  } catch (e) {
    if (signal.aborted) throw approvalAborted(signal, requests.current?.id, Date.now() - started)
    throw e
  }
}
