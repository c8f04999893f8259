// Text that came from a gateway (job names, summaries, error messages, close reasons) is shown to people and to
// models; it must not be able to drive a terminal (ESC sequences, BEL, C1 controls), fake line breaks or reorder
// what is shown (bidirectional overrides). This is the one escaper both apps present such text through.

// C0 controls except \n and \t, DEL, C1, line/paragraph separators and bidi overrides/isolates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
// What JSON.stringify leaves raw but a terminal may still obey.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0')
const visible = (c: string) => (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`)

/**
 * Shows control characters as visible escapes (`\x1b`, `\x07`, `\x9b`, `\u202e`). Newlines and tabs are kept
 * unless `singleLine` is set (then they are escaped too, for one-line messages and table cells).
 */
export function escapeControlChars(text: string, options: { singleLine?: boolean } = {}): string {
  return text.replace(options.singleLine ? UNSAFE_ONE_LINE : UNSAFE, visible)
}

/** JSON.stringify (2-space indent), plus `\u` escapes for DEL, C1 and bidi controls, which it leaves raw. */
export function safeJson(data: unknown): string {
  return (JSON.stringify(data, null, 2) ?? 'null').replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`)
}
