import { randomBytes } from 'node:crypto'
import {
  addModelFreeJob,
  createEphemeralSigner,
  gatewayRpc,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// The seed's trap (docs/protocol.md §5.4, §5.9): a device first paired read-only, then asked for admin. 2026.5.7
// never approves that upgrade silently; 3.13 and 9.6 do on loopback. clawlink must name the requestId and the
// approve command, and work once it is approved.
const { gateways, skipReason } = realGatewaysOrSkip()
const EXEC_PROGRAM = new URL('../../../packages/signer-agent/test/fixtures/test-signer.mjs', import.meta.url)
  .pathname

describe.skipIf(skipReason !== undefined)(
  `a device paired read-only, then cron run${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    for (const gw of gateways) {
      it(`${gw.version}: scope upgrade`, { timeout: 120_000 }, async () => {
        const seed = randomBytes(32)
        // Pair this key with operator.read only, the way another client (or an old official CLI) would.
        await gatewayRpc(
          { url: gw.url, token: gw.token, scopes: ['operator.read'], signer: createEphemeralSigner(seed) },
          [{ method: 'cron.status' }],
        )
        const job = `upgrade-${gw.version}-${Date.now()}`
        await addModelFreeJob(gw, job, 'after the upgrade')

        const box = sandbox(gw.token)
        // The exec program sees only allow-listed variables (docs/signers.md).
        const env = {
          ...box.env,
          TEST_SIGNER_SEED_HEX: seed.toString('hex'),
          CLAWLINK_SIGNER_ENV: 'TEST_SIGNER_SEED_HEX',
        }
        const signer = [
          '--signer',
          'exec',
          '--exec-command',
          JSON.stringify([process.execPath, EXEC_PROGRAM]),
        ]
        const conn = ['--url', gw.url, '--token-file', box.tokenFile]
        const first = await runCli(['cron', 'run', job, '--wait', ...signer, ...conn], env)

        if (gw.version !== '2026.5.7') {
          expect(first.code, first.stderr).toBe(EXIT.OK) // approved silently on loopback
          return
        }
        expect(first.code, first.stderr).toBe(EXIT.PAIRING_REQUIRED)
        const requestId = /openclaw devices approve ([\w-]+)/.exec(first.stderr)?.[1]
        expect(requestId, first.stderr).toBeDefined()
        expect(first.stderr).toMatch(/scope upgrade pending/)

        // An admin approves it (device.pair.approve, docs/protocol.md §5.5), then the same command works first try.
        await gatewayRpc(
          {
            url: gw.url,
            token: gw.token,
            scopes: ['operator.admin', 'operator.pairing'],
            signer: createEphemeralSigner(),
          },
          [{ method: 'device.pair.approve', params: { requestId } }],
        )
        const second = await runCli(['cron', 'run', job, '--wait', ...signer, ...conn], env)
        expect(second.code, second.stderr).toBe(EXIT.OK)
        expect(second.stdout).toContain('after the upgrade')
      })
    }
  },
)
