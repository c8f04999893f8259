import { setTimeout as delay } from 'node:timers/promises'
import { ClientError, abortedError } from './errors.js'

// The one way clawlink bounds a wait (docs/architecture.md "The client"): node:timers/promises for sleeps, an AbortSignal
// for every deadline, listeners removed as soon as the wait settles. Nothing here may leak a listener per call.

/** Waits `ms`; rejects with the signal's error (a deadline, or ABORTED) when it aborts first. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined)
  } catch (error) {
    if (signal?.aborted) throw abortedError(signal, 'wait')
    throw error
  }
}

/**
 * Settles like `promise`, or rejects with the signal's error when the signal aborts first. The abort listener
 * is removed when either happens.
 */
export function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(abortedError(signal, what))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal, what))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** A signal that aborts after `ms` with `error()` as its reason, plus `clear()` to cancel the timer early. */
export interface Deadline {
  readonly signal: AbortSignal
  clear(): void
}

/** Largest delay a Node timer takes; above it setTimeout fires at once (a gateway must not steer that). */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * A deadline `ms` from now whose abort reason is `error()` (default DEADLINE_EXCEEDED naming `what`).
 * The timer does not keep the process alive.
 */
export function deadlineSignal(ms: number, what: string, error?: () => Error): Deadline {
  const controller = new AbortController()
  const timer = setTimeout(
    () =>
      controller.abort(
        error?.() ??
          new ClientError('DEADLINE_EXCEEDED', `${what}: the time limit of ${formatMs(ms)} ran out`, {
            remedy:
              'Allow more time (--timeout), or find out why the gateway is slow (`openclaw gateway status`).',
            retryable: true,
          }),
      ),
    Math.min(Math.max(0, ms), MAX_TIMER_MS),
  )
  timer.unref?.()
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}

/** Combines signals (undefined entries ignored); one signal is returned as it is. */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  if (present.length <= 1) return present[0]
  return AbortSignal.any(present)
}

/** `850 ms`, `12.5 s`, `3.0 min`: durations in messages. */
export function formatMs(ms: number): string {
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(abs)} ms`
  if (abs < 120_000) return `${(abs / 1000).toFixed(1)} s`
  return `${(abs / 60_000).toFixed(1)} min`
}

/** Clamps a duration that came from a gateway or a user into [min, max] ms; non-numbers become `fallback`. */
export function clampMs(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback
  return Math.min(Math.max(value, min), max)
}

/** The error for a request that got no answer in time (or no connection to send it on). */
export function requestTimeout(method: string, timeoutMs: number, state: string): ClientError {
  const connecting = state !== 'open'
  return new ClientError(
    'REQUEST_TIMEOUT',
    `${method} got no response within ${formatMs(timeoutMs)}${connecting ? ` (client ${state})` : ''}`,
    {
      remedy: connecting
        ? 'The gateway could not be reached in time; check that it is running and reachable (`openclaw gateway status`).'
        : 'The gateway may be overloaded or the request still running; for side effects (cron.run) check the result (cron runs) before retrying.',
      retryable: true,
    },
  )
}
