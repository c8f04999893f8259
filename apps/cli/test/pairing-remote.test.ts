import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { deriveDeviceId } from '@clawlink/protocol'
import {
  createEphemeralSigner,
  gatewayRpc,
  HarnessRpcError,
  modelFreeJobParams,
  netnsAvailable,
  type PendingPairing,
  type RemoteGateway,
  startRemoteGateway,
} from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { BIN, type CliResult, runCli, sandbox } from './helpers.js'

// Pairing against a real gateway that sees the CLI as remote (a network namespace, REMOTE-FACTS.md): nothing is
// approved silently, the operator approves from "the gateway host" (its loopback inside the namespace) while
// the CLI waits. With CLAWLINK_REQUIRE_REAL=1 (CI) a namespace that cannot be made fails these tests.
const VERSIONS = ['2026.9.6', '2026.5.7'] as const
const required = process.env.CLAWLINK_REQUIRE_REAL === '1'
const runnable = required || netnsAvailable()
const ADMIN = ['operator.admin', 'operator.read', 'operator.write']
const EXEC_SIGNER = new URL('../../../packages/signer-agent/test/fixtures/test-signer.mjs', import.meta.url)
  .pathname

/** Starts the built CLI; `done` settles with its exit code and output. */
function startCli(args: string[], env: Record<string, string>) {
  const started = Date.now()
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const kill = setTimeout(() => child.kill('SIGKILL'), 240_000)
  const done = new Promise<CliResult & { endedAt: number }>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(kill)
      resolve({
        code: code ?? (signal ? -1 : 0),
        stdout,
        stderr,
        ms: Date.now() - started,
        endedAt: Date.now(),
      })
    })
  })
  return { child, done, output: () => stderr }
}

/** The pending request of `deviceId` once the operator can see it. */
async function pendingOf(gw: RemoteGateway, deviceId: string, timeoutMs = 60_000): Promise<PendingPairing> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const mine = (await gw.operator.listPending()).find((p) => p.deviceId === deviceId)
    if (mine) return mine
    if (Date.now() > until)
      throw new Error(`no pending request of ${deviceId.slice(0, 12)} in ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

/** A fresh profile with its device key made (so the test knows the deviceId the operator will see). */
async function freshProfile(gw: RemoteGateway) {
  const box = sandbox(gw.token)
  const init = await runCli(['device', 'init', '--json'], box.env)
  expect(init.code, init.stderr).toBe(EXIT.OK)
  const deviceId = String((JSON.parse(init.stdout) as { deviceId: string }).deviceId)
  return { env: box.env, deviceId, conn: ['--url', gw.url, '--token-file', box.tokenFile] }
}

for (const version of VERSIONS) {
  describe.skipIf(!runnable)(`pairing with a remote ${version} gateway`, { timeout: 180_000 }, () => {
    let gw: RemoteGateway

    beforeAll(async () => {
      gw = await startRemoteGateway({ version })
    }, 300_000)
    afterAll(async () => {
      await gw?.stop()
    }, 60_000)

    it('device pair without --wait: exit 7 with the requestId, the approve command and what the operator sees', async () => {
      const p = await freshProfile(gw)
      const r = await runCli(['device', 'pair', ...p.conn], p.env)
      expect(r.code, r.stderr).toBe(EXIT.PAIRING_REQUIRED)
      const pending = await pendingOf(gw, p.deviceId, 5_000)
      expect(pending.remoteIp).toBe(gw.hostAddress)
      expect(r.stderr).toContain(`pairing request ${pending.requestId}`)
      expect(r.stderr).toContain(`on the gateway host run: openclaw devices approve ${pending.requestId}`)
      expect(r.stderr).toContain(
        `device ${p.deviceId.slice(0, 12)}…, platform ${process.platform}, client cli`,
      )
      expect(r.stderr).toContain('scopes operator.admin operator.read operator.write')
      // doctor: the plaintext warning for a non-loopback host, and the pending request.
      const doctor = await runCli(['doctor', ...p.conn], p.env)
      expect(doctor.code, doctor.stdout).toBe(EXIT.PAIRING_REQUIRED)
      expect(doctor.stdout).toMatch(/! remote +plaintext ws:\/\/ to non-loopback private host 10\./)
      expect(doctor.stdout).toContain(`pairing is pending approval: requestId ${pending.requestId}`)
    })

    it('device pair --wait exits 0 within seconds of the approval, printing the granted scopes', async () => {
      const p = await freshProfile(gw)
      const cli = startCli(['device', 'pair', '--wait', '--timeout', '150s', ...p.conn], p.env)
      const pending = await pendingOf(gw, p.deviceId)
      await gw.operator.approve(pending.requestId)
      const approvedAt = Date.now()
      const r = await cli.done
      const lag = r.endedAt - approvedAt
      console.log(`${version}: device pair --wait exited ${lag} ms after approve() returned`)
      expect(r.code, r.stderr).toBe(EXIT.OK)
      expect(lag).toBeLessThan(10_000) // the poll is capped at 4 s; generous for a loaded machine
      expect(r.stderr).toContain(`openclaw devices approve ${pending.requestId}`)
      expect(r.stdout).toMatch(/^paired: device [0-9a-f]{12}… holds .*operator\.admin/m)
      // Paired for real: a plain command now works without any wait.
      const again = await runCli(['cron', 'status', ...p.conn], p.env)
      expect(again.code, again.stderr).toBe(EXIT.OK)
      const doctor = await runCli(['doctor', ...p.conn], p.env)
      expect(doctor.code, doctor.stdout).toBe(EXIT.OK)
      expect(doctor.stdout).toContain(`the gateway saw it from ${gw.hostAddress};`)
    })

    it('a rejection ends the wait as PAIRING_REJECTED (exit 7), not as a timeout', async () => {
      const p = await freshProfile(gw)
      const cli = startCli(['device', 'pair', '--wait', '--timeout', '150s', '--json', ...p.conn], p.env)
      const pending = await pendingOf(gw, p.deviceId)
      await gw.operator.reject(pending.requestId)
      const rejectedAt = Date.now()
      const r = await cli.done
      expect(r.code, r.stderr).toBe(EXIT.PAIRING_REQUIRED)
      expect(r.endedAt - rejectedAt).toBeLessThan(15_000)
      const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } }
      expect(out.ok).toBe(false)
      expect(out.error.code).toBe('PAIRING_REJECTED')
      expect(out.error.message).toContain(pending.requestId)
    })

    it('an approval that never comes ends at --timeout with the requestId printed', async () => {
      const p = await freshProfile(gw)
      const r = await runCli(['device', 'pair', '--wait', '--timeout', '8s', ...p.conn], p.env, 60_000)
      expect(r.code, r.stderr).toBe(EXIT.TIMEOUT)
      expect(r.ms).toBeGreaterThanOrEqual(7_500)
      expect(r.ms).toBeLessThan(30_000)
      const pending = await pendingOf(gw, p.deviceId, 5_000)
      expect(r.stderr).toContain(`no approval of request ${pending.requestId}`)
      expect(r.stderr).toContain(`openclaw devices approve ${pending.requestId}`)
    })

    it('Ctrl-C during the wait exits 130 and leaves nothing that breaks the next run', async () => {
      const p = await freshProfile(gw)
      const first = startCli(['device', 'pair', '--wait', '--timeout', '150s', ...p.conn], p.env)
      const pending = await pendingOf(gw, p.deviceId)
      await waitFor(() => first.output().includes(pending.requestId), 30_000, first.output)
      first.child.kill('SIGINT')
      const stopped = await first.done
      expect(stopped.code, stopped.stderr).toBe(EXIT.INTERRUPTED)
      expect(stopped.stderr).toContain(`openclaw devices approve ${pending.requestId}`)
      const second = startCli(['device', 'pair', '--wait', '--timeout', '150s', ...p.conn], p.env)
      await waitFor(() => second.output().includes(pending.requestId), 30_000, second.output) // the same request, still pending
      await gw.operator.approve(pending.requestId)
      const r = await second.done
      expect(r.code, r.stderr).toBe(EXIT.OK)
    })

    it('cron run <name> --wait --wait-approval from a fresh profile waits for the operator, then runs', async () => {
      const name = `remote-${version}-${Date.now()}`
      await gw.operator.call('cron.add', modelFreeJobParams(name, 'ran after the approval'))
      const p = await freshProfile(gw)
      const cli = startCli(
        ['cron', 'run', name, '--wait', '--wait-approval', '--timeout', '150s', ...p.conn],
        p.env,
      )
      const pending = await pendingOf(gw, p.deviceId)
      await gw.operator.approve(pending.requestId)
      const r = await cli.done
      expect(r.code, r.stderr).toBe(EXIT.OK)
      expect(r.stderr).toContain(`openclaw devices approve ${pending.requestId}`)
      expect(r.stdout).toContain('ran after the approval')
    })

    it(`a device paired read-only gets admin through ONE approval (${version === '2026.9.6' ? 'requestUpgrade' : 'reconnect fallback'})`, async () => {
      const seed = randomBytes(32)
      const signer = createEphemeralSigner(seed)
      const deviceId = deriveDeviceId(signer.publicKey)
      // Pair the key with operator.read only, as another client would.
      const refusal = await gatewayRpc(
        { url: gw.url, token: gw.token, signer, scopes: ['operator.read'] },
        [],
      ).catch((e: unknown) => e)
      expect(refusal).toBeInstanceOf(HarnessRpcError)
      await gw.operator.approve(String((refusal as HarnessRpcError).details?.requestId))
      const name = `upgrade-${version}-${Date.now()}`
      await gw.operator.call('cron.add', modelFreeJobParams(name, 'ran after the upgrade'))

      const box = sandbox(gw.token)
      // The exec signer passes the program only the names listed in CLAWLINK_SIGNER_ENV (docs/signers.md).
      const env = {
        ...box.env,
        TEST_SIGNER_SEED_HEX: seed.toString('hex'),
        CLAWLINK_SIGNER_ENV: 'TEST_SIGNER_SEED_HEX',
      }
      const args = ['cron', 'run', name, '--wait', '--wait-approval', '--timeout', '170s', '--debug']
      const signerArgs = [
        '--signer',
        'exec',
        '--exec-command',
        JSON.stringify([process.execPath, EXEC_SIGNER]),
      ]
      const cli = startCli([...args, ...signerArgs, '--url', gw.url, '--token-file', box.tokenFile], env)
      const notice = /scope upgrade request (\S+) is waiting/
      await waitFor(() => notice.test(cli.output()), 90_000, cli.output)
      const requestId = notice.exec(cli.output())?.[1] ?? ''
      // The operator sees one request: on 9.6 requestUpgrade's supersedes the refused connect's.
      const mine = (await gw.operator.listPending()).filter((q) => q.deviceId === deviceId)
      expect(mine.map((q) => [q.requestId, q.isRepair])).toEqual([[requestId, true]])
      await gw.operator.approve(requestId)
      const r = await cli.done
      expect(r.code, r.stderr.slice(-3000)).toBe(EXIT.OK)
      expect(r.stdout).toContain('ran after the upgrade')
      const notices = r.stderr.match(/scope upgrade request \S+ is waiting/g) ?? []
      expect(notices).toHaveLength(1) // one approval, never a loop
      const usedMethods = r.stderr.includes('device.scopes.requestUpgrade')
      expect(usedMethods).toBe(version === '2026.9.6')
      const paired = (await gw.operator.listPaired()).find((d) => d.deviceId === deviceId)
      expect(paired?.scopes).toEqual(
        expect.arrayContaining(['operator.admin', 'operator.read', 'operator.write']),
      )
      expect((await gw.operator.listPending()).filter((q) => q.deviceId === deviceId)).toEqual([])
    })

    // What the client's stray-request cleanup relies on: a connect that crosses the approval leaves a request
    // behind (measured on 5.7), which the now-paired device withdraws with device.pair.reject.
    it('a paired admin device withdraws its own pending request; its pairing stays', async () => {
      const signer = createEphemeralSigner()
      const deviceId = deriveDeviceId(signer.publicKey)
      const conn = { url: gw.url, token: gw.token, signer, scopes: ADMIN }
      const refusal = await gatewayRpc(conn, []).catch((e: unknown) => e)
      expect(refusal).toBeInstanceOf(HarnessRpcError)
      await gw.operator.approve(String((refusal as HarnessRpcError).details?.requestId))
      // Changed device details (another platform) open a new request for the paired device.
      const changed = await gatewayRpc({ ...conn, client: { platform: 'darwin' } }, []).catch(
        (e: unknown) => e,
      )
      expect(changed).toBeInstanceOf(HarnessRpcError)
      const mine = (await gw.operator.listPending()).filter((q) => q.deviceId === deviceId)
      expect(mine).toHaveLength(1)
      const requestId = mine[0]!.requestId
      const withdraw = { method: 'device.pair.reject', params: { requestId } }
      const done = await gatewayRpc(conn, [withdraw])
      expect(done.results[0]).toMatchObject({ requestId, deviceId })
      expect((await gw.operator.listPending()).filter((q) => q.deviceId === deviceId)).toEqual([])
      const paired = (await gw.operator.listPaired()).find((d) => d.deviceId === deviceId)
      expect(paired?.scopes).toEqual(expect.arrayContaining(ADMIN))
      // A second withdrawal: the wording the client reads as "already gone".
      const again = await gatewayRpc(conn, [withdraw]).catch((e: unknown) => e)
      expect(again).toBeInstanceOf(HarnessRpcError)
      expect((again as HarnessRpcError).message).toMatch(/unknown requestId/i)
    })
  })
}

/** Polls until `condition`; on timeout the error carries what the CLI printed so far (`output`). */
async function waitFor(condition: () => boolean, timeoutMs = 30_000, output?: () => string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until)
      throw new Error(
        `condition not met in ${timeoutMs} ms${output ? `; the CLI printed:\n${output().slice(-3000)}` : ''}`,
      )
    await new Promise((r) => setTimeout(r, 100))
  }
}
