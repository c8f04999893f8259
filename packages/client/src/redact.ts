const SECRET_KEYS = new Set([
  'token',
  'password',
  'deviceToken',
  'bootstrapToken',
  'approvalRuntimeToken',
  'agentRuntimeIdentityToken',
  'signature',
  'nonce',
  'recoveryScope',
  'canvasHostUrl',
  'pluginSurfaceUrls',
])

/** Deep copy of a frame with tokens, passwords, signatures, nonces and capability URLs replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[deep]'
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      // deviceTokens[] (5.7 hello-ok) holds token records: redact each one.
      if (SECRET_KEYS.has(key) && inner !== undefined && inner !== null) out[key] = '[redacted]'
      else out[key] = redactSecrets(inner, depth + 1)
    }
    return out
  }
  return value
}

/** One debug-log line for a frame: direction arrow plus the redacted JSON. */
export function describeFrameForLog(direction: 'in' | 'out', frame: unknown): string {
  let text = JSON.stringify(redactSecrets(frame))
  if (text.length > 4000) text = `${text.slice(0, 4000)}…(${text.length} chars)`
  return `${direction === 'out' ? '→' : '←'} ${text}`
}
