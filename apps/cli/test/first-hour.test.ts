import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fakeGatewayPerTest, runCli, sandbox } from './helpers.js'

// The frictions of a new user's first hour (issue 23), each pinned by what the user sees.

const fake = fakeGatewayPerTest()

/** Exit codes as docs/errors.md's "CLI exit codes" table lists them: number → kind. */
const DOCUMENTED = (() => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const table = doc.slice(doc.indexOf('## CLI exit codes'))
  return [...table.matchAll(/^\| (\d+) \| ([^|]+?) \|/gm)].map((m) => Number(m[1]))
})()

describe('clawlink --help teaches what a first command needs', () => {
  it('lists every documented exit code, the common options and the environment', async () => {
    const { stdout, code } = await runCli(['--help'], sandbox().env)
    expect(code).toBe(0)
    const exits = stdout.slice(stdout.indexOf('Exit codes:'))
    expect(DOCUMENTED.length).toBeGreaterThan(18)
    for (const n of DOCUMENTED) expect(exits).toMatch(new RegExp(`(^|[\\s:,])${n} [a-zA-Z]`))
    for (const flag of ['--url URL', '--context NAME', '--token-file FILE', '--timeout DUR', '--json'])
      expect(stdout.slice(stdout.indexOf('Common options:'))).toContain(flag)
    for (const name of [
      'OPENCLAW_STATE_DIR',
      'OPENCLAW_CONFIG_PATH',
      'OPENCLAW_GATEWAY_URL',
      'CLAWLINK_CONTEXT',
    ])
      expect(stdout.slice(stdout.indexOf('Environment:'))).toContain(name)
  })

  it('names every built-in signer, pkcs11 included', async () => {
    const { stdout } = await runCli(['help', 'device', 'init'], sandbox().env)
    const line = stdout.split('\n').find((l) => l.includes('--signer KIND')) ?? ''
    for (const kind of ['file', 'keychain', 'agent', 'exec', 'pkcs11', 'none']) expect(line).toContain(kind)
  })
})

describe('a failed connect says what clawlink assumed', () => {
  it("no URL and no openclaw.json: the fix says 18789 is only OpenClaw's default and how to point at the config", async () => {
    const free = await new Promise<boolean>((resolve) => {
      const s = connect(18789, '127.0.0.1')
      s.once('connect', () => resolve(s.destroy() === undefined && false))
      s.once('error', () => resolve(true))
    })
    expect(free, 'something listens on 127.0.0.1:18789: this test needs that port closed').toBe(true)
    const box = sandbox()
    const { code, stderr } = await runCli(['cron', 'list'], box.env)
    expect(code).toBe(5)
    expect(stderr).toContain('ws://127.0.0.1:18789')
    expect(stderr).toContain(`there is no ${join(box.home, 'openclaw', 'openclaw.json')}`)
    expect(stderr).toContain('OPENCLAW_CONFIG_PATH')
    expect(stderr).not.toMatch(/[^.]\.\.(\s|$)/m)
  })

  it('an explicit --url: the fix names --token-file, never the environment token it would not send', async () => {
    const { gw, box } = await fake({ flavor: '9.6' })
    const env = { ...box.env, OPENCLAW_GATEWAY_TOKEN: gw.token ?? '' }
    const { code, stderr } = await runCli(['cron', 'list', '--url', gw.url], env)
    expect(code).toBe(6)
    const fix = stderr.split('\n').find((l) => l.startsWith('fix: ')) ?? ''
    expect(fix).toContain('--token-file')
    expect(fix).toContain(`not sent to --url ${gw.url}`)
    expect(fix).not.toMatch(/set OPENCLAW_GATEWAY_TOKEN|or OPENCLAW_GATEWAY_TOKEN/)
  })

  it('a token file others can read is refused (exit 3, chmod 600) and left as it was', async () => {
    const { gw, box } = await fake({ flavor: '9.6' })
    const file = join(box.home, 'open.token')
    writeFileSync(file, `${gw.token}\n`)
    chmodSync(file, 0o644)
    const { code, stderr } = await runCli(['cron', 'list', '--url', gw.url, '--token-file', file], box.env)
    expect(code).toBe(3)
    expect(stderr).toContain(`fix: chmod 600 ${file}`)
    expect(stderr).not.toContain(gw.token ?? 'no-token')
    expect(statSync(file).mode & 0o777).toBe(0o644)
    expect(gw.connectionCount).toBe(0)
  })
})

describe('call', () => {
  it('plain prints the result itself; --json the {ok, method, result} envelope of every command', async () => {
    const { conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const plain = await runCli(['call', 'cron.list', ...conn], box.env)
    expect(plain.code).toBe(0)
    const raw = JSON.parse(plain.stdout) as { jobs: Array<{ name: string }> }
    expect(raw.jobs.map((j) => j.name)).toEqual(['nightly'])
    const json = await runCli(['call', 'cron.list', '--json', ...conn], box.env)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, method: 'cron.list', result: raw })
  })

  it('an unknown method: the closest one the gateway lists, or its family; exit 16', async () => {
    const { conn, box } = await fake({ flavor: '9.6' })
    const typo = await runCli(['call', 'cron.lsit', ...conn], box.env)
    expect(typo.code).toBe(16)
    expect(typo.stderr).toContain('fix: did you mean cron.list?')
    const made = await runCli(['call', 'cron.frobnicate', '--json', ...conn], box.env)
    expect(made.code).toBe(16)
    const error = (JSON.parse(made.stdout) as { error: { code: string; remedy: string } }).error
    expect(error.code).toBe('UNKNOWN_METHOD')
    for (const m of ['cron.list', 'cron.run', 'cron.runs', 'cron.status']) expect(error.remedy).toContain(m)
  })

  it('an unknown job id: the fix says call takes ids (no "exact name" it cannot resolve); exit 9', async () => {
    const { conn, box } = await fake({ flavor: '9.6' })
    const r = await runCli(['call', 'cron.run', '--params', '{"id":"no-such-job"}', ...conn], box.env)
    expect(r.code).toBe(9)
    expect(r.stderr).toContain('take the job id')
    expect(r.stderr).not.toContain('exact name')
  })
})

describe('cron run of a disabled job', () => {
  it('runs it (a hand run is allowed) and says so on stderr', async () => {
    const { conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'paused', enabled: false }] })
    const r = await runCli(['cron', 'run', 'paused', '--wait', ...conn], box.env)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('warning: paused is disabled: running it once by hand')
    const live = await runCli(['cron', 'run', 'paused', ...conn], box.env)
    expect(live.stderr).toContain('is disabled')
  })
})
