/** Stable codes of local client failures (the gateway never said anything about them). */
export const CLIENT_ERROR_CODES = [
  'CONNECT_REFUSED',
  'UNREACHABLE',
  'CHALLENGE_TIMEOUT',
  'CLOSED_BEFORE_HELLO',
  'CONNECTION_CLOSED',
  'REQUEST_TIMEOUT',
  'TICK_TIMEOUT',
  'ABORTED',
  'PAYLOAD_TOO_LARGE',
  'SCOPE_PREFLIGHT',
  'NO_SCOPES_TOKEN_ONLY',
  'INSECURE_URL',
  'TLS_PIN_MISMATCH',
  'TLS_PIN_REQUIRES_WSS',
  'SHUTDOWN',
  'INVALID_URL',
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
}

/**
 * A local failure: the socket, a timeout, a deadline, a refused URL. Wire failures are `GatewayError`.
 * `remedy` says what to do next; `retryable` says whether the same call may succeed later.
 */
export class ClientError extends Error {
  override name = 'ClientError' as const
  readonly code: ClientErrorCode
  readonly remedy: string
  readonly retryable: boolean
  readonly closeCode?: number
  readonly closeReason?: string
  readonly retryAfterMs?: number
  readonly missingScope?: string

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.remedy = options.remedy
    this.retryable = options.retryable ?? false
    if (options.closeCode !== undefined) this.closeCode = options.closeCode
    if (options.closeReason !== undefined) this.closeReason = options.closeReason
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
    if (options.missingScope !== undefined) this.missingScope = options.missingScope
  }
}

/** True for a `ClientError`, optionally with one of the given codes. */
export function isClientError(error: unknown, ...codes: ClientErrorCode[]): error is ClientError {
  return error instanceof ClientError && (codes.length === 0 || codes.includes(error.code))
}

export function abortedError(signal: AbortSignal | undefined, what: string): ClientError {
  const reason: unknown = signal?.reason
  return new ClientError('ABORTED', `${what} aborted`, {
    remedy: 'The caller cancelled the operation; nothing to fix.',
    cause: reason,
  })
}
