import { readFileSync } from 'node:fs'
import { createEphemeralSigner, gatewayRpc, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

// OpenClaw retires older silent pairings of the "same" client (client id, mode and display name) about a minute
// after a newer one paired (docs/protocol.md §5.4). Each clawlink profile sends its own display name, so two
// profiles of one user on one host must both keep working past that minute.
const { gateways, skipReason } = realGatewaysOrSkip()
const gw = gateways.find((g) => g.version.startsWith('2026.9'))

describe.skipIf(skipReason !== undefined)('two clawlink profiles on one host, on a real 2026.9.6', () => {
  it('pair one after the other and both still work more than 60 s later', { timeout: 180_000 }, async () => {
    if (!gw) throw new Error('no 2026.9.x gateway in CLAWLINK_GATEWAYS')
    const box = sandbox(gw.token)
    const withToken = ['--url', gw.url, '--token-file', box.tokenFile]
    const a = await runCli(['cron', 'list', '--profile', 'alpha', ...withToken], box.env)
    expect(a.code, a.stderr).toBe(0)
    await new Promise((r) => setTimeout(r, 3000))
    const b = await runCli(['cron', 'list', '--profile', 'beta', ...withToken], box.env)
    expect(b.code, b.stderr).toBe(0)

    const { results } = await gatewayRpc({ url: gw.url, token: gw.token, signer: createEphemeralSigner() }, [
      { method: 'device.pair.list', params: {} },
    ])
    const paired = (results[0] as { paired: { deviceId: string; displayName?: string }[] }).paired
    const idOf = (profile: string) =>
      Object.keys(
        JSON.parse(readFileSync(`${box.env.CLAWLINK_HOME}/${profile}/device-tokens.json`, 'utf8')).tokens,
      )[0]?.split('|')[1]
    const names = Object.fromEntries(paired.map((d) => [d.deviceId, d.displayName]))
    expect(names[idOf('alpha') ?? '']).toMatch(/^clawlink alpha \(.+@.+\)$/)
    expect(names[idOf('beta') ?? '']).toMatch(/^clawlink beta \(.+@.+\)$/)

    await new Promise((r) => setTimeout(r, 65_000))
    // Device tokens only (no shared token): an evicted pairing would answer AUTH_DEVICE_TOKEN_MISMATCH (exit 6).
    for (const profile of ['alpha', 'beta']) {
      const again = await runCli(['cron', 'list', '--profile', profile, '--url', gw.url], box.env)
      expect(again.code, `${profile}: ${again.stderr}`).toBe(0)
    }
  })
})
