import { readFileSync, writeFileSync } from 'node:fs'
import { startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it, vi } from 'vitest'
import { parseDuration } from '../src/args.js'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const PLUGIN = new URL('../../../packages/testkit/fixtures/plugin-signer.mjs', import.meta.url).pathname

describe('arguments', () => {
  it('parses durations', () => {
    expect(parseDuration('30s', '--timeout')).toBe(30_000)
    expect(parseDuration('10m', '--timeout')).toBe(600_000)
    expect(parseDuration('1500ms', '--timeout')).toBe(1500)
    expect(parseDuration('2', '--timeout')).toBe(2000)
    expect(() => parseDuration('soon', '--timeout')).toThrow(/not a duration/)
  })
  it('--help works everywhere and teaches with examples', async () => {
    const box = sandbox()
    for (const args of [
      ['--help'],
      ['cron', 'run', '--help'],
      ['cron', 'list', '--help'],
      ['device', 'init', '--help'],
      ['doctor', '--help'],
      ['call', '--help'],
    ]) {
      const r = await runCli(args, box.env)
      expect(r.code, args.join(' ')).toBe(EXIT.OK)
      expect(r.stdout).toMatch(/Usage: clawlink/)
    }
    expect((await runCli(['cron', 'run', '--help'], box.env)).stdout).toContain(
      'clawlink cron run nightly-report --wait',
    )
    expect((await runCli(['--version'], box.env)).stdout).toMatch(/^clawlink \d+\.\d+\.\d+/)
  })
  it('global flags may come before the command', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'nightly' }] })
    try {
      const box = sandbox(gw.token)
      const r = await runCli(
        ['--url', gw.url, '--token-file', box.tokenFile, 'cron', 'list', '--json'],
        box.env,
      )
      expect(r.code, r.stderr).toBe(EXIT.OK)
      expect(JSON.parse(r.stdout).jobs[0].name).toBe('nightly')
    } finally {
      await gw.close()
    }
  })
})

describe('settings through the CLI', () => {
  it('reads URL and token from openclaw.json (JSON5 with comments); gateway.auth.token beats the env (9.x order)', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'from-config' }] })
    try {
      const box = sandbox()
      const port = new URL(gw.url).port
      writeFileSync(
        box.configFile,
        `{\n  // written by the operator\n  gateway: { port: ${port}, auth: { token: "${gw.token}" }, },\n}\n`,
      )
      const r = await runCli(['cron', 'list', '--json'], box.env)
      expect(r.code, r.stderr).toBe(EXIT.OK)
      // A fresh profile (no cached device token to fall back on): the file's token is the one used, a wrong
      // OPENCLAW_GATEWAY_TOKEN does not matter; with the wrong token in the file it does.
      const fresh = {
        ...box.env,
        CLAWLINK_HOME: `${box.home}/other-profile`,
        OPENCLAW_GATEWAY_TOKEN: 'env-is-wrong',
      }
      expect((await runCli(['cron', 'list'], fresh)).code).toBe(EXIT.OK)
      writeFileSync(box.configFile, `{ gateway: { port: ${port}, auth: { token: "file-is-wrong" } } }\n`)
      const wrongFile = await runCli(['cron', 'list'], {
        ...fresh,
        CLAWLINK_HOME: `${box.home}/third-profile`,
      })
      expect(wrongFile.code).toBe(EXIT.AUTH)
    } finally {
      await gw.close()
    }
  })
})

describe('doctor', () => {
  it('--token-stdin: the secret read once serves every step, the connect included', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'x' }] })
    try {
      const box = sandbox()
      expect((await runCli(['device', 'init'], box.env)).code).toBe(EXIT.OK)
      const r = await runCli(['doctor', '--url', gw.url, '--token-stdin'], box.env, 60_000, `${gw.token}\n`)
      expect(r.stdout).toContain('token set (from stdin')
      expect(r.stdout).toMatch(/✓ auth +by token/)
      expect(r.stdout).not.toContain('no token on stdin')
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK)
    } finally {
      await gw.close()
    }
  })
})

describe('device init and show', () => {
  it('creates a file key once, then reports it as already initialised', async () => {
    const box = sandbox()
    const first = await runCli(['device', 'init', '--json'], box.env)
    expect(first.code, first.stderr).toBe(EXIT.OK)
    const a = JSON.parse(first.stdout)
    expect(a).toMatchObject({ ok: true, created: true })
    const keyBefore = readFileSync(box.keyFile, 'utf8')
    const again = JSON.parse((await runCli(['device', 'init', '--json'], box.env)).stdout)
    expect(again).toMatchObject({ created: false, deviceId: a.deviceId })
    expect(readFileSync(box.keyFile, 'utf8')).toBe(keyBefore)
    const show = JSON.parse((await runCli(['device', 'show', '--json'], box.env)).stdout)
    expect(show).toMatchObject({ deviceId: a.deviceId, deviceTokens: [] })
  })

  it('refuses to switch an initialised profile to another signer', async () => {
    const box = sandbox()
    expect((await runCli(['device', 'init'], box.env)).code).toBe(EXIT.OK)
    const r = await runCli(['device', 'init', '--signer', 'keychain'], box.env)
    expect(r.code).toBe(EXIT.USAGE)
    expect(r.stderr).toMatch(/already uses file/)
  })

  it('takes a plug-in signer module and remembers it in the profile', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'nightly' }] })
    try {
      const box = sandbox(gw.token)
      const init = await runCli(
        ['device', 'init', '--signer', PLUGIN, '--signer-option', `seedHex=${SEED}`, '--json'],
        box.env,
      )
      expect(init.code, init.stderr).toBe(EXIT.OK)
      expect(JSON.parse(init.stdout).deviceId).toBe(
        '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9',
      )
      // No --signer now: the profile's plug-in signs the connect.
      const run = await runCli(
        ['cron', 'run', 'nightly', '--url', gw.url, '--token-file', box.tokenFile],
        box.env,
      )
      expect(run.code, run.stderr).toBe(EXIT.OK)
      expect([...gw.devices.keys()]).toContain(
        '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9',
      )
    } finally {
      await gw.close()
    }
  })
})

describe('--timeout on every connecting command', () => {
  it('0 and a non-duration are usage errors; a bare number is seconds', async () => {
    expect(parseDuration('2', '--timeout')).toBe(2000)
    expect(() => parseDuration('0', '--timeout')).toThrow(/more than 0/)
    const box = sandbox()
    for (const args of [['cron', 'list'], ['cron', 'status'], ['doctor']]) {
      const r = await runCli([...args, '--timeout', '0', '--json'], box.env)
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE)
      expect(JSON.parse(r.stdout).error.message).toContain('--timeout must be more than 0')
    }
  })
  it('cron list, status and runs stop at --timeout when the gateway never answers (exit 11)', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'nightly' }] })
    try {
      const box = sandbox(gw.token)
      const conn = ['--url', gw.url, '--token-file', box.tokenFile]
      expect((await runCli(['cron', 'list', ...conn], box.env)).code).toBe(EXIT.OK) // paired, jobs listed
      for (const [method, args] of [
        ['cron.list', ['cron', 'list']],
        ['cron.status', ['cron', 'status']],
        ['cron.runs', ['cron', 'runs', 'nightly']],
      ] as const) {
        gw.setFault({ kind: 'no-response', method })
        const r = await runCli([...args, ...conn, '--timeout', '2s', '--json'], box.env)
        expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(EXIT.TIMEOUT)
        expect(JSON.parse(r.stdout).error.message).toMatch(/2\.0 s|time limit/)
      }
    } finally {
      gw.setFault(undefined)
      await gw.close()
    }
  })
})

describe('the end of a command', () => {
  // The CLI exits without waiting for the gateway to echo its close (docs/architecture.md "Start-up"): the close frame
  // itself must still reach the gateway, or every command would look like a dropped connection (1006) there.
  const closeOf = (gw: { closes: Array<{ connId: number; code: number }> }, connId: number) =>
    vi.waitFor(
      () => {
        const seen = gw.closes.find((c) => c.connId === connId)
        if (!seen) throw new Error(`connection ${connId} has not ended`)
        return seen.code
      },
      { timeout: 5000, interval: 20 },
    )
  it('a finished command and a failed one each leave with a close frame carrying 1000', async () => {
    const gw = await startFakeGateway({ jobs: [{ name: 'nightly' }] })
    try {
      const box = sandbox(gw.token)
      const base = ['--url', gw.url, '--token-file', box.tokenFile]
      const ok = await runCli(['cron', 'status', ...base], box.env)
      expect(ok.code, ok.stderr).toBe(EXIT.OK)
      expect(await closeOf(gw, gw.connectionCount)).toBe(1000)
      const failed = await runCli(['cron', 'run', 'no-such-job', ...base], box.env)
      expect(failed.code).toBe(EXIT.JOB_NOT_FOUND)
      expect(await closeOf(gw, gw.connectionCount)).toBe(1000)
      expect(gw.closes.map((c) => c.code)).toEqual([1000, 1000])
    } finally {
      await gw.close()
    }
  })
})
