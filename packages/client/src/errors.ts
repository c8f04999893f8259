import { ClawlinkError } from '@clawlink/protocol'

/** Stable codes of local client failures (the gateway never said anything about them). */
export const CLIENT_ERROR_CODES = [
  'CONNECT_REFUSED',
  'UNREACHABLE',
  'CHALLENGE_TIMEOUT',
  'CLOSED_BEFORE_HELLO',
  'CONNECTION_CLOSED',
  'REQUEST_TIMEOUT',
  'DEADLINE_EXCEEDED',
  'TICK_TIMEOUT',
  'ABORTED',
  'PAYLOAD_TOO_LARGE',
  'RESPONSE_TOO_LARGE',
  'SCOPE_PREFLIGHT',
  'NO_SCOPES_TOKEN_ONLY',
  'INSECURE_URL',
  'TLS_PIN_MISMATCH',
  'TLS_UNTRUSTED',
  'TLS_PIN_REQUIRES_WSS',
  'TLS_PIN_INVALID',
  'SHUTDOWN',
  'INVALID_URL',
  'INVALID_HELLO',
  'JOB_NOT_FOUND',
  'JOB_AMBIGUOUS',
  'WAIT_TIMEOUT',
  'PAIRING_REJECTED',
  'APPROVAL_TIMEOUT',
  'UNEXPECTED_RESPONSE',
  'METHOD_UNSUPPORTED',
  'NO_DEVICE_IDENTITY',
  'DEVICE_TOKEN_WITHHELD',
  'GATEWAY_CHANGED',
] as const

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number]

export type ClientErrorOptions = {
  remedy: string
  retryable?: boolean
  cause?: unknown
  /** WebSocket close code, when the failure was a close. */
  closeCode?: number
  closeReason?: string
  /** Delay the caller should wait before retrying, when known. */
  retryAfterMs?: number
  /** Scope the pre-flight check found missing (SCOPE_PREFLIGHT, NO_SCOPES_TOKEN_ONLY). */
  missingScope?: string
  /** Structured facts for presenters (job id and name, run id, candidates, …). */
  details?: Record<string, unknown>
}

/**
 * A local failure: the socket, a timeout, a deadline, a refused URL. Wire failures are `GatewayError`.
 * `remedy` says what to do next; `shouldRetry()` whether the same call may succeed later.
 */
export class ClientError extends ClawlinkError<ClientErrorCode> {
  override name = 'ClientError' as const
  readonly closeCode?: number
  readonly closeReason?: string
  readonly missingScope?: string
  override readonly details: Record<string, unknown>

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions) {
    super(code, message, options)
    if (options.closeCode !== undefined) this.closeCode = options.closeCode
    if (options.closeReason !== undefined) this.closeReason = options.closeReason
    if (options.missingScope !== undefined) this.missingScope = options.missingScope
    this.details = options.details ?? {}
  }
}

/** True for a `ClientError`, optionally with one of the given codes. */
export function isClientError(error: unknown, ...codes: ClientErrorCode[]): error is ClientError {
  return error instanceof ClientError && (codes.length === 0 || codes.includes(error.code))
}

/**
 * The error for an aborted wait. A signal whose reason is already a clawlink error (a deadline made by
 * {@link deadlineSignal}) yields that error, so a command's deadline reads as a deadline wherever it hits.
 */
export function abortedError(signal: AbortSignal | undefined, what: string): ClawlinkError {
  const reason: unknown = signal?.reason
  if (reason instanceof ClawlinkError) return reason
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new ClientError('DEADLINE_EXCEEDED', `${what}: the time limit ran out`, {
      remedy:
        'Allow more time (a longer timeout), or find out why the gateway is slow (`openclaw gateway status`).',
      retryable: true,
      cause: reason,
    })
  }
  return new ClientError('ABORTED', `${what} aborted`, {
    remedy: 'The caller cancelled the operation; nothing to fix.',
    cause: reason,
  })
}
