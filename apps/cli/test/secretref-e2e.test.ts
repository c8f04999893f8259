// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${VAR}" is the OpenClaw config syntax under test
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip()

/**
 * A fresh profile (CLAWLINK_HOME) and a client-side openclaw.json whose gateway.auth.token is `token`; no --url
 * and no --token-file, so the token can only come from the config the way OpenClaw reads it (issue 11).
 */
function configured(port: number, token: unknown, extra: Record<string, unknown> = {}) {
  const box = sandbox()
  writeFileSync(box.configFile, JSON.stringify({ gateway: { port, auth: { token } }, ...extra }, null, 2))
  return box
}

describe.skipIf(skipReason !== undefined)(
  `openclaw.json SecretRefs against real gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    for (const gw of gateways) {
      it(`${gw.version}: file SecretRef via secrets.providers with an escaped JSON pointer`, {
        timeout: 90_000,
      }, async () => {
        const box = sandbox()
        const secrets = join(box.home, 'secrets.json')
        writeFileSync(secrets, JSON.stringify({ 'gw/tokens': { main: gw.token, old: 'not-the-token' } }), {
          mode: 0o600,
        })
        const config = (id: string) =>
          writeFileSync(
            box.configFile,
            JSON.stringify({
              gateway: { port: gw.port, auth: { token: { source: 'file', provider: 'filemain', id } } },
              secrets: { providers: { filemain: { source: 'file', path: '~/secrets.json', mode: 'json' } } },
            }),
          )
        config('/gw~1tokens/main')
        const ok = await runCli(['cron', 'list', '--json'], box.env)
        expect(ok.code, ok.stderr).toBe(EXIT.OK)
        expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true })
        // The pointer decides what is sent: another key's value is refused by the gateway.
        config('/gw~1tokens/old')
        const fresh = { ...box.env, CLAWLINK_HOME: join(box.home, 'clawlink-2') }
        const wrong = await runCli(['cron', 'list', '--json'], fresh)
        expect(wrong.code, wrong.stderr).toBe(EXIT.AUTH)
      })

      it(`${gw.version}: "\${MY_GW_TOKEN}" substitution`, { timeout: 60_000 }, async () => {
        const box = configured(gw.port, '${MY_GW_TOKEN}')
        const r = await runCli(['cron', 'list', '--json'], { ...box.env, MY_GW_TOKEN: gw.token })
        expect(r.code, r.stderr).toBe(EXIT.OK)
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true })
      })

      it(`${gw.version}: env SecretRef`, { timeout: 60_000 }, async () => {
        const box = configured(gw.port, { source: 'env', provider: 'default', id: 'MY_GW_TOKEN' })
        const r = await runCli(['cron', 'list', '--json'], { ...box.env, MY_GW_TOKEN: gw.token })
        expect(r.code, r.stderr).toBe(EXIT.OK)
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true })
      })

      it(`${gw.version}: an unset variable is exit ${EXIT.CONFIG} naming the key, never a silent drop`, {
        timeout: 60_000,
      }, async () => {
        for (const token of ['${MY_GW_TOKEN}', { source: 'env', provider: 'default', id: 'MY_GW_TOKEN' }]) {
          const box = configured(gw.port, token)
          const r = await runCli(['cron', 'list', '--json'], box.env)
          expect(r.code, r.stderr).toBe(EXIT.CONFIG)
          expect(r.stderr + r.stdout).toContain('gateway.auth.token')
          expect(r.stderr + r.stdout).toContain('MY_GW_TOKEN')
        }
      })
    }
  },
)
