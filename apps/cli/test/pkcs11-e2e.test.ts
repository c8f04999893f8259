import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gatewayKey } from '@clawlink/client'
import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// `clawlink cron run <name> --wait` with the device key inside a real SoftHSM2 token, on every real gateway.
const { gateways, skipReason } = realGatewaysOrSkip()
const MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find(
  (p) => existsSync(p),
)
const hasTools = (() => {
  try {
    execFileSync('pkcs11-tool', ['--help'], { stdio: 'ignore' })
    execFileSync('softhsm2-util', ['--help'], { stdio: 'ignore' })
    return true
  } catch (error) {
    return (error as { status?: number }).status !== undefined
  }
})()
const hasSoftHsm = MODULE !== undefined && hasTools
if (!hasSoftHsm && process.env.CLAWLINK_REQUIRE_REAL === '1')
  throw new Error('CLAWLINK_REQUIRE_REAL=1 but SoftHSM2 (softhsm2) or pkcs11-tool (opensc) is not installed')

const PIN = '246810'
const SO_PIN = '13579111'

/** A token "e2e" in the sandbox with an Ed25519 key made by pkcs11-tool; the PIN in a 0600 file. */
function token(home: string, keyLabel: string) {
  const dir = join(home, 'softhsm')
  mkdirSync(join(dir, 'tokens'), { recursive: true, mode: 0o700 })
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nlog.level = ERROR\n`)
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'e2e', '--pin', PIN, '--so-pin', SO_PIN],
    {
      env,
      stdio: 'ignore',
    },
  )
  const tool = ['--module', MODULE!, '--token-label', 'e2e', '--login', '--pin', PIN]
  execFileSync(
    'pkcs11-tool',
    [...tool, '--keypairgen', '--key-type', 'EC:edwards25519', '--label', keyLabel, '--id', '01'],
    {
      env,
      stdio: 'ignore',
    },
  )
  const pinFile = join(dir, 'pin')
  writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 })
  const uri = (object: string) =>
    `pkcs11:token=e2e;object=${object}?module-path=${MODULE}&pin-source=file:${pinFile}`
  const listObjects = () => execFileSync('pkcs11-tool', [...tool, '--list-objects'], { env }).toString()
  return { conf, uri, listObjects, dir }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  )
}

describe.skipIf(gateways.length === 0 || !hasSoftHsm)(
  `pkcs11 signer (SoftHSM2) end to end${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    for (const gw of gateways) {
      it(`${gw.version}: device init --signer pkcs11, then cron run <name> --wait`, {
        timeout: 150_000,
      }, async () => {
        const box = sandbox(gw.token)
        const hsm = token(box.home, 'device')
        const env: Record<string, string> = { ...box.env, SOFTHSM2_CONF: hsm.conf }
        const init = await runCli(
          ['device', 'init', '--signer', 'pkcs11', '--pkcs11-uri', hsm.uri('device'), '--json'],
          env,
        )
        expect(init.code, init.stderr).toBe(EXIT.OK)
        const { deviceId, signer } = JSON.parse(init.stdout) as { deviceId: string; signer: string }
        expect(signer).toBe('pkcs11 (token "e2e", object "device")')
        const job = `signer-pkcs11-${gw.version}-${Date.now()}`
        await addModelFreeJob(gw, job, 'signed inside the token')
        // No --signer now: the profile remembers the URI.
        const run = await runCli(
          ['cron', 'run', job, '--wait', '--timeout', '90s', '--url', gw.url, '--token-file', box.tokenFile],
          env,
          120_000,
        )
        expect(run.code, run.stderr).toBe(EXIT.OK)
        expect(run.stdout).toContain('signed inside the token')
        const show = await runCli(['device', 'show'], env)
        expect(show.stdout).toContain('pkcs11 (token "e2e", object "device")')
        const shown = JSON.parse((await runCli(['device', 'show', '--json'], env)).stdout)
        expect(shown.deviceId).toBe(deviceId)
        // The token the gateway issued to the pkcs11 device, cached for this gateway (its value is never shown).
        expect(shown.deviceTokens).toEqual([
          expect.objectContaining({ gateway: gatewayKey(gw.url), role: 'operator' }),
        ])
        const doctor = await runCli(['doctor', '--json', '--url', gw.url], env, 60_000)
        expect(doctor.code, doctor.stdout).toBe(EXIT.OK)
        const steps = (JSON.parse(doctor.stdout) as { steps: { step: string; ok: boolean }[] }).steps
        expect(steps.filter((s) => s.step.startsWith('pkcs11 ')).map((s) => [s.step, s.ok])).toEqual([
          ['pkcs11 uri', true],
          ['pkcs11 module', true],
          ['pkcs11 slot', true],
          ['pkcs11 login', true],
          ['pkcs11 key', true],
        ])

        // The key never left the token: clawlink wrote settings and a device token, no key file, no key bytes.
        const written = filesUnder(env.CLAWLINK_HOME!)
        expect(written.sort()).toEqual(['default/device-tokens.json', 'default/settings.json'])
        for (const f of written) {
          const text = readFileSync(join(env.CLAWLINK_HOME!, f), 'utf8')
          expect(text).not.toMatch(/PRIVATE KEY|privateKey|seed|"d":/i)
          expect(text).not.toContain(PIN)
        }
        expect(hsm.listObjects()).toMatch(/Private Key Object; EC_EDWARDS[\s\S]*never extractable/)
      })
    }
  },
)

describe.skipIf(!hasSoftHsm)('pkcs11 signer (SoftHSM2) in the CLI without a gateway', () => {
  it('device init --pkcs11-generate makes the key on the token; doctor names the failing step and its fix', async () => {
    const box = sandbox()
    const hsm = token(box.home, 'unused')
    const env: Record<string, string> = { ...box.env, SOFTHSM2_CONF: hsm.conf }
    const absent = await runCli(
      ['device', 'init', '--signer', 'pkcs11', '--pkcs11-uri', hsm.uri('made')],
      env,
    )
    expect(absent.code).toBe(EXIT.SIGNER)
    expect(absent.stderr).toContain('no private key matches the URI on token "e2e"')
    expect(absent.stderr).toContain('private keys there: label "unused" id %01')
    const made = await runCli(
      [
        'device',
        'init',
        '--signer',
        'pkcs11',
        '--pkcs11-uri',
        hsm.uri('made'),
        '--pkcs11-generate',
        '--json',
      ],
      env,
    )
    expect(made.code, made.stderr).toBe(EXIT.OK)
    expect(hsm.listObjects()).toMatch(/label:\s+made/)
    expect(filesUnder(env.CLAWLINK_HOME!)).toEqual(['default/settings.json'])

    const other = sandbox()
    const otherEnv: Record<string, string> = { ...other.env, SOFTHSM2_CONF: hsm.conf }
    const wrong = `pkcs11:token=absent;object=made?module-path=${MODULE}`
    const doctor = await runCli(
      ['doctor', '--signer', 'pkcs11', '--pkcs11-uri', wrong, '--url', 'ws://127.0.0.1:9'],
      otherEnv,
    )
    expect(doctor.code).toBe(EXIT.SIGNER)
    expect(doctor.stdout).toMatch(/✓ pkcs11 module/)
    expect(doctor.stdout).toMatch(/✗ pkcs11 slot .*PKCS11_TOKEN_NOT_FOUND/)
    expect(doctor.stdout).toContain('fix: plug the token in')
  })
})
