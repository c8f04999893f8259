import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AUDIT_GENESIS, auditLineHash, chainAuditLine } from '@clawlink/config'
import { describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

const ago = (ms: number) => new Date(Date.now() - ms).toISOString()

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    tool: 'run_cron_job',
    arguments: {},
    job: null,
    client: { name: 'Claude', version: '1.0' },
    transport: 'stdio',
    outcome: 'ok',
    code: null,
    runId: null,
    durationMs: 5,
    ...fields,
  })
}

/** A profile with an audit log and one rotated file (older lines), as clawlink-mcp leaves them. */
function withLog(profile = 'default') {
  const box = sandbox()
  const dir = join(box.home, 'clawlink', profile)
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'audit.jsonl.1'),
    `${line({ time: ago(3 * 86_400_000), tool: 'list_cron_jobs' })}\n${line({ time: ago(2 * 3_600_000), tool: 'cron_status' })}\n`,
  )
  writeFileSync(
    join(dir, 'audit.jsonl'),
    [
      line({
        time: ago(60_000),
        job: { id: 'j1', name: 'evil\u001b]0;pwned\u0007name' },
        outcome: 'refused',
        code: 'NOT_ALLOWED',
      }),
      'not json',
      line({ time: ago(1000), job: { id: 'j2', name: 'nightly' }, runId: 'run-42', transport: 'http' }),
    ].join('\n'),
  )
  return box
}

describe('clawlink audit', () => {
  it('shows the log and its rotated files oldest first, as a table with sanitised gateway text', async () => {
    const box = withLog()
    const r = await runCli(['audit'], box.env)
    expect(r.code).toBe(0)
    const rows = r.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^TIME +TOOL +JOB +OUTCOME +RUN ID +CLIENT$/)
    expect(rows.slice(1).map((l) => l.split(/ {2,}/)[1])).toEqual([
      'list_cron_jobs',
      'cron_status',
      'run_cron_job',
      'run_cron_job',
    ])
    expect(rows[3]).toContain('refused NOT_ALLOWED')
    expect(rows[3]).toContain('evil\\x1b]0;pwned\\x07name')
    expect(r.stdout).not.toContain('\u001b')
    expect(rows[4]).toMatch(/nightly +ok +run-42 +Claude 1\.0 \(http\)$/)
    expect(r.stderr).toContain('1 line(s)')
  })

  it('--since keeps newer calls only; --json gives the entries', async () => {
    const box = withLog()
    const r = await runCli(['audit', '--since', '3h', '--json'], box.env)
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout) as { ok: boolean; file: string; entries: { tool: string }[] }
    expect(doc.file).toBe(join(box.home, 'clawlink', 'default', 'audit.jsonl'))
    expect(doc.entries.map((e) => e.tool)).toEqual(['cron_status', 'run_cron_job', 'run_cron_job'])
    const recent = await runCli(['audit', '--since', '10s', '--json'], box.env)
    expect((JSON.parse(recent.stdout) as { entries: unknown[] }).entries).toHaveLength(1)
  })

  it('reads another profile or file; says when there is no log; rejects a bad duration', async () => {
    const box = withLog('ci')
    const none = await runCli(['audit'], box.env)
    expect(none.code).toBe(0)
    expect(none.stdout).toContain('no audit log at')
    const ci = await runCli(['audit', '--profile', 'ci', '--json'], box.env)
    expect((JSON.parse(ci.stdout) as { entries: unknown[] }).entries).toHaveLength(4)
    const file = await runCli(
      ['audit', '--audit-log', join(box.home, 'clawlink', 'ci', 'audit.jsonl.1')],
      box.env,
    )
    expect(file.stdout.trim().split('\n')).toHaveLength(3)
    // The same profile and file clawlink-mcp writes to when the environment names them.
    const byEnv = await runCli(['audit', '--json'], { ...box.env, CLAWLINK_PROFILE: 'ci' })
    expect((JSON.parse(byEnv.stdout) as { entries: unknown[] }).entries).toHaveLength(4)
    const moved = { ...box.env, CLAWLINK_MCP_AUDIT_LOG: join(box.home, 'clawlink', 'ci', 'audit.jsonl.1') }
    expect((await runCli(['audit'], moved)).stdout.trim().split('\n')).toHaveLength(3)
    const off = await runCli(['audit', '--json'], { ...box.env, CLAWLINK_MCP_AUDIT_LOG: 'off' })
    expect(JSON.parse(off.stdout)).toEqual({ ok: true, file: null, entries: [] })
    const bad = await runCli(['audit', '--since', 'yesterday'], box.env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('not a duration')
  })
})

/** A chained log as clawlink-mcp writes it (@clawlink/config's chain format), in a profile, rotated once. */
function chainedLog(profile = 'default') {
  const box = sandbox()
  const dir = join(box.home, 'clawlink', profile)
  mkdirSync(dir, { recursive: true })
  const lines: string[] = []
  let prev = AUDIT_GENESIS
  for (let seq = 1; seq <= 6; seq++) {
    const text = chainAuditLine(JSON.parse(line({ time: ago(60_000 * (7 - seq)), runId: `run-${seq}` })), {
      seq,
      prev,
    })
    lines.push(text)
    prev = auditLineHash(text)
  }
  writeFileSync(join(dir, 'audit.jsonl.1'), `${lines.slice(0, 3).join('\n')}\n`)
  writeFileSync(join(dir, 'audit.jsonl'), `${lines.slice(3).join('\n')}\n`)
  return { box, dir, lines }
}

describe('clawlink audit verify', () => {
  it("checks the profile's log and its rotated file by default; exit 19 naming file:line once it is edited", async () => {
    const { box, dir, lines } = chainedLog()
    const ok = await runCli(['audit', 'verify'], box.env)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(
      /^intact: 6 line\(s\) in 2 file\(s\) link up, from the first line ever written\nhead: seq 6 sha256 [0-9a-f]{64}\n$/,
    )
    const json = JSON.parse((await runCli(['audit', 'verify', '--json'], box.env)).stdout)
    expect(json).toMatchObject({
      ok: true,
      lines: 6,
      break: null,
      files: [join(dir, 'audit.jsonl.1'), join(dir, 'audit.jsonl')],
    })

    writeFileSync(
      join(dir, 'audit.jsonl.1'),
      `${[lines[0], lines[1]!.replace('run-2', 'run-9'), lines[2]].join('\n')}\n`,
    )
    const broken = await runCli(['audit', 'verify'], box.env)
    expect(broken.code).toBe(19)
    expect(broken.stdout).toContain(`BROKEN at ${join(dir, 'audit.jsonl.1')}:2: edited: `)
    const doc = JSON.parse((await runCli(['audit', 'verify', '--json'], box.env)).stdout)
    expect(doc).toMatchObject({ ok: false, code: 'AUDIT_CHAIN_BROKEN', break: { line: 2, kind: 'edited' } })
  })

  it('takes --profile, --audit-log and FILEs; no log is exit 2 with the fix; `audit` still lists', async () => {
    const { box, dir } = chainedLog('ci')
    expect((await runCli(['audit', 'verify', '--profile', 'ci'], box.env)).code).toBe(0)
    expect((await runCli(['audit', 'verify', '--audit-log', join(dir, 'audit.jsonl')], box.env)).code).toBe(0)
    const one = await runCli(['audit', 'verify', '--json', join(dir, 'audit.jsonl')], box.env)
    expect(JSON.parse(one.stdout).files).toHaveLength(2)
    // The same file named twice: the second copy does not follow the first.
    const newer = JSON.parse(
      (
        await runCli(
          ['audit', 'verify', '--json', join(dir, 'audit.jsonl'), join(dir, 'audit.jsonl')],
          box.env,
        )
      ).stdout,
    )
    expect(newer.break).toMatchObject({ line: 1, kind: 'inserted' })
    const none = await runCli(['audit', 'verify'], box.env)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain(`no audit log at ${join(box.home, 'clawlink', 'default', 'audit.jsonl')}`)
    expect(none.stderr).toContain('fix: name the log clawlink-mcp writes')
    const off = await runCli(['audit', 'verify'], { ...box.env, CLAWLINK_MCP_AUDIT_LOG: 'off' })
    expect(off.code).toBe(2)
    expect(off.stderr).toContain('turned off')
    expect((await runCli(['audit', '--profile', 'ci', '--json'], box.env)).code).toBe(0)
    const since = await runCli(['audit', 'verify', '--since', '1h'], box.env)
    expect(since.code).toBe(2)
    expect(since.stderr).toContain('unknown option --since for audit verify')
  })

  it('--help teaches the format, the kinds of break and the exit codes', async () => {
    const r = await runCli(['audit', 'verify', '--help'], sandbox().env)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: clawlink audit verify \[file…\] \[options\]/)
    for (const word of [
      'seq',
      'prev',
      'SHA-256',
      'edited',
      'deleted',
      'reordered',
      'inserted',
      'truncated',
      '19 when broken',
    ])
      expect(r.stdout).toContain(word)
    expect((await runCli(['help', 'audit', 'verify'], sandbox().env)).stdout).toBe(r.stdout)
  })
})
