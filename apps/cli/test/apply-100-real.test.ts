import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEphemeralSigner, gatewayRpc, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// 2026.9.x limits cron writes to 30 per 60 s per caller (docs/protocol.md §7.5): `cron apply` of a 100-job file
// paces itself (WritePacer) and finishes without a RATE_LIMITED refusal. Takes a little over three minutes by
// design (30 + 30 + 30 + 10 writes, each window 60 s); the jobs are disabled, and removed afterwards by several
// test devices (each has its own limit), so other suites on this gateway see nothing of them.
const { gateways, skipReason } = realGatewaysOrSkip(process.env, { versions: ['2026.9.6'] })
const gw = gateways.find((g) => g.version === '2026.9.6')
const COUNT = 100
const prefix = `bulk100-${Date.now()}-`

afterAll(async () => {
  if (!gw) return
  const list = await gatewayRpc({ url: gw.url, token: gw.token, signer: createEphemeralSigner() }, [
    { method: 'cron.list', params: { includeDisabled: true, limit: 200 } },
  ])
  const jobs = ((list.results[0] as { jobs?: { id: string; name: string }[] })?.jobs ?? []).filter((j) =>
    j.name.startsWith(prefix),
  )
  for (let i = 0; i < jobs.length; i += 25) {
    const calls = jobs.slice(i, i + 25).map((j) => ({ method: 'cron.remove', params: { id: j.id } }))
    await gatewayRpc(
      { url: gw.url, token: gw.token, signer: createEphemeralSigner(), timeoutMs: 60_000 },
      calls,
    )
  }
}, 120_000)

describe.skipIf(skipReason !== undefined || !gw)(`cron apply of ${COUNT} jobs on real 2026.9.6`, () => {
  it('creates all of them, paced under the write limit: no RATE_LIMITED, every job on the gateway', {
    timeout: 330_000,
  }, async () => {
    const g = gw as NonNullable<typeof gw>
    const box = sandbox(g.token)
    const conn = ['--url', g.url, '--token-file', box.tokenFile]
    const lines = Array.from(
      { length: COUNT },
      (_, i) =>
        `  - name: ${prefix}${i}\n    enabled: false\n    schedule: {kind: every, everyMs: 3600000}\n` +
        `    sessionTarget: main\n    wakeMode: now\n    payload: {kind: systemEvent, text: job ${i}}\n`,
    )
    const file = join(box.home, 'bulk.yaml')
    writeFileSync(file, `jobs:\n${lines.join('')}`)

    const r = await runCli(['cron', 'apply', '-f', file, '--yes', ...conn], box.env, 320_000)
    console.log(`cron apply of ${COUNT} jobs on 2026.9.6: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s`)
    expect(r.code, r.stderr).toBe(EXIT.OK)
    expect(r.stderr + r.stdout).not.toContain('RATE_LIMITED')
    expect(r.stdout).toContain(`applied ${COUNT} change(s)`)
    // Off a terminal the wait on the write limit is still told, with an ETA (at most one line per 20 s).
    const waits = r.stderr.split('\n').filter((l) => /^clawlink: applied \d+\/100, about \d+ s left/.test(l))
    expect(waits.length, r.stderr).toBeGreaterThanOrEqual(3)

    const listed = await runCli(
      ['call', 'cron.list', '--params', '{"includeDisabled":true,"limit":200}', ...conn],
      box.env,
    )
    const names = (JSON.parse(listed.stdout).jobs as { name: string }[])
      .map((j) => j.name)
      .filter((n) => n.startsWith(prefix))
    expect(new Set(names).size).toBe(COUNT)
  })
})
