import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// The CLI side of approvals against the fake gateway (fast, no namespace): what is printed, the exit codes.
// The same paths against real remote gateways: pairing-remote.test.ts.
const open: FakeGateway[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()))
})

async function unpairedGateway(): Promise<{ gw: FakeGateway; env: Record<string, string>; conn: string[] }> {
  const gw = await startFakeGateway({ flavor: '9.6', autoPair: false })
  open.push(gw)
  const box = sandbox(gw.token)
  return { gw, env: box.env, conn: ['--url', gw.url, '--token-file', box.tokenFile] }
}

async function pendingId(gw: FakeGateway, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs
  while (gw.pendingRequests().length === 0) {
    if (Date.now() > until) throw new Error('no pending request')
    await new Promise((r) => setTimeout(r, 50))
  }
  return gw.pendingRequests()[0]!.requestId
}

describe('device pair and --wait-approval (fake gateway)', { timeout: 60_000 }, () => {
  it('device pair --json without --wait: exit 7, the requestId, the approve command and the device', async () => {
    const { gw, env, conn } = await unpairedGateway()
    const r = await runCli(['device', 'pair', '--json', ...conn], env)
    expect(r.code, r.stderr).toBe(EXIT.PAIRING_REQUIRED)
    const id = gw.pendingRequests()[0]!.requestId
    const out = JSON.parse(r.stdout) as Record<string, unknown>
    expect(out).toMatchObject({
      ok: false,
      paired: false,
      requestId: id,
      approveCommand: `openclaw devices approve ${id}`,
      error: { code: 'PAIRING_REQUIRED' },
      device: {
        platform: process.platform,
        client: 'cli',
        scopes: ['operator.admin', 'operator.read', 'operator.write'],
      },
    })
    expect(String((out.device as { deviceId: string }).deviceId)).toBe(gw.pendingRequests()[0]!.deviceId)
  })

  it('device pair --wait: exit 0 once approved, with the granted scopes; the next command needs no approval', async () => {
    const { gw, env, conn } = await unpairedGateway()
    const running = runCli(['device', 'pair', '--wait', '--timeout', '40s', ...conn], env)
    const id = await pendingId(gw)
    gw.approve(id)
    const r = await running
    expect(r.code, r.stderr).toBe(EXIT.OK)
    expect(r.stderr).toContain(`pairing request ${id} is waiting for approval`)
    expect(r.stderr.match(/is waiting for approval/g)).toHaveLength(1) // off a terminal: one notice per request
    expect(r.stdout).toMatch(
      /^paired: device [0-9a-f]{12}… holds operator\.admin operator\.read operator\.write/,
    )
    const next = await runCli(['cron', 'list', ...conn], env)
    expect(next.code, next.stderr).toBe(EXIT.OK)
  })

  it('--wait-approval on another command ends at --timeout with APPROVAL_TIMEOUT (exit 11) naming the request', async () => {
    const { gw, env, conn } = await unpairedGateway()
    const r = await runCli(['call', 'health', '--wait-approval', '--timeout', '3s', '--json', ...conn], env)
    expect(r.code, r.stderr).toBe(EXIT.TIMEOUT)
    expect(r.ms).toBeGreaterThanOrEqual(2_900)
    const id = gw.pendingRequests()[0]!.requestId
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string; remedy: string } }
    expect(out.error.code).toBe('APPROVAL_TIMEOUT')
    expect(out.error.message).toContain(id)
    expect(out.error.remedy).toContain(`openclaw devices approve ${id}`)
    expect(r.stderr).toContain(`on the gateway host run: openclaw devices approve ${id}`)
  })

  it('a rejection while waiting exits 7 with PAIRING_REJECTED', async () => {
    const { gw, env, conn } = await unpairedGateway()
    const running = runCli(['device', 'pair', '--wait', '--timeout', '40s', ...conn], env)
    gw.reject(await pendingId(gw))
    const r = await running
    expect(r.code, r.stderr).toBe(EXIT.PAIRING_REQUIRED)
    expect(r.stderr).toMatch(/clawlink: the gateway operator rejected request [0-9a-f-]{36}/)
  })

  it('doctor names the pending request and warns about nothing on loopback', async () => {
    const { gw, env, conn } = await unpairedGateway()
    expect((await runCli(['device', 'init'], env)).code).toBe(EXIT.OK) // doctor never makes a key
    const r = await runCli(['doctor', ...conn], env)
    expect(r.code, r.stdout).toBe(EXIT.PAIRING_REQUIRED)
    expect(r.stdout).toMatch(/✓ remote +loopback \(127\.0\.0\.1\)/)
    expect(r.stdout).toContain(`pairing is pending approval: requestId ${gw.pendingRequests()[0]!.requestId}`)
  })
})
