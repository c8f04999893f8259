/**
 * Normalises a certificate fingerprint for comparison (docs/protocol.md §10): trim, drop a `sha256`/`sha-256`
 * label, keep only hex digits, lowercase. `"SHA256: AB:CD:EF:01"` → `"abcdef01"`.
 */
export function normalizeFingerprint(text: string): string {
  return text
    .trim()
    .replace(/^sha-?256\s*:?\s*/i, '')
    .replace(/[^0-9a-fA-F]/g, '')
    .toLowerCase()
}
