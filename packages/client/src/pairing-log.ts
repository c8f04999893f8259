import type { PairingRequestLog } from './pairing.js'
import { writeJsonFile } from './token-store.js'
import { readText } from './fs-async.js'

// Entries older than this cannot matter (a request lives 5 minutes, a little longer on 9.6 when repeated).
const KEEP_MS = 3_600_000

async function readLog(path: string): Promise<Record<string, number>> {
  try {
    const parsed = JSON.parse(await readText(path)) as { requests?: unknown }
    const requests = parsed?.requests
    if (!requests || typeof requests !== 'object') return {}
    const out: Record<string, number> = {}
    for (const [id, ms] of Object.entries(requests)) if (typeof ms === 'number') out[id] = ms
    return out
  } catch {
    // Missing or corrupt: the log is only a hint (a lost entry makes a request look younger, never older).
    return {}
  }
}

/**
 * A JSON file of requestId → first-seen time (0600, written atomically), so a wait that was interrupted and run
 * again still knows how old its request is. Holds no secrets; deleting it is always safe.
 */
export function createFilePairingLog(path: string): PairingRequestLog {
  return {
    async firstSeen(requestId, nowMs) {
      const requests = await readLog(path)
      const first = requests[requestId]
      if (first !== undefined && first <= nowMs) return first
      const kept: Record<string, number> = { [requestId]: nowMs }
      for (const [id, ms] of Object.entries(requests))
        if (nowMs - ms < KEEP_MS && id !== requestId) kept[id] = ms
      await writeJsonFile(path, { version: 1, requests: kept })
      return nowMs
    },
  }
}
