import { readFileSync } from 'node:fs'
import { realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

// `clawlink device rotate|revoke` against the real gateways: the rotated token is the one the next command uses;
// after a revoke the next command authenticates with the shared token and the gateway issues a fresh token.
const { gateways, skipReason } = realGatewaysOrSkip()

function cachedToken(box: ReturnType<typeof sandbox>): string | undefined {
  const file = `${box.env.CLAWLINK_HOME}/default/device-tokens.json`
  const tokens = Object.values(JSON.parse(readFileSync(file, 'utf8')).tokens) as { token: string }[]
  return tokens[0]?.token
}

describe.skipIf(skipReason !== undefined)('clawlink device rotate and revoke on real gateways', () => {
  it.each(gateways.map((g) => [g.version, g] as const))('%s', { timeout: 90_000 }, async (_v, gw) => {
    const box = sandbox(gw.token)
    const shared = ['--url', gw.url, '--token-file', box.tokenFile]
    const deviceOnly = ['--url', gw.url] // no shared secret: only the cached device token can authenticate
    expect((await runCli(['cron', 'list', ...shared], box.env)).code).toBe(0)
    const before = cachedToken(box)
    expect(before).toBeDefined()

    const rotated = await runCli(['device', 'rotate', ...shared, '--json'], box.env)
    expect(rotated.code, rotated.stdout + rotated.stderr).toBe(0)
    const r = JSON.parse(rotated.stdout)
    expect(r).toMatchObject({ ok: true, role: 'operator' })
    // 9.x says how the token was delivered; v3 gateways send no tokenDelivery (and always the token)
    expect(r.tokenDelivery).toBe(gw.protocol === 4 ? 'in-band' : 'unspecified')
    expect(rotated.stdout).not.toContain(cachedToken(box))
    const after = cachedToken(box)
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    expect((await runCli(['cron', 'list', ...deviceOnly], box.env)).code).toBe(0)
    const doctor = await runCli(['doctor', ...deviceOnly, '--json'], box.env)
    const steps = JSON.parse(doctor.stdout).steps as { step: string; detail: string; ageMs?: number }[]
    expect(steps.find((s) => s.step === 'auth')?.detail).toBe('by device-token')
    expect(steps.find((s) => s.step === 'device token')?.ageMs).toBeGreaterThanOrEqual(0)

    const revoked = await runCli(['device', 'revoke', ...shared, '--json'], box.env)
    expect(revoked.code, revoked.stdout + revoked.stderr).toBe(0)
    expect(JSON.parse(revoked.stdout)).toMatchObject({ ok: true, clearedLocal: true })
    // Without a shared secret nothing is left to authenticate with: the old token is gone on both sides.
    expect((await runCli(['cron', 'list', ...deviceOnly], box.env)).code).toBe(6)
    const again = await runCli(['cron', 'list', ...shared], box.env)
    expect(again.code, again.stderr).toBe(0)
    const fresh = cachedToken(box)
    expect(fresh).toBeDefined()
    expect(fresh).not.toBe(after)
  })
})
