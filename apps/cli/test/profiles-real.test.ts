import { readFileSync } from 'node:fs'
import { createEphemeralSigner, gatewayRpc, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

// OpenClaw retires older silent pairings of the "same" client (client id, mode and display name) about a minute
// after a newer one paired (docs/protocol.md §5.4). Each clawlink profile sends its own display name, and the name
// carries the key's tag, so two profiles of one user on one host — and two HOMEs of one user, host and profile
// (CI runners, containers sharing a hostname) — must all keep working past that minute.
const { gateways, skipReason } = realGatewaysOrSkip()
const gw = gateways.find((g) => g.version.startsWith('2026.9'))

describe.skipIf(skipReason !== undefined)(
  'one user on one host, several clawlink keys, on a real 2026.9.6',
  () => {
    it('two profiles and two HOMEs pair one after the other; all still work more than 65 s later', {
      timeout: 240_000,
    }, async () => {
      if (!gw) throw new Error('no 2026.9.x gateway in CLAWLINK_GATEWAYS')
      const box = sandbox(gw.token)
      const other = sandbox(gw.token)
      const homes = [
        { who: 'alpha', box, args: ['--profile', 'alpha'] },
        { who: 'beta', box, args: ['--profile', 'beta'] },
        { who: 'home A default', box, args: [] },
        { who: 'home B default', box: other, args: [] },
      ]
      for (const h of homes) {
        const r = await runCli(
          ['cron', 'list', ...h.args, '--url', gw.url, '--token-file', h.box.tokenFile],
          h.box.env,
        )
        expect(r.code, `${h.who}: ${r.stderr}`).toBe(0)
        await new Promise((r) => setTimeout(r, 2000))
      }

      const { results } = await gatewayRpc(
        { url: gw.url, token: gw.token, signer: createEphemeralSigner() },
        [{ method: 'device.pair.list', params: {} }],
      )
      const paired = (results[0] as { paired: { deviceId: string; displayName?: string }[] }).paired
      const idOf = (b: typeof box, profile: string) =>
        Object.keys(
          JSON.parse(readFileSync(`${b.env.CLAWLINK_HOME}/${profile}/device-tokens.json`, 'utf8')).tokens,
        )[0]?.split('|')[1] ?? ''
      const names = Object.fromEntries(paired.map((d) => [d.deviceId, d.displayName]))
      const ids = {
        alpha: idOf(box, 'alpha'),
        beta: idOf(box, 'beta'),
        a: idOf(box, 'default'),
        b: idOf(other, 'default'),
      }
      expect(names[ids.alpha]).toMatch(new RegExp(`^clawlink alpha \\(.+@.+\\) #${ids.alpha.slice(0, 8)}$`))
      expect(names[ids.beta]).toMatch(new RegExp(`^clawlink beta \\(.+@.+\\) #${ids.beta.slice(0, 8)}$`))
      // Same user, host and profile: only the key's tag tells the two HOMEs apart.
      expect(names[ids.a]).toBe(`${names[ids.b]?.replace(/ #[0-9a-f]{8}$/, '')} #${ids.a.slice(0, 8)}`)
      expect(names[ids.b]).toMatch(new RegExp(`^clawlink default \\(.+@.+\\) #${ids.b.slice(0, 8)}$`))
      expect(ids.a).not.toBe(ids.b)

      await new Promise((r) => setTimeout(r, 65_000))
      // Device tokens only (no shared token): an evicted pairing would answer AUTH_DEVICE_TOKEN_MISMATCH (exit 6).
      for (const h of homes) {
        const again = await runCli(['cron', 'list', ...h.args, '--url', gw.url], h.box.env)
        expect(again.code, `${h.who}: ${again.stderr}`).toBe(0)
      }
    })
  },
)
