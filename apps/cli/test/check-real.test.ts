import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type RunningGateway, realGatewaysOrSkip, startGateway, stopGateway } from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// Missed fires on real gateways whose scheduler is off (`cron.enabled: false`, read by every version): every
// fire of a 20-second job is missed, `cron check` lists them and exits 18, and `--run-missed` runs the job
// exactly once however often it is asked. Our own gateways: the shared ones must keep their scheduler.
const { skipReason } = realGatewaysOrSkip()
const VERSIONS = (process.env.CLAWLINK_CHECK_VERSIONS ?? '2026.9.6,2026.3.13,2026.5.7').split(',')
const EVERY_MS = 20_000

type Check = {
  ok: boolean
  missed: number
  jobs: { id: string; missed: number; fires: { status: string; expectedAtMs: number }[] }[]
  runs?: { id: string; ran: boolean; detail: string }[]
}

describe.skipIf(skipReason !== undefined)('cron check on real gateways with the scheduler off', () => {
  const gws = new Map<string, RunningGateway>()
  beforeAll(async () => {
    await Promise.all(
      VERSIONS.map(async (version) => {
        gws.set(version, await startGateway({ version, config: { cron: { enabled: false } } }))
      }),
    )
  }, 240_000)
  afterAll(async () => {
    await Promise.all([...gws.values()].map((gw) => stopGateway(gw)))
  }, 60_000)

  describe.concurrent.each(VERSIONS)('%s', (version) => {
    it('finds the missed fires (exit 18); --run-missed runs the job once, never twice', {
      timeout: 150_000,
    }, async () => {
      const gw = gws.get(version) as RunningGateway
      const box = sandbox(gw.token)
      const cli = (...args: string[]) =>
        runCli([...args, '--url', gw.url, '--token-file', box.tokenFile], box.env)
      const name = `check-${version}`
      const file = join(box.home, 'job.yaml')
      writeFileSync(
        file,
        `name: ${name}\nschedule:\n  kind: every\n  everyMs: ${EVERY_MS}\nsessionTarget: main\n` +
          `wakeMode: now\npayload:\n  kind: systemEvent\n  text: tick\n`,
      )
      const added = await cli('cron', 'add', '--file', file, '--json')
      expect(added.code, added.stderr).toBe(EXIT.OK)
      const id = JSON.parse(added.stdout).job.id as string

      // Three slots (+20, +40, +60 s) and the 10 s grace of the last one.
      await new Promise((r) => setTimeout(r, 3 * EVERY_MS + 12_000))
      const checked = await cli('cron', 'check', name, '--json')
      expect(checked.code, checked.stderr).toBe(EXIT.MISSED_FIRES)
      const report = JSON.parse(checked.stdout) as Check
      expect(report.ok).toBe(false)
      const job = report.jobs.find((j) => j.id === id)
      expect(job?.missed).toBeGreaterThanOrEqual(3)
      expect(job?.fires.every((f) => f.status === 'missed')).toBe(true)

      const human = await cli('cron', 'check', name)
      expect(human.code).toBe(EXIT.MISSED_FIRES)
      expect(human.stdout).toContain(name)
      expect(human.stdout).toMatch(/\d+ missed fires? in 1 of 1 jobs/)

      const ran = await cli('cron', 'check', name, '--run-missed', '--json')
      expect(ran.code, ran.stderr).toBe(EXIT.MISSED_FIRES)
      const runs = (JSON.parse(ran.stdout) as Check).runs ?? []
      expect(runs).toHaveLength(1)
      expect(runs[0], JSON.stringify(runs)).toMatchObject({ id, ran: true })
      // At once (the next 20-second slot, also missed, is not yet past its grace): nothing runs a second time.
      const again = await cli('cron', 'check', name, '--run-missed', '--json')
      expect((JSON.parse(again.stdout) as Check).runs).toEqual([])
      expect(await waitForRuns(cli, id, 1)).toBe(1)
    })
  })
})

type Cli = (...args: string[]) => ReturnType<typeof runCli>

async function runCount(cli: Cli, id: string): Promise<number> {
  const r = await cli('cron', 'runs', id, '--json')
  expect(r.code, r.stderr).toBe(EXIT.OK)
  return (JSON.parse(r.stdout).runs as unknown[]).length
}

/** Polls the job's run history until it holds `n` runs (the run of --run-missed has finished); returns the count. */
async function waitForRuns(cli: Cli, id: string, n: number): Promise<number> {
  for (let i = 0; i < 30; i++) {
    const count = await runCount(cli, id)
    if (count >= n) return count
    await new Promise((r) => setTimeout(r, 1000))
  }
  return runCount(cli, id)
}
