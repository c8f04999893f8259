import type { FakeState } from './fake-server.js'
import type { Conn, FakeWireError } from './fake-types.js'

/** 2026.9.x limits control-plane writes: 30 per 60 s per method per actor (docs/protocol.md §7.5). */
const LIMITED = new Set(['cron.add', 'cron.update', 'cron.remove', 'cron.run'])
const MAX = 30
const WINDOW_MS = 60_000

/**
 * Counts a 9.6 cron write of one actor (its device id, else its connection) and answers the real gateway's
 * refusal once the 31st arrives within 60 s; undefined when the call may go on. 3.13/5.7 do not limit cron.
 */
export function cronWriteLimit(state: FakeState, conn: Conn, method: string): FakeWireError | undefined {
  if (state.flavor !== '9.6' || !LIMITED.has(method)) return undefined
  const now = Date.now()
  const key = `${method}|${conn.deviceId ?? `conn-${conn.id}`}`
  const recent = (state.writeTimes.get(key) ?? []).filter((t) => now - t < WINDOW_MS)
  if (recent.length >= MAX) {
    const retryAfterMs = WINDOW_MS - (now - recent[0]!)
    state.writeTimes.set(key, recent)
    return {
      code: 'UNAVAILABLE',
      message: `rate limit exceeded for ${method}; retry after ${Math.ceil(retryAfterMs / 1000)}s`,
      retryable: true,
      retryAfterMs,
      details: { method, limit: `${MAX} per 60s` },
    }
  }
  recent.push(now)
  state.writeTimes.set(key, recent)
  return undefined
}
