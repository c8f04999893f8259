/** What every clawlink error carries besides its message (docs/architecture.md "The client": one base shape). */
export interface ClawlinkErrorOptions {
  /** What to do next, one line. */
  remedy: string
  /** Whether the same call may succeed later without anyone changing anything. @default false */
  retryable?: boolean
  /** How long to wait before that retry, when the source said so. */
  retryAfterMs?: number | undefined
  cause?: unknown
  /** Structured facts for presenters and `--json` (a run's ids, candidates, …); never a secret. */
  details?: unknown
}

/**
 * The base of every error clawlink throws: a stable SCREAMING_SNAKE `code`, a message saying what happened, a
 * `remedy` saying what to do, and `shouldRetry()`, which drives reconnects and polling loops. Every subclass takes
 * the same `(code, message, options)`; it only names itself and narrows the codes (and adds its own facts).
 */
export class ClawlinkError<C extends string = string> extends Error {
  readonly code: C
  readonly remedy: string
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly details: unknown

  constructor(code: C, message: string, options: ClawlinkErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.remedy = options.remedy
    this.retryable = options.retryable ?? false
    this.retryAfterMs = options.retryAfterMs
    this.details = options.details ?? {}
  }

  /** True when retrying the same operation later may succeed (transient network, gateway starting, …). */
  shouldRetry(): boolean {
    return this.retryable
  }
}

/** `shouldRetry()` of a clawlink error; anything else (a bug, a TypeError) is not retried. */
export function shouldRetry(error: unknown): boolean {
  return error instanceof ClawlinkError && error.shouldRetry()
}
