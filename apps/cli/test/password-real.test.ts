import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningGateway, realGatewaysOrSkip, startGateway, stopGateway } from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// A real 2026.9.6 in password mode (gateway.auth.mode "password"): the password travels in connect and the gateway
// accepts it; a wrong one and a missing one are told apart (the fake mirrors these answers).
const { skipReason } = realGatewaysOrSkip()
const PASSWORD = 'pw-real-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'clawlink-pw-'))
const goodFile = join(dir, 'good')
const badFile = join(dir, 'bad')
writeFileSync(goodFile, `${PASSWORD}\n`, { mode: 0o600 })
writeFileSync(badFile, 'wrong-password-0000\n', { mode: 0o600 })

describe.skipIf(skipReason !== undefined)('password auth on a real 2026.9.6', () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await startGateway({
      version: '2026.9.6',
      config: {
        gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'password', password: PASSWORD } },
      },
      // Ready when clawlink itself gets in with the password (the harness's own probe speaks token auth).
      waitReady: async (url, _token, timeoutMs) => {
        const end = Date.now() + timeoutMs
        for (;;) {
          const r = await runCli(['--url', url, '--password-file', goodFile, 'cron', 'status'], sandbox().env)
          if (r.code === EXIT.OK) return 4
          if (Date.now() > end) throw new Error(`not ready: ${r.stderr}`)
          await new Promise((resolve) => setTimeout(resolve, 1000))
        }
      },
    })
  }, 240_000)
  afterAll(async () => {
    if (gw) await stopGateway(gw)
  })

  it('the right password works; a wrong one is AUTH_PASSWORD_MISMATCH, none AUTH_PASSWORD_MISSING (exit 6)', async () => {
    const box = sandbox()
    const good = await runCli(
      ['--url', gw.url, '--password-file', goodFile, 'cron', 'list', '--json'],
      box.env,
    )
    expect(good.code, good.stderr).toBe(EXIT.OK)
    expect(JSON.parse(good.stdout).ok).toBe(true)
    const bad = await runCli(['--url', gw.url, '--password-file', badFile, 'cron', 'list', '--json'], box.env)
    expect(bad.code).toBe(EXIT.AUTH)
    expect(JSON.parse(bad.stdout).error.code).toBe('AUTH_PASSWORD_MISMATCH')
    const none = await runCli(['--url', gw.url, 'cron', 'list', '--json'], sandbox().env)
    expect(none.code).toBe(EXIT.AUTH)
    expect(JSON.parse(none.stdout).error.code).toBe('AUTH_PASSWORD_MISSING')
    for (const r of [good, bad, none]) expect(r.stdout + r.stderr).not.toContain(PASSWORD)
  }, 60_000)
})
