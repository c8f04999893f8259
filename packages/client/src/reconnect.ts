import { shouldRetry } from '@clawlink/protocol'
import { type ReconnectOptions, backoffDelayMs } from './backoff.js'
import { sleep } from './deadline.js'

/** What the reconnect loop reports. */
export type ReconnectProgress =
  | { kind: 'reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { kind: 'reconnect-paused'; error: Error }

/**
 * Reconnects after an unexpected close (docs/protocol.md §8): capped, jittered backoff; pauses on an error
 * whose `shouldRetry()` is false (pairing, credentials, protocol), since retrying cannot help without a human.
 * `kick()` attempts at once — a caller waiting for the gateway should not wait for the next backoff timer —
 * and shares the attempt's outcome with the loop.
 */
export class Reconnector {
  private running = false
  private inflight: Promise<void> | undefined
  private wake: AbortController | undefined

  constructor(
    private readonly o: {
      connect: () => Promise<void>
      backoff: ReconnectOptions
      lifetime: AbortSignal
      onProgress: (event: ReconnectProgress) => void
    },
  ) {}

  /** Starts the loop after the connection ended with `cause` (no-op when it already runs). */
  start(cause: Error): void {
    if (this.running) return
    this.running = true
    void this.loop(cause).finally(() => {
      this.running = false
    })
  }

  /** Attempts now; resolves when connected, rejects with this attempt's error. */
  kick(): Promise<void> {
    const attempt = this.tryOnce()
    this.wake?.abort()
    attempt.catch((error: unknown) => {
      // A paused client whose kicked attempt failed for a transient reason goes back to reconnecting.
      if (!this.running && !this.o.lifetime.aborted && shouldRetry(error)) this.start(error as Error)
    })
    return attempt
  }

  private tryOnce(): Promise<void> {
    this.inflight ??= this.o.connect().then(
      () => {
        this.inflight = undefined
      },
      (error: unknown) => {
        this.inflight = undefined
        throw error instanceof Error ? error : new Error(String(error))
      },
    )
    return this.inflight
  }

  private async loop(cause: Error): Promise<void> {
    const maxAttempts = this.o.backoff.maxAttempts ?? Number.POSITIVE_INFINITY
    let last = cause
    for (let attempt = 0; ; attempt++) {
      if (this.o.lifetime.aborted) return
      if (attempt >= maxAttempts) return this.pause(last)
      const delayMs = backoffDelayMs(attempt, this.o.backoff)
      this.o.onProgress({ kind: 'reconnect-scheduled', attempt: attempt + 1, delayMs, error: last })
      this.wake = new AbortController()
      try {
        await sleep(delayMs, AbortSignal.any([this.o.lifetime, this.wake.signal]))
      } catch {
        if (this.o.lifetime.aborted) return
        // Woken by kick(): attempt now, sharing the kicked attempt.
      }
      try {
        await this.tryOnce()
        return
      } catch (error) {
        if (this.o.lifetime.aborted) return
        last = error as Error
        if (!shouldRetry(last)) return this.pause(last)
      }
    }
  }

  private pause(error: Error): void {
    this.o.onProgress({ kind: 'reconnect-paused', error })
  }
}
