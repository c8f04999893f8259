/** Reconnect tuning for long-lived clients. */
export type ReconnectOptions = {
  /** First delay. @default 1000 */
  initialDelayMs?: number
  /** Cap. @default 30000 */
  maxDelayMs?: number
  /** Extra random share added on top of each delay (0.2 = up to +20 %). @default 0.2 */
  jitter?: number
  /** Give up after this many consecutive failed attempts. @default Infinity */
  maxAttempts?: number
}

/**
 * Delay before reconnect attempt `attempt` (0-based): doubling from `initialDelayMs`, capped, with positive
 * jitter like `@openclaw/gateway-client` (docs/protocol.md §8); never above `maxDelayMs`.
 */
export function backoffDelayMs(
  attempt: number,
  options: ReconnectOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? 1000
  const max = options.maxDelayMs ?? 30_000
  const jitter = options.jitter ?? 0.2
  const base = initial * 2 ** Math.min(attempt, 30)
  const jittered = base * (1 + jitter * random())
  // At the cap, jitter downwards instead (25–30 s with the defaults) so clients do not retry in lockstep.
  return Math.round(jittered <= max ? jittered : max * (1 - jitter * 0.8 * random()))
}
