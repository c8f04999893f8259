import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AUDIT_GENESIS, auditLineHash } from '@clawlink/config'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuditEntry, createAuditLog } from '../src/audit.js'
import { connectServer, fakeGateway, withCleanups } from './helpers.js'

withCleanups(afterEach)

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@clawlink/cli/package.json')),
  'dist/clawlink.cjs',
)

interface Verdict {
  ok: boolean
  code?: string
  lines: number
  unchained: number
  start: { file: string; line: number; seq: number; genesis: boolean } | null
  break: { file: string; line: number; kind: string; reason: string } | null
  brokenLinks: number
}

/** `clawlink audit verify --json FILE…` as a user runs it: its exit code, its JSON and its human text. */
function verify(...files: string[]): { code: number; json: Verdict; human: string } {
  const run = (extra: string[]) =>
    spawnSync(process.execPath, [CLI, 'audit', 'verify', ...extra, ...files], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
    })
  const json = run(['--json'])
  const human = run([])
  expect(human.status).toBe(json.status)
  return { code: json.status ?? -1, json: JSON.parse(json.stdout) as Verdict, human: human.stdout }
}

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  time: new Date(Date.UTC(2026, 11, 7, 12, 0, i)).toISOString(),
  tool: 'run_cron_job',
  arguments: { job: `job-${i}` },
  job: null,
  client: { name: 'test', version: '1' },
  transport: 'stdio',
  outcome: 'ok',
  code: null,
  runId: `run-${i}`,
  durationMs: i,
  ...extra,
})

/** A log of `n` lines written by the real writer, rotated every `maxBytes` (0: never). */
function writtenLog(n: number, maxBytes = 0): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
  const path = join(dir, 'audit.jsonl')
  const log = createAuditLog({
    path,
    maxBytes: maxBytes || undefined,
    keep: 1000,
    warn: (m) => expect.fail(m),
  })
  for (let i = 1; i <= n; i++) log.record(entry(i))
  log.close()
  return { dir, path }
}

const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1)
const save = (path: string, lines: string[]) => writeFileSync(path, `${lines.join('\n')}\n`)

describe('the chained audit log, written by the MCP server', () => {
  it('every tool call links to the one before; verify passes, then names the line a user edited', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
    const log = join(dir, 'audit.jsonl')
    const s = await connectServer({ token: gw.token, args: ['--url', gw.url, '--audit-log', log] })
    await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly' } })
    await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'nope' } })
    await s.client.callTool({ name: 'cron_status', arguments: {} })
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && !(existsSync(log) && linesOf(log).length >= 4)) await sleep(20)
    const lines = linesOf(log)
    expect(lines).toHaveLength(4)
    const parsed = lines.map((l) => JSON.parse(l) as { seq: number; prev: string; tool: string })
    expect(parsed.map((p) => p.seq)).toEqual([1, 2, 3, 4])
    expect(parsed[0]!.prev).toBe(AUDIT_GENESIS)
    for (let i = 1; i < 4; i++) expect(parsed[i]!.prev).toBe(auditLineHash(lines[i - 1]!))
    expect(Object.keys(parsed[0]!).slice(0, 3)).toEqual(['seq', 'prev', 'time'])

    const intact = verify(log)
    expect(intact.code).toBe(0)
    expect(intact.json).toMatchObject({ ok: true, lines: 4, break: null, start: { seq: 1, genesis: true } })
    expect(intact.human).toMatch(
      /^intact: 4 line\(s\) in 1 file\(s\) link up, from the first line ever written/,
    )

    // The user edits the outcome of the failed run: the next line recorded another hash for it.
    save(
      log,
      lines.map((l, i) => (i === 2 ? l.replace('"outcome":"error"', '"outcome":"ok"') : l)),
    )
    expect(readFileSync(log, 'utf8')).not.toBe(`${lines.join('\n')}\n`)
    const edited = verify(log)
    expect(edited.code).toBe(19)
    expect(edited.json).toMatchObject({
      ok: false,
      code: 'AUDIT_CHAIN_BROKEN',
      break: { file: log, line: 3, kind: 'edited' },
    })
    expect(edited.human).toMatch(new RegExp(`^BROKEN at ${log}:3: edited: `))
  })
})

describe('the chain across rotation', () => {
  it('goes on from the last line of the rotated file, with two writers; verify finds the rotated files itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
    const path = join(dir, 'audit.jsonl')
    const one = createAuditLog({ path, maxBytes: 2048, keep: 1000 })
    const two = createAuditLog({ path, maxBytes: 2048, keep: 1000 })
    for (let i = 1; i <= 300; i++) (i % 3 === 0 ? two : one).record(entry(i))
    one.close()
    two.close()
    const files = readdirSync(dir).filter((f) => f.startsWith('audit.jsonl'))
    expect(files.length).toBeGreaterThan(10)
    const r = verify(path)
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({ ok: true, lines: 300, start: { genesis: true, seq: 1 } })
    // The first line of the current file links to the last line of audit.jsonl.1.
    const first = JSON.parse(linesOf(path)[0]!) as { prev: string }
    expect(first.prev).toBe(auditLineHash(linesOf(`${path}.1`).at(-1)!))

    // Oldest file rotated away: still intact, starting at a later seq.
    const oldest = files.map((f) => Number(f.split('.')[2] ?? 0)).sort((a, b) => b - a)[0]!
    unlinkSync(`${path}.${oldest}`)
    const later = verify(path)
    expect(later.code).toBe(0)
    expect(later.json.start).toMatchObject({ genesis: false })
    expect(later.json.start!.seq).toBeGreaterThan(1)
    expect(later.human).toMatch(/rotated away or not given/)

    // Files given by hand, in the wrong order: the first line out of place is the break.
    const given = verify(`${path}.2`, path, `${path}.1`)
    expect(given.code).toBe(19)
    expect(given.json.break).toMatchObject({ file: path, line: 1, kind: 'reordered' })
  })

  it('names a line deleted at the end of a rotated file, at the first line of the next', () => {
    const { path } = writtenLog(60, 1024)
    const rotated = linesOf(`${path}.2`)
    save(`${path}.2`, rotated.slice(0, -2))
    const r = verify(path)
    expect(r.code).toBe(19)
    expect(r.json.break).toMatchObject({ file: `${path}.1`, line: 1, kind: 'deleted' })
    expect(r.json.break!.reason).toMatch(/^2 line\(s\) missing between .*audit\.jsonl\.2:\d+ and it/)
  })
})

describe('verify names the first line that breaks the chain', () => {
  const tamper: [string, (l: string[]) => string[], { line: number; kind: string; reason: RegExp }][] = [
    [
      'an edit',
      (l) => l.map((x, i) => (i === 4 ? x.replace('job-5', 'job-X') : x)),
      { line: 5, kind: 'edited', reason: /line 6|:6 recorded/ },
    ],
    [
      'an edit of the chain field itself',
      (l) =>
        l.map((x, i) => (i === 4 ? x.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${'1'.repeat(64)}"`) : x)),
      { line: 5, kind: 'edited', reason: /neither it nor/ },
    ],
    [
      'a deletion',
      (l) => l.filter((_, i) => i !== 4),
      { line: 5, kind: 'deleted', reason: /1 line\(s\) missing before it \(seq jumps from 4 to 6\)/ },
    ],
    [
      'a reorder',
      (l) => [...l.slice(0, 4), l[5]!, l[4]!, ...l.slice(6)],
      { line: 5, kind: 'reordered', reason: /written after .*:6/ },
    ],
    [
      'an inserted plain line',
      (l) => [...l.slice(0, 4), JSON.stringify(entry(99)), ...l.slice(4)],
      { line: 5, kind: 'inserted', reason: /no chain fields/ },
    ],
    [
      'an inserted forged line that links',
      (l) => {
        const forged = JSON.stringify({ seq: 5, prev: auditLineHash(l[3]!), ...entry(99) })
        return [...l.slice(0, 4), forged, ...l.slice(4)]
      },
      { line: 5, kind: 'inserted', reason: /:6 links to .*:4/ },
    ],
    [
      'a duplicated line',
      (l) => [...l.slice(0, 5), l[4]!, ...l.slice(5)],
      { line: 5, kind: 'inserted', reason: /:6 links to .*:4/ },
    ],
  ]
  for (const [what, change, expected] of tamper)
    it(`after ${what}`, () => {
      const { path } = writtenLog(10)
      expect(verify(path).code).toBe(0)
      save(path, change(linesOf(path)))
      const r = verify(path)
      expect(r.code).toBe(19)
      expect(r.json.break).toMatchObject({ file: path, line: expected.line, kind: expected.kind })
      expect(r.json.break!.reason).toMatch(expected.reason)
      expect(r.human.split('\n')[0]).toContain(`${path}:${expected.line}: ${expected.kind}: `)
    })

  it('after a truncation (the file ends inside a line)', () => {
    const { path } = writtenLog(10)
    const text = readFileSync(path, 'utf8')
    writeFileSync(path, text.slice(0, -40))
    const r = verify(path)
    expect(r.code).toBe(19)
    expect(r.json.break).toMatchObject({ file: path, line: 10, kind: 'truncated' })
  })
})

describe('recovery on start', () => {
  it('a cut last line (a crash mid-write) is closed and linked to; verify names exactly that line', () => {
    const { path } = writtenLog(5)
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, -25))
    const log = createAuditLog({ path })
    log.record(entry(6))
    log.record(entry(7))
    log.close()
    const lines = linesOf(path)
    expect(lines).toHaveLength(7)
    expect(JSON.parse(lines[5]!)).toMatchObject({ seq: 6, prev: auditLineHash(lines[4]!) })
    const r = verify(path)
    expect(r.json.break).toMatchObject({ line: 5, kind: 'truncated' })
    expect(r.json.brokenLinks).toBe(0)
  })

  it('lines written before the chain are kept and the chain starts after them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
    const path = join(dir, 'audit.jsonl')
    save(path, [JSON.stringify(entry(1)), JSON.stringify(entry(2))])
    const log = createAuditLog({ path })
    log.record(entry(3))
    log.close()
    expect(JSON.parse(linesOf(path)[2]!)).toMatchObject({ seq: 1, prev: auditLineHash(linesOf(path)[1]!) })
    const r = verify(path)
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({ unchained: 2, lines: 3 })
    expect(r.human).toMatch(/2 older line\(s\) before the chain are not covered/)
  })

  it('a log cut below the line a running writer wrote is recorded as a gap, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
    const path = join(dir, 'audit.jsonl')
    const warnings: string[] = []
    const log = createAuditLog({ path, warn: (m) => warnings.push(m) })
    for (let i = 1; i <= 5; i++) log.record(entry(i))
    save(path, linesOf(path).slice(0, 2))
    log.record(entry(6))
    log.close()
    expect(warnings).toEqual([expect.stringMatching(/shrank from \d+ to \d+ bytes/)])
    expect(verify(path).json.break).toMatchObject({
      line: 3,
      kind: 'deleted',
      reason: expect.stringMatching(/seq jumps from 2 to 6/),
    })
  })

  it('an end it cannot read starts a new chain, says so once, and verify reports the restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-chain-'))
    const path = join(dir, 'audit.jsonl')
    save(path, [
      JSON.stringify({ seq: 1, prev: AUDIT_GENESIS, ...entry(1), arguments: { big: 'x'.repeat(1_100_000) } }),
    ])
    const warnings: string[] = []
    const log = createAuditLog({ path, warn: (m) => warnings.push(m) })
    log.record(entry(2))
    log.record(entry(3))
    log.close()
    expect(warnings).toEqual([
      expect.stringMatching(/cannot read its end to continue the hash chain .*new chain/),
    ])
    const r = verify(path)
    expect(r.code).toBe(19)
    expect(r.json.break).toMatchObject({ line: 2, kind: 'restarted' })
  })

  it('a missing log is a usage error naming the path (exit 2)', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'clawlink-chain-')), 'audit.jsonl')
    const r = spawnSync(process.execPath, [CLI, 'audit', 'verify', missing], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`no audit log at ${missing}`)
  })
})
