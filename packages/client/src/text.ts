// Text that came from a gateway (job names, summaries, error messages, close reasons) is shown to people and to
// models; it must not be able to drive a terminal (ESC sequences, BEL, C1 controls) or reorder what is shown
// (bidirectional overrides). This is the one escaper both apps present such text through.

// C0 controls, DEL, C1 controls, and the bidi embedding/override/isolate characters.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/**
 * Shows control characters as visible escapes (`\x1b`, `\x07`, `\x9b`, `\u{202e}`). Newlines and tabs are kept
 * unless `singleLine` is set (then they are escaped too, for table cells and one-line messages).
 */
export function escapeControlChars(text: string, options: { singleLine?: boolean } = {}): string {
  return text.replace(UNSAFE, (ch) =>
    !options.singleLine && (ch === '\n' || ch === '\t') ? ch : escapeOne(ch),
  )
}
