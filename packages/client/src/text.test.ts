import { describe, expect, it } from 'vitest'
import { escapeControlChars, safeJson } from './text.js'

// docs/security.md: C0 (but \n and \t in multi-line text), DEL, C1, U+2028/2029 and the bidi embeddings,
// overrides (U+202A–202E) and isolates (U+2066–2069) are shown as visible escapes. Every code point of every range
// is checked, so dropping any one from the escaper fails here.
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)
const C0 = range(0x00, 0x1f)
const C1_AND_DEL = range(0x7f, 0x9f)
const SEPARATORS = [0x2028, 0x2029]
const BIDI = [...range(0x202a, 0x202e), ...range(0x2066, 0x2069)]
const UNSAFE = [...C0, ...C1_AND_DEL, ...SEPARATORS, ...BIDI]
// The neighbours of every range, which stay as they are.
const SAFE = [0x20, 0x7e, 0xa0, 0xff, 0x2027, 0x202f, 0x2065, 0x206a, 0x200b, 0x1f600]

const visible = (cp: number): string =>
  cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`
const hex = (cp: number): string => `U+${cp.toString(16).padStart(4, '0')}`

describe('escapeControlChars', () => {
  it.each(UNSAFE.filter((cp) => cp !== 0x0a && cp !== 0x09).map((cp) => [hex(cp), cp]))(
    '%s is shown as a visible escape',
    (_, cp) => {
      const c = String.fromCodePoint(cp as number)
      expect(escapeControlChars(`a${c}b`)).toBe(`a${visible(cp as number)}b`)
      expect(escapeControlChars(`a${c}b`, { singleLine: true })).toBe(`a${visible(cp as number)}b`)
    },
  )

  it('keeps newlines and tabs in multi-line text, escapes them on one line', () => {
    expect(escapeControlChars('a\nb\tc')).toBe('a\nb\tc')
    expect(escapeControlChars('a\nb\tc', { singleLine: true })).toBe('a\\x0ab\\x09c')
  })

  it.each(SAFE.map((cp) => [hex(cp), cp]))('%s stays as it is', (_, cp) => {
    const text = `a${String.fromCodePoint(cp as number)}b`
    expect(escapeControlChars(text)).toBe(text)
    expect(escapeControlChars(text, { singleLine: true })).toBe(text)
  })
})

describe('safeJson', () => {
  it('leaves no raw control character of any range in the JSON text, and round-trips', () => {
    const all = UNSAFE.map((cp) => String.fromCodePoint(cp)).join('')
    const text = safeJson({ all })
    // Raw newlines are the indentation of the JSON text itself; inside strings JSON writes them as \\n.
    for (const cp of UNSAFE.filter((c) => c !== 0x0a))
      expect(text.includes(String.fromCodePoint(cp)), hex(cp)).toBe(false)
    expect(JSON.parse(text)).toEqual({ all })
  })
})
