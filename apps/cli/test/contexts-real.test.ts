import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  addModelFreeJob,
  pickPort,
  realGatewaysOrSkip,
  startGateway,
  stopGateway,
} from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { ownGatewayDir, runCli, sandbox } from './helpers.js'

// Contexts against real gateways of three versions: 2026.9.6 and 2026.3.13 from CLAWLINK_GATEWAYS, and a
// 2026.5.7 of this test's own, which it stops (the shared ones must not be stopped under other tests).
const { gateways, skipReason } = realGatewaysOrSkip()
const byVersion = (v: string) => gateways.find((g) => g.version === v)

type Box = ReturnType<typeof sandbox>

async function addContext(box: Box, name: string, gw: { url: string; token: string }) {
  const tokenFile = join(box.home, `${name}.token`)
  writeFileSync(tokenFile, `${gw.token}\n`, { mode: 0o600 })
  const r = await runCli(['context', 'add', name, '--url', gw.url, '--token-file', tokenFile], box.env)
  expect(r.code, r.stderr).toBe(EXIT.OK)
}

type Listed = {
  ok: boolean
  failed: string[]
  contexts: { context: string; ok: boolean; exitCode: number; error?: { code: string } }[]
  jobs: { context: string; id: string }[]
}

describe.skipIf(skipReason !== undefined)('contexts on real gateways (2026.9.6, 2026.3.13, 2026.5.7)', () => {
  const own = ownGatewayDir('clawlink-contexts-')
  const dir = own.dir
  afterAll(own.cleanup, 60_000)

  it('cron list --all-contexts: all three answer; with 5.7 stopped the two still do and exit names it', {
    timeout: 400_000,
  }, async () => {
    const nine = byVersion('2026.9.6')
    const three = byVersion('2026.3.13')
    if (!nine || !three) throw new Error('CLAWLINK_GATEWAYS needs 2026.9.6 and 2026.3.13')
    const port = await pickPort()
    const five = own.keep(
      await startGateway({
        version: '2026.5.7',
        port,
        token: randomBytes(16).toString('hex'),
        dir: join(dir, 'gw'),
      }),
    )
    // 2026.3.13 starts with no job: one of each gateway's own, so both lists have rows.
    const threeJob = await addModelFreeJob(three, `contexts-${randomBytes(3).toString('hex')}`)
    const box = sandbox()
    await addContext(box, 'nine', nine)
    await addContext(box, 'three', three)
    await addContext(box, 'five', five)

    // --context and CLAWLINK_CONTEXT pick one gateway, with its own token file (no --url, no token flag).
    const one = await runCli(['cron', 'status', '--context', 'three', '--json'], box.env)
    expect(one.code, one.stderr).toBe(EXIT.OK)
    const viaEnv = await runCli(['doctor', '--json'], { ...box.env, CLAWLINK_CONTEXT: 'five' })
    expect(viaEnv.code, viaEnv.stdout).toBe(EXIT.OK)
    expect(viaEnv.stdout).toContain(`context \\"five\\", chosen by CLAWLINK_CONTEXT`)

    const all = await runCli(['cron', 'list', '--all-contexts', '--json'], box.env)
    expect(all.code, all.stderr).toBe(EXIT.OK)
    const up = JSON.parse(all.stdout) as Listed
    expect(up.contexts.map((c) => [c.context, c.ok])).toEqual([
      ['nine', true],
      ['three', true],
      ['five', true],
    ])

    await stopGateway(five)
    own.keep(undefined)
    const started = Date.now()
    const partial = await runCli(['cron', 'list', '--all-contexts', '--json'], box.env)
    const ms = Date.now() - started
    expect(partial.code).toBe(EXIT.UNREACHABLE)
    const doc = JSON.parse(partial.stdout) as Listed
    expect(doc.ok).toBe(false)
    expect(doc.failed).toEqual(['five'])
    expect(doc.contexts.filter((c) => c.ok).map((c) => c.context)).toEqual(['nine', 'three'])
    expect(doc.contexts.find((c) => c.context === 'five')?.error?.code).toMatch(/CONNECT_REFUSED|UNREACHABLE/)
    // Every job row carries its context; both live gateways' jobs are there.
    expect(new Set(doc.jobs.map((j) => j.context))).toEqual(new Set(['nine', 'three']))
    expect(doc.jobs).toContainEqual(expect.objectContaining({ context: 'three', id: threeJob }))
    expect(partial.stderr).toContain('1 of 3 contexts failed: five')
    console.log(`[contexts] 3 contexts, 1 stopped: ${ms} ms`)

    const human = await runCli(['cron', 'list', '--all-contexts'], box.env)
    expect(human.stdout.split('\n')[0]).toMatch(/^CONTEXT\s+ID\s+NAME/)
    expect(human.stderr).toMatch(/context five: .*exit 5/)
  })

  it('20 contexts of which 5 are down: the 15 answer, the 5 are named; timings printed', {
    timeout: 300_000,
  }, async () => {
    const nine = byVersion('2026.9.6')
    const three = byVersion('2026.3.13')
    if (!nine || !three) throw new Error('CLAWLINK_GATEWAYS needs 2026.9.6 and 2026.3.13')
    const box = sandbox()
    const names: string[] = []
    for (let i = 0; i < 15; i++) {
      names.push(`live-${i}`)
      await addContext(box, `live-${i}`, i % 2 ? three : nine)
    }
    for (let i = 0; i < 5; i++)
      await addContext(box, `down-${i}`, { url: `ws://127.0.0.1:${await pickPort()}`, token: 'x' })
    const single = await runCli(['cron', 'list', '--context', 'live-1', '--json'], box.env)
    expect(single.code, single.stderr).toBe(EXIT.OK)
    const started = Date.now()
    const r = await runCli(['cron', 'list', '--all-contexts', '--json'], box.env, 200_000)
    const ms = Date.now() - started
    const doc = JSON.parse(r.stdout) as Listed
    expect(r.code).toBe(EXIT.UNREACHABLE)
    expect(doc.failed).toEqual(['down-0', 'down-1', 'down-2', 'down-3', 'down-4'])
    expect(doc.contexts.filter((c) => c.ok).map((c) => c.context)).toEqual(names)
    console.log(
      `[contexts] 20 contexts (5 down), 4 at a time: ${ms} ms; one live context alone: ${single.ms} ms`,
    )
  })
})
