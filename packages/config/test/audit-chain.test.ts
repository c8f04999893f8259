import { describe, expect, it } from 'vitest'
import {
  AUDIT_GENESIS,
  auditLineHash,
  chainAuditLine,
  nextAuditLink,
  verifyAuditChain,
} from '../src/index.js'

/** `n` chained lines from seq `from`, linked to `prev`. */
function chain(n: number, from = 1, prev = AUDIT_GENESIS): string[] {
  const out: string[] = []
  for (let seq = from; seq < from + n; seq++) {
    const line = chainAuditLine({ tool: 'cron_status', i: seq, seq: 99, prev: 'ignored' }, { seq, prev })
    out.push(line)
    prev = auditLineHash(line)
  }
  return out
}
const file = (name: string, lines: string[], end = '\n') => ({
  name,
  bytes: Buffer.from(lines.join('\n') + end),
})

describe('the audit chain format', () => {
  it('puts seq and prev first and takes them from the link, never from the entry', () => {
    const [line] = chain(1)
    expect(line!.startsWith(`{"seq":1,"prev":"${AUDIT_GENESIS}","tool":"cron_status"`)).toBe(true)
    expect(auditLineHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('nextAuditLink: after the last line; skips a partial first line of a tail; none in an empty tail', () => {
    const lines = chain(3)
    const whole = Buffer.from(`${lines.join('\n')}\n`)
    expect(nextAuditLink(whole, true)).toEqual({
      link: { seq: 4, prev: auditLineHash(lines[2]!) },
      unterminated: false,
    })
    // A tail that starts mid-line: the cut first piece is not taken for a line.
    const tail = whole.subarray(10)
    expect(nextAuditLink(tail, false)?.link).toEqual({ seq: 4, prev: auditLineHash(lines[2]!) })
    expect(nextAuditLink(Buffer.from(lines[2]!.slice(5)), false)).toBeUndefined()
    expect(nextAuditLink(Buffer.alloc(0), true)).toBeUndefined()
    // A file ending inside a line: that line counts (seq after the last whole one), and needs its newline.
    const cut = Buffer.from(`${lines.join('\n')}\n{"seq":4,"pr`)
    expect(nextAuditLink(cut, true)).toEqual({
      link: { seq: 5, prev: auditLineHash('{"seq":4,"pr') },
      unterminated: true,
    })
  })

  it('verify: an empty log, a legacy-only log and a chain across files', () => {
    expect(verifyAuditChain([])).toMatchObject({ ok: true, lines: 0, start: null, head: null })
    expect(verifyAuditChain([file('a', ['{"tool":"x"}', '{"tool":"y"}'])])).toMatchObject({
      ok: true,
      unchained: 2,
      start: null,
    })
    const lines = chain(5)
    const v = verifyAuditChain([file('a.1', lines.slice(0, 2)), file('a', lines.slice(2))])
    expect(v).toMatchObject({ ok: true, lines: 5, start: { file: 'a.1', line: 1, seq: 1, genesis: true } })
    expect(v.head).toEqual({ file: 'a', line: 3, seq: 5, hash: auditLineHash(lines[4]!) })
  })

  it('verify: a seq changed on a line that still links; a chain restarted mid-log', () => {
    const lines = chain(3)
    const bumped = lines[1]!.replace('"seq":2', '"seq":7')
    expect(verifyAuditChain([file('a', [lines[0]!, bumped])]).break).toMatchObject({
      line: 2,
      kind: 'edited',
    })
    const restarted = [...lines, ...chain(2)]
    expect(verifyAuditChain([file('a', restarted)]).break).toMatchObject({ line: 4, kind: 'restarted' })
  })
})
