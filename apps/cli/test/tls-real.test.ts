import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pickPort, realGatewaysOrSkip, startGateway } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { ownGatewayDir, runCli, sandbox } from './helpers.js'

// A real 2026.9.6 serving wss:// with the self-signed certificate it makes itself (gateway.tls.enabled,
// TOOLING.md §15), a gateway of this test's own. Unpinned: exit 17 with the fingerprint openssl prints and the
// --tls-fingerprint to add; that pin: exit 0; a wrong pin: 17; two pins; and the two pin sources in config: the
// local gateway's own certificate (on the gateway host) and gateway.remote.tlsFingerprint (docs/protocol.md §10).
const { skipReason } = realGatewaysOrSkip()

/** Started = its certificate file exists; readiness is then a pinned `cron list` that gets hello-ok (below). */
function certWritten(cert: string) {
  return async (url: string, _token: string, timeoutMs: number): Promise<number> => {
    const deadline = Date.now() + timeoutMs
    while (!existsSync(cert)) {
      if (Date.now() > deadline) throw new Error(`no certificate for ${url} after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 250))
    }
    return 4
  }
}

describe.skipIf(skipReason !== undefined)('an unpinned self-signed wss:// gateway (real 2026.9.6)', () => {
  const own = ownGatewayDir('clawlink-tls-')
  const dir = own.dir
  afterAll(own.cleanup, 60_000)

  it('exits 17 with the certificate fingerprint; that pin 0, a wrong pin 17, two pins 0; pins from config: the local certificate and gateway.remote.tlsFingerprint', {
    timeout: 300_000,
  }, async () => {
    const port = await pickPort()
    const token = randomBytes(16).toString('hex')
    const cert = join(dir, 'gateway', 'state', 'gateway', 'tls', 'gateway-cert.pem')
    own.keep(
      await startGateway({
        version: '2026.9.6',
        port,
        token,
        dir: join(dir, 'gateway'),
        config: {
          gateway: {
            mode: 'local',
            port,
            bind: 'loopback',
            auth: { mode: 'token', token },
            tls: { enabled: true },
          },
        },
        waitReady: certWritten(cert),
      }),
    )
    const url = `wss://127.0.0.1:${port}`
    const printed = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    })
    const fingerprint = /Fingerprint=([0-9A-F:]+)/.exec(printed)?.[1] ?? 'openssl printed no fingerprint'
    const box = sandbox(token)
    const base = ['cron', 'list', '--url', url, '--token-file', box.tokenFile]

    // With the pin: exit 0 (retried while the gateway is still starting: a loaded machine needs over a minute).
    let pinned = await runCli([...base, '--tls-fingerprint', fingerprint, '--json'], box.env)
    for (let i = 0; i < 12 && pinned.code !== EXIT.OK; i++) {
      await new Promise((r) => setTimeout(r, 5000))
      pinned = await runCli([...base, '--tls-fingerprint', fingerprint, '--json'], box.env)
    }
    expect(pinned.code, pinned.stdout + pinned.stderr).toBe(EXIT.OK)
    expect(JSON.parse(pinned.stdout)).toMatchObject({ ok: true })

    const unpinned = await runCli(base, box.env)
    expect(unpinned.code, unpinned.stderr).toBe(EXIT.TLS)
    expect(unpinned.stderr).toContain(`fingerprint is ${fingerprint}`)
    expect(unpinned.stderr).toContain(`--tls-fingerprint ${fingerprint}`)
    expect(unpinned.stderr).toMatch(/out of band/)
    const asJson = await runCli([...base, '--json'], box.env)
    expect(JSON.parse(asJson.stdout)).toMatchObject({ ok: false, error: { code: 'TLS_UNTRUSTED' } })

    const wrong = await runCli([...base, '--tls-fingerprint', 'AB'.repeat(32)], box.env)
    expect(wrong.code, wrong.stderr).toBe(EXIT.TLS)
    expect(wrong.stderr).toMatch(/TLS certificate fingerprint .* matches none/)

    // Two pins (a rotation): the one that matches is enough.
    const two = await runCli(
      [...base, '--tls-fingerprint', 'AB'.repeat(32), '--tls-fingerprint', fingerprint],
      box.env,
    )
    expect(two.code, two.stderr).toBe(EXIT.OK)

    // On the gateway host: no URL, no pin, no token flag — the gateway's own openclaw.json gives wss://, the token
    // and, from its certificate file, the pin (source "the local gateway certificate").
    const hostEnv = {
      ...box.env,
      OPENCLAW_STATE_DIR: join(dir, 'gateway', 'state'),
      OPENCLAW_CONFIG_PATH: join(dir, 'gateway', 'state', 'openclaw.json'),
    }
    const local = await runCli(['cron', 'list', '--json'], hostEnv)
    expect(local.code, local.stderr).toBe(EXIT.OK)
    const doctor = await runCli(['doctor', '--json'], hostEnv)
    expect(doctor.stdout).toContain('the local gateway certificate')

    // A remote-mode openclaw.json: gateway.remote.tlsFingerprint is the pin; a wrong one there is exit 17.
    const remoteConfig = (pin: string) =>
      JSON.stringify({ gateway: { mode: 'remote', remote: { url, token, tlsFingerprint: pin } } })
    writeFileSync(box.configFile, remoteConfig(fingerprint), { mode: 0o600 })
    const remote = await runCli(['cron', 'list', '--json'], box.env)
    expect(remote.code, remote.stderr).toBe(EXIT.OK)
    writeFileSync(box.configFile, remoteConfig('CD'.repeat(32)), { mode: 0o600 })
    const remoteWrong = await runCli(['cron', 'list'], box.env)
    expect(remoteWrong.code, remoteWrong.stderr).toBe(EXIT.TLS)
    expect(remoteWrong.stderr).toMatch(/matches none/)
  })
})
