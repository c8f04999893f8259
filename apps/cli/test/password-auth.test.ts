import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// Password auth (gateway.auth.mode "password") on the wire: the password from --password-file goes into
// connect's auth.password, never a token; a wrong one is AUTH_PASSWORD_MISMATCH (exit 6), and the password never
// appears in what the CLI prints.
describe('password auth against the fake gateway', () => {
  const PASSWORD = 'correct horse battery staple'
  const started = startFakeGateway({ token: undefined, password: PASSWORD, jobs: [{ name: 'nightly' }] })
  afterAll(async () => (await started).close())

  function passwordFile(box: ReturnType<typeof sandbox>, text: string): string {
    const file = join(box.home, 'gateway.password')
    writeFileSync(file, `${text}\n`, { mode: 0o600 })
    return file
  }

  it('sends the password in connect and works', async () => {
    const gw = await started
    const box = sandbox()
    const before = gw.requests('connect').length
    const file = passwordFile(box, PASSWORD)
    const list = await runCli(['--url', gw.url, '--password-file', file, 'cron', 'list', '--json'], box.env)
    expect(list.code, list.stderr).toBe(EXIT.OK)
    expect(JSON.parse(list.stdout).jobs.map((j: { name: string }) => j.name)).toContain('nightly')
    const connects = gw.requests('connect').slice(before) as Array<{
      params: { auth?: Record<string, unknown> }
    }>
    expect(connects.length).toBeGreaterThan(0)
    expect(connects[0]!.params.auth?.password).toBe(PASSWORD)
    expect(connects[0]!.params.auth?.token).toBeUndefined()
    const doctor = await runCli(['--url', gw.url, '--password-file', file, 'doctor', '--json'], box.env)
    expect(doctor.code, doctor.stdout).toBe(EXIT.OK)
    const steps = JSON.parse(doctor.stdout).steps as Array<{ step: string; detail: string }>
    expect(steps.find((s) => s.step === 'settings')?.detail).toMatch(/password set \(from --password-file/)
    expect(steps.find((s) => s.step === 'auth')?.detail).toBe('by password')
  })

  it('a wrong password is exit 6 AUTH_PASSWORD_MISMATCH and is never printed', async () => {
    const gw = await started
    const box = sandbox()
    const wrong = 'not-the-password-1234'
    const r = await runCli(
      ['--url', gw.url, '--password-file', passwordFile(box, wrong), 'cron', 'list', '--json'],
      box.env,
    )
    expect(r.code).toBe(EXIT.AUTH)
    expect(JSON.parse(r.stdout).error.code).toBe('AUTH_PASSWORD_MISMATCH')
    expect(r.stdout + r.stderr).not.toContain(wrong)
    expect(r.stdout + r.stderr).not.toContain(PASSWORD)
  })
})
