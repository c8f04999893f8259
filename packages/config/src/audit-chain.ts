import { createHash } from 'node:crypto'

/**
 * The hash chain of clawlink-mcp's audit log (apps/mcp/README.md "Reading the audit log", docs/audit-chain.md).
 * Every line is one JSON object that starts with two chain fields:
 *   seq   1, 2, 3 … one more than the line before (it goes on across rotated files);
 *   prev  the SHA-256 (64 lowercase hex) of the line before: its exact bytes, without the "\n" that ends it.
 * The first line of a fresh log has seq 1 and prev = {@link AUDIT_GENESIS}. The writer (apps/mcp) and the checker
 * (`clawlink audit verify`) both use this module, so they cannot disagree on the format.
 */
export const AUDIT_GENESIS = '0'.repeat(64)

/** The chain fields of one line. */
export interface AuditLink {
  seq: number
  prev: string
}

const NL = 0x0a
const HEX64 = /^[0-9a-f]{64}$/

/** SHA-256 (hex) of one line's bytes, without its newline. */
export function auditLineHash(line: string | Uint8Array): string {
  return createHash('sha256').update(line).digest('hex')
}

/** The text of a chained line (no newline): `{"seq":…,"prev":…,` then the entry's own fields. */
export function chainAuditLine(entry: object, link: AuditLink): string {
  const { seq: _s, prev: _p, ...fields } = entry as Record<string, unknown>
  return JSON.stringify({ seq: link.seq, prev: link.prev, ...fields })
}

/** A line's chain fields; `legacy` for a JSON object without them, `bad` for anything else. */
function linkOf(bytes: Uint8Array): AuditLink | 'legacy' | 'bad' {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    return 'bad'
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'bad'
  const { seq, prev } = value as { seq?: unknown; prev?: unknown }
  if (seq === undefined && prev === undefined) return 'legacy'
  if (!Number.isSafeInteger(seq) || (seq as number) < 1 || typeof prev !== 'string' || !HEX64.test(prev))
    return 'bad'
  return { seq: seq as number, prev }
}

/** Splits bytes into lines; `terminated` is false for a last line without its newline. */
function splitLines(bytes: Uint8Array): { bytes: Uint8Array; terminated: boolean }[] {
  const out: { bytes: Uint8Array; terminated: boolean }[] = []
  let start = 0
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== NL) continue
    out.push({ bytes: bytes.subarray(start, i), terminated: true })
    start = i + 1
  }
  if (start < bytes.length) out.push({ bytes: bytes.subarray(start), terminated: false })
  return out
}

/**
 * The link of the line to append after `tail`, the end of a log (its last bytes; `whole` when it is the entire
 * file, otherwise its first, possibly partial, line is ignored). `undefined` when the tail holds no line.
 * `unterminated`: the file ends inside a line (a crash mid-write) — write "\n" before the next line; that cut
 * line stays in the chain (the next line links to its bytes), so `audit verify` names it.
 */
export function nextAuditLink(
  tail: Uint8Array,
  whole: boolean,
): { link: AuditLink; unterminated: boolean } | undefined {
  const lines = splitLines(tail)
  if (!whole) lines.shift()
  const last = lines.at(-1)
  if (!last) return undefined
  let seq = 1
  for (let i = lines.length - 1; i >= 0; i--) {
    const link = linkOf(lines[i]!.bytes)
    if (typeof link === 'object') {
      seq = link.seq + (lines.length - i)
      break
    }
  }
  return { link: { seq, prev: auditLineHash(last.bytes) }, unterminated: !last.terminated }
}

/** What breaks a chain: the line that is not where or what it was written as. */
export type AuditBreakKind = 'edited' | 'deleted' | 'reordered' | 'inserted' | 'truncated' | 'restarted'

/** The first line that breaks the chain, and why. */
export interface AuditBreak {
  file: string
  /** 1-based line number in `file`. */
  line: number
  kind: AuditBreakKind
  reason: string
}

/** What `verifyAuditChain` found. */
export interface AuditVerdict {
  ok: boolean
  /** Lines read, in all files. */
  lines: number
  /** Lines before the first chained one (written before the chain existed): not covered by it. */
  unchained: number
  /** Where the chain starts: seq 1 from the genesis value, or a later seq (older files rotated away or not given). */
  start: { file: string; line: number; seq: number; genesis: boolean } | null
  /** The last line: keep its hash elsewhere to notice a rewrite of the whole log later. */
  head: { file: string; line: number; seq: number | null; hash: string } | null
  /** The first break, or null. */
  break: AuditBreak | null
  /** Every line whose `prev` is not the hash of the line before it (the first break's included). */
  brokenLinks: number
}

interface Rec {
  file: string
  line: number
  bytes: Uint8Array
  terminated: boolean
  link: AuditLink | 'legacy' | 'bad'
  hash: string
}

const where = (r: Rec) => `${r.file}:${r.line}`

/** Why line `i` does not link to `ref` (the line before it): the diagnosis names the line at fault. */
function diagnose(recs: Rec[], i: number, ref: number, byHash: Map<string, number>): AuditBreak {
  const r = recs[i]!
  const link = r.link as AuditLink
  const before = recs[ref]!
  const expectedSeq = typeof before.link === 'object' ? before.link.seq + 1 : undefined
  const at = (x: Rec, kind: AuditBreakKind, reason: string): AuditBreak => ({
    file: x.file,
    line: x.line,
    kind,
    reason,
  })
  if (link.prev === AUDIT_GENESIS)
    return at(
      r,
      'restarted',
      `starts a new chain after ${where(before)}: the log after that line was deleted, or the writer could not read the log's end (its stderr said so)`,
    )
  if (link.prev === before.hash)
    return at(r, 'edited', `its seq was changed (${link.seq}, after ${(expectedSeq ?? 1) - 1})`)
  const j = byHash.get(link.prev)
  if (j !== undefined && j > i)
    return at(r, 'reordered', `out of order: it was written after ${where(recs[j]!)}, which comes later`)
  if (j !== undefined && j < ref) {
    const first = recs[j + 1]!
    return at(first, 'inserted', `was inserted: ${where(r)} links to ${where(recs[j]!)}, the line before it`)
  }
  if (expectedSeq !== undefined && link.seq > expectedSeq) {
    const n = link.seq - expectedSeq
    const gap = before.file === r.file ? 'before it' : `between ${where(before)} and it`
    return at(r, 'deleted', `${n} line(s) missing ${gap} (seq jumps from ${expectedSeq - 1} to ${link.seq})`)
  }
  if (expectedSeq !== undefined && link.seq < expectedSeq)
    return at(
      r,
      'inserted',
      `inserted or edited: it does not link to the line before it, and its seq ${link.seq} is not after ${expectedSeq - 1}`,
    )
  const next = recs[i + 1]
  const nextLinksHere = next !== undefined && typeof next.link === 'object' && next.link.prev === r.hash
  if (next !== undefined && !nextLinksHere)
    return at(r, 'edited', `changed after it was written: neither it nor the line after it link as written`)
  return at(before, 'edited', `changed after it was written: ${where(r)} recorded a different hash for it`)
}

/** A line that is not a chained entry where the chain is under way. */
function badLine(r: Rec): AuditBreak {
  const text = Buffer.from(r.bytes).toString('utf8')
  if (!r.terminated)
    return {
      file: r.file,
      line: r.line,
      kind: 'truncated',
      reason: 'cut short: the file ends inside it (a crash mid-write, or the file was truncated)',
    }
  if (r.link === 'legacy')
    return {
      file: r.file,
      line: r.line,
      kind: 'inserted',
      reason: 'has no chain fields (seq, prev): it was not written by clawlink-mcp',
    }
  const cut = text.trimStart().startsWith('{') && !text.trimEnd().endsWith('}')
  return cut
    ? {
        file: r.file,
        line: r.line,
        kind: 'truncated',
        reason: 'cut short: not a whole JSON object (a crash mid-write, or cut by hand)',
      }
    : {
        file: r.file,
        line: r.line,
        kind: 'edited',
        reason: 'not a chained JSON audit entry any more (edited)',
      }
}

/**
 * Checks the chain over `files`, oldest first (audit.jsonl.N … audit.jsonl.1, audit.jsonl): every chained line's
 * `prev` must be the hash of the line before it and its `seq` one more. Reports the first line that breaks it
 * and why. A log whose oldest files were rotated away starts at a later seq: that is not a break.
 */
export function verifyAuditChain(files: readonly { name: string; bytes: Uint8Array }[]): AuditVerdict {
  const recs: Rec[] = files.flatMap((f) =>
    splitLines(f.bytes).map((l, n) => ({
      file: f.name,
      line: n + 1,
      bytes: l.bytes,
      terminated: l.terminated,
      link: linkOf(l.bytes),
      hash: auditLineHash(l.bytes),
    })),
  )
  const byHash = new Map<string, number>()
  for (const [i, r] of recs.entries()) if (!byHash.has(r.hash)) byHash.set(r.hash, i)
  let found: AuditBreak | null = null
  let brokenLinks = 0
  let start: AuditVerdict['start'] = null
  let unchained = 0
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!
    if (start === null && r.link === 'legacy' && r.terminated) {
      unchained++
      continue
    }
    if (typeof r.link !== 'object' || !r.terminated) {
      found ??= badLine(r)
      if (start === null) start = { file: r.file, line: r.line, seq: 0, genesis: false }
      continue
    }
    if (start === null) {
      start = {
        file: r.file,
        line: r.line,
        seq: r.link.seq,
        genesis: r.link.prev === AUDIT_GENESIS && r.link.seq === 1,
      }
      if (i === 0 || r.link.prev === recs[i - 1]!.hash) continue
    }
    const before = recs[i - 1]
    if (!before) continue
    const expectedSeq = typeof before.link === 'object' ? before.link.seq + 1 : r.link.seq
    if (r.link.prev === before.hash && r.link.seq === expectedSeq) continue
    brokenLinks++
    found ??= diagnose(recs, i, i - 1, byHash)
  }
  const last = recs.at(-1)
  const head = last
    ? {
        file: last.file,
        line: last.line,
        seq: typeof last.link === 'object' ? last.link.seq : null,
        hash: last.hash,
      }
    : null
  return { ok: found === null, lines: recs.length, unchained, start, head, break: found, brokenLinks }
}
