import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BIN, fakeGatewayPerTest, runCli } from './helpers.js'

const fake = fakeGatewayPerTest()

describe('cron run --wait, as a user sees it', () => {
  it('prints the runId in plain and --json output', async () => {
    const { conn, box } = await fake({ flavor: '5.7', jobs: [{ name: 'report' }] })
    const plain = await runCli(['cron', 'run', 'report', '--wait', ...conn], box.env)
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stdout).toMatch(/✓ report finished ok in \d+ ms \(run manual:[^)]+\)/)
    const json = JSON.parse(
      (await runCli(['cron', 'run', 'report', '--wait', '--json', ...conn], box.env)).stdout,
    )
    expect(json).toMatchObject({ ok: true, outcome: 'finished', succeeded: true, job: { name: 'report' } })
    expect(json.runId).toMatch(/^manual:/)
  })

  it.each([
    ['3.13', -30_000],
    ['9.6', 45_000],
  ] as const)(
    'exits 0 against a %s gateway whose clock is off by %i ms, with nothing on stderr',
    async (flavor, offset) => {
      const { conn, box } = await fake({ flavor, clockOffsetMs: offset, jobs: [{ name: 'skewed' }] })
      const r = await runCli(['cron', 'run', 'skewed', '--wait', '--timeout', '20s', ...conn], box.env)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
    },
  )

  it('a wait that times out exits 11 with the runId and how to follow the run', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'slow', runDurationMs: 60_000 }] })
    const job = [...gw.jobs.values()][0]!
    const r = await runCli(['cron', 'run', 'slow', '--wait', '--timeout', '1s', '--json', ...conn], box.env)
    expect(r.code).toBe(11)
    const doc = JSON.parse(r.stdout)
    expect(doc.error.code).toBe('WAIT_TIMEOUT')
    expect(doc.error.message).toMatch(/run manual:\S+ of "slow" did not finish/)
    expect(doc.error.remedy).toContain(`clawlink cron runs ${job.id}`)
    expect(doc.error.remedy).not.toContain('cron.runs')
  })

  it('Ctrl-C during --wait exits 130 and says the run goes on and how to follow it', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'long', runDurationMs: 60_000 }] })
    const child = spawn(process.execPath, [BIN, 'cron', 'run', 'long', '--wait', ...conn], { env: box.env })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const deadline = Date.now() + 10_000
    while (gw.requests('cron.runs').length === 0 && gw.requests('cron.run').length === 0) {
      if (Date.now() > deadline) throw new Error('the CLI never sent cron.run')
      await new Promise((r) => setTimeout(r, 20))
    }
    await new Promise((r) => setTimeout(r, 200))
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(130)
    expect(stderr).toMatch(/stopped waiting for long: the run \(run manual:\S+\) goes on on the gateway/)
    expect(stderr).toContain(`clawlink cron runs ${[...gw.jobs.values()][0]!.id}`)
  })

  it('--timeout bounds the whole command, also a gateway that keeps "starting"', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'never' }] })
    gw.setFault({ kind: 'gateway-starting', retryAfterMs: 100 })
    const r = await runCli(['cron', 'run', 'never', '--timeout', '2s', ...conn], box.env)
    expect(r.code).toBe(11)
    expect(r.ms).toBeLessThan(7000) // a guard against hanging, not a speed target
    expect(gw.requests('cron.run')).toHaveLength(0)
  })
})
