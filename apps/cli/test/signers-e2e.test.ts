import { gatewayKey } from '@clawlink/client'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// `clawlink cron run <name> --wait` with every signer, first try, on every real gateway generation.
const { gateways, skipReason } = realGatewaysOrSkip()
const requireReal = process.env.CLAWLINK_REQUIRE_REAL === '1'
const keyring = process.env.CLAWLINK_KEYRING === '1'
const agent = Boolean(process.env.SSH_AUTH_SOCK)
if (requireReal && (!keyring || !agent))
  throw new Error('CLAWLINK_REQUIRE_REAL=1: run under scripts/with-ssh-agent.sh and scripts/with-keyring.sh')

const EXEC_PROGRAM = new URL('../../../packages/signer-agent/test/fixtures/test-signer.mjs', import.meta.url)
  .pathname

type Setup = (box: ReturnType<typeof sandbox>) => { args: string[]; env?: Record<string, string> }
const signers: [string, boolean, Setup][] = [
  ['file', true, () => ({ args: ['--signer', 'file'] })],
  [
    'keychain',
    keyring,
    () => ({
      args: ['--signer', 'keychain', '--keychain-service', `clawlink-e2e-${randomBytes(4).toString('hex')}`],
      env: { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '' },
    }),
  ],
  [
    'agent',
    agent,
    (box) => {
      const comment = `clawlink-e2e-${randomBytes(4).toString('hex')}`
      const key = join(box.home, 'id_ed25519')
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', key])
      execFileSync('ssh-add', [key], { stdio: 'ignore' })
      return {
        args: ['--signer', 'agent', '--agent-key', comment],
        env: { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK ?? '' },
      }
    },
  ],
  [
    'exec',
    true,
    () => ({
      args: ['--signer', 'exec', '--exec-command', JSON.stringify([process.execPath, EXEC_PROGRAM])],
      // The exec program sees only what is allow-listed (docs/signers.md): its seed is named here.
      env: {
        TEST_SIGNER_SEED_HEX: randomBytes(32).toString('hex'),
        CLAWLINK_SIGNER_ENV: 'TEST_SIGNER_SEED_HEX',
      },
    }),
  ],
]

describe.skipIf(skipReason !== undefined)(
  `cron run --wait with each signer${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    for (const gw of gateways) {
      for (const [name, available, setup] of signers) {
        it.skipIf(!available)(
          `${gw.version}, ${name} signer: device init, then cron run <name> --wait`,
          { timeout: 120_000 },
          async () => {
            const box = sandbox(gw.token)
            const { args, env } = setup(box)
            const fullEnv = { ...box.env, ...env }
            const init = await runCli(['device', 'init', ...args, '--json'], fullEnv)
            expect(init.code, init.stderr).toBe(EXIT.OK)
            const deviceId = JSON.parse(init.stdout).deviceId as string
            const job = `signer-${name}-${gw.version}-${Date.now()}`
            await addModelFreeJob(gw, job, `signed by ${name}`)
            // No --signer now: the profile remembers it.
            const run = await runCli(
              [
                'cron',
                'run',
                job,
                '--wait',
                '--timeout',
                '90s',
                '--url',
                gw.url,
                '--token-file',
                box.tokenFile,
              ],
              fullEnv,
              120_000,
            )
            expect(run.code, run.stderr).toBe(EXIT.OK)
            expect(run.stdout).toContain(`signed by ${name}`)
            const show = JSON.parse((await runCli(['device', 'show', '--json'], fullEnv)).stdout)
            expect(show.deviceId).toBe(deviceId)
            expect(show.deviceTokens.map((t: { gateway: string }) => t.gateway)).toEqual([gatewayKey(gw.url)])
          },
        )
      }
    }
  },
)
