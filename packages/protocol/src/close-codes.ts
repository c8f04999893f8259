/** Our names for WebSocket close codes (docs/protocol.md §8). */
export type CloseMeaningCode =
  | 'NORMAL_OR_HANDSHAKE_TIMEOUT'
  | 'PROTOCOL_MISMATCH'
  | 'NO_STATUS'
  | 'ABNORMAL'
  | 'POLICY_VIOLATION'
  | 'FRAME_TOO_LARGE'
  | 'SERVICE_RESTART'
  | 'GATEWAY_STARTING'
  | 'TICK_TIMEOUT'
  | 'AUTH_CHANGED'
  | 'UNKNOWN'

const CLOSE_MEANINGS: Record<number, [CloseMeaningCode, string, boolean]> = {
  1000: [
    'NORMAL_OR_HANDSHAKE_TIMEOUT',
    'closed by the gateway: before hello this is its pre-auth handshake timeout (3 s on 2026.3.13) or a rejected first frame',
    true,
  ],
  1002: [
    'PROTOCOL_MISMATCH',
    'protocol mismatch: the gateway does not speak the offered protocol range',
    false,
  ],
  1005: ['NO_STATUS', 'closed without a status code', true],
  1006: [
    'ABNORMAL',
    'the connection dropped without a close frame (gateway crashed, network cut, or an upgrade refused for untrusted forwarded headers)',
    true,
  ],
  1008: [
    'POLICY_VIOLATION',
    'refused by the gateway (auth, pairing, device proof or invalid request)',
    false,
  ],
  1009: ['FRAME_TOO_LARGE', 'a frame exceeded the size limit (64 KiB before hello)', false],
  1012: ['SERVICE_RESTART', 'the gateway is restarting', true],
  1013: ['GATEWAY_STARTING', 'the gateway is still starting', true],
  4000: ['TICK_TIMEOUT', 'no tick from the gateway within twice the tick interval', true],
  4001: ['AUTH_CHANGED', "the gateway's shared secret changed: reconnect with the new token", false],
}

/** Meaning of a WebSocket close code sent by (or observed from) the gateway (docs/protocol.md §8). */
export function describeCloseCode(
  code: number,
  reason?: string,
): { code: CloseMeaningCode; meaning: string; retryable: boolean } {
  const known = CLOSE_MEANINGS[code]
  const suffix = reason ? ` (reason: ${reason})` : ''
  if (!known) return { code: 'UNKNOWN', meaning: `closed with code ${code}${suffix}`, retryable: false }
  return { code: known[0], meaning: `${known[1]}${suffix}`, retryable: known[2] }
}
