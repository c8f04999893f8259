import { setTimeout as delay } from 'node:timers/promises'
import { SignerError } from '@clawlink/protocol'

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** The bound; without it only `signal` ends the wait early. */
  timeoutMs?: number | undefined
  /** The caller's signal: when it aborts, the wait rejects with `onAbort()`. */
  signal?: AbortSignal | undefined
  /** The error when `timeoutMs` runs out (required with `timeoutMs`). */
  onTimeout?: () => Error
  /** The error when `signal` aborts. @default SignerError ABORTED "signing was aborted" */
  onAbort?: () => Error
}

/** Largest delay a Node timer takes; above it the timer would fire at once. */
const MAX_TIMER_MS = 2_147_483_647

function signingAborted(): Error {
  return new SignerError('ABORTED', 'signing was aborted')
}

/**
 * Runs `work` bounded by a deadline and the caller's signal (node:timers/promises, AbortSignal): the one way a
 * signer waits for something outside the process (an agent, a program, a keychain, a token). Settles like `work`,
 * or rejects with `onTimeout()` / `onAbort()` first; then `work`'s signal aborts with that error as its reason, so
 * it can let go of what it holds (kill a child, close a socket), and its late outcome is ignored. An already
 * aborted signal rejects before `work` starts. The timer does not keep the process alive, and no listener
 * outlives the call.
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  options: DeadlineOptions,
): Promise<T> {
  const { signal, timeoutMs } = options
  const aborted = options.onAbort ?? signingAborted
  if (signal?.aborted) throw aborted()
  const inner = new AbortController()
  const stopTimer = new AbortController()
  let onAbort: (() => void) | undefined
  const running = (async () => work(inner.signal))()
  const bounds: Promise<never>[] = []
  if (timeoutMs !== undefined) {
    const ms = Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS)
    bounds.push(
      delay(ms, undefined, { signal: stopTimer.signal, ref: false }).then(() => {
        throw options.onTimeout?.() ?? new SignerError('SIGNER_TIMEOUT', `no answer within ${ms} ms`)
      }),
    )
  }
  if (signal) {
    bounds.push(
      new Promise<never>((_, reject) => {
        onAbort = () => reject(aborted())
        signal.addEventListener('abort', onAbort, { once: true })
      }),
    )
  }
  let finished = false
  try {
    const value = await Promise.race([running.finally(() => (finished = true)), ...bounds])
    return value
  } catch (error) {
    if (!finished) {
      running.catch(() => undefined)
      inner.abort(error)
    }
    throw error
  } finally {
    stopTimer.abort()
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
