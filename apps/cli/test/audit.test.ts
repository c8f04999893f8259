import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
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
