import type { FakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { fakeWithHistory, type SeededJob } from '@clawlink/testkit'
import { runCli, sandbox } from './helpers.js'

// `cron check` against a fake 9.6 that serves seeded run histories: what is listed, the exit code, the one
// page-walk, the per-job fallback, a schedule that cannot be evaluated, and --run-missed's single run.
const MIN = 60_000
const gateways: FakeGateway[] = []
afterEach(async () => {
  while (gateways.length) await gateways.pop()?.close()
})

async function setup(jobs: SeededJob[], options: { refuseScopeAll?: boolean } = {}) {
  const { gw, calls } = await fakeWithHistory(jobs, options)
  gateways.push(gw)
  const box = sandbox(gw.token ?? 'none')
  const cli = (...args: string[]) =>
    runCli([...args, '--url', gw.url, '--token-file', box.tokenFile], box.env)
  return { gw, calls, cli }
}

/** A job every 10 minutes created 2 hours ago whose runs skip every third slot. */
function gappy(now: number): SeededJob {
  const anchor = now - 120 * MIN
  const runs: number[] = []
  for (let k = 1; anchor + k * 10 * MIN < now - MIN; k++)
    if (k % 3 !== 0) runs.push(anchor + k * 10 * MIN + 800)
  return {
    id: 'job-gappy',
    name: 'gappy',
    schedule: { kind: 'every', everyMs: 10 * MIN, anchorMs: anchor },
    createdAtMs: anchor,
    runs,
  }
}

function healthy(now: number): SeededJob {
  const runs: number[] = []
  const first = Math.ceil((now - 6 * 3600_000) / 3600_000) * 3600_000
  for (let t = first; t < now - 2 * MIN; t += 3600_000) runs.push(t + 500)
  return {
    id: 'job-healthy',
    name: 'healthy',
    schedule: { kind: 'cron', expr: '30 * * * *', tz: 'UTC', staggerMs: 0 },
    createdAtMs: now - 6 * 3600_000 - 40 * MIN,
    runs: runs.map((t) => t + 30 * MIN).filter((t) => t < now - 2 * MIN),
  }
}

const broken: SeededJob = {
  id: 'job-broken',
  name: 'broken',
  schedule: { kind: 'cron', expr: 'every tuesday', tz: 'UTC' },
  createdAtMs: 0,
  runs: [],
}

describe('cron check (fake gateway)', () => {
  it('lists each missed fire, exits 18, and reads the history in one page-walk of scope all', async () => {
    const now = Date.now()
    const { cli, calls } = await setup([gappy(now), healthy(now), broken])
    const r = await cli('cron', 'check', '--since', '3h', '--json')
    expect(r.code, r.stderr).toBe(EXIT.MISSED_FIRES)
    const doc = JSON.parse(r.stdout)
    const byId = Object.fromEntries(doc.jobs.map((j: { id: string }) => [j.id, j]))
    expect(byId['job-gappy'].missed).toBeGreaterThanOrEqual(3)
    expect(
      byId['job-gappy'].fires.filter((f: { status: string }) => f.status === 'ran').length,
    ).toBeGreaterThan(5)
    expect(byId['job-healthy'].missed).toBe(0)
    expect(byId['job-healthy'].fires.length).toBeGreaterThanOrEqual(2)
    expect(byId['job-broken'].error).toMatch(/cannot evaluate cron "every tuesday"/)
    expect(doc.unchecked).toBe(1)
    const runCalls = calls.filter((c) => c.method === 'cron.runs')
    expect(runCalls.every((c) => c.params.scope === 'all')).toBe(true)
    expect(runCalls.length).toBe(1)

    const human = await cli('cron', 'check', '--since', '3h')
    expect(human.code).toBe(EXIT.MISSED_FIRES)
    expect(human.stdout).toMatch(/gappy \(job-gappy\)\s+\d{4}-\d\d-\d\dT/)
    expect(human.stdout).not.toMatch(/healthy \(job-healthy\)/)
    expect(human.stdout).toContain('not checked: broken (job-broken): cannot evaluate cron')
  })

  it('exits 0 when nothing was missed; reads per job where the gateway refuses scope all', async () => {
    const now = Date.now()
    const { cli, calls } = await setup([healthy(now)], { refuseScopeAll: true })
    const r = await cli('cron', 'check', '--since', '5h')
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK)
    expect(r.stdout).toMatch(/no missed fires since .* in 1 job/)
    const runCalls = calls.filter((c) => c.method === 'cron.runs')
    expect(runCalls.map((c) => c.params.id ?? 'all')).toEqual(['all', 'job-healthy'])
  })

  it('--run-missed runs once each job whose fires stopped; not one that ran since its last miss', async () => {
    const now = Date.now()
    const stopped = { ...gappy(now), id: 'job-stopped', name: 'stopped' }
    stopped.runs = stopped.runs.filter((t) => t < now - 40 * MIN) // nothing for the last 40 minutes
    const { cli, calls } = await setup([gappy(now), stopped, healthy(now)])
    const r = await cli('cron', 'check', '--since', '3h', '--run-missed', '--json')
    expect(r.code, r.stderr).toBe(EXIT.MISSED_FIRES)
    expect(JSON.parse(r.stdout).runs).toMatchObject([{ id: 'job-stopped', ran: true }])
    const runs = calls.filter((c) => c.method === 'cron.run')
    expect(runs.map((c) => c.params)).toEqual([{ id: 'job-stopped', mode: 'if-enabled' }])
  })

  it('a bad --since is a usage error (exit 2); an unknown job exits 9', async () => {
    const { cli } = await setup([healthy(Date.now())])
    expect((await cli('cron', 'check', '--since', 'yesterday')).code).toBe(EXIT.USAGE)
    expect((await cli('cron', 'check', 'nope')).code).toBe(EXIT.JOB_NOT_FOUND)
  })

  it('9.x keeps 7 days of run history: a 30-day window judges only those 7 days and says so', async () => {
    const now = Date.now()
    const day = 24 * 3600_000
    // Runs every 6 h, kept only for the last 7 days — as a 9.6 prunes them; nothing is missing.
    const anchor = now - 40 * day
    const runs: number[] = []
    for (let t = anchor + 6 * 3600_000; t < now - MIN; t += 6 * 3600_000)
      if (t > now - 7 * day) runs.push(t + 500)
    const job: SeededJob = {
      id: 'job-6h',
      name: 'six-hourly',
      schedule: { kind: 'every', everyMs: 6 * 3600_000, anchorMs: anchor },
      createdAtMs: anchor,
      runs,
    }
    const { cli } = await setup([job])
    const r = await cli('cron', 'check', '--since', '30d')
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK)
    expect(r.stdout).toContain('keeps run history for 7 days')
    const doc = JSON.parse((await cli('cron', 'check', '--since', '30d', '--json')).stdout)
    expect(doc.limitedBy).toBe('retention')
    expect(doc.missed).toBe(0)
    expect(doc.checkedFromMs).toBeGreaterThan(now - 7 * day - MIN)
  })

  it('a job at the 2000-row ceiling is judged only from its oldest kept run', async () => {
    const now = Date.now()
    // Every minute for 2 days: 2880 fires, of which a gateway keeps the newest 2000 rows.
    const anchor = now - 48 * 60 * MIN
    const all: number[] = []
    for (let t = anchor + MIN; t < now - 1000; t += MIN) all.push(t + 300)
    const job: SeededJob = {
      id: 'job-minutely',
      name: 'minutely',
      schedule: { kind: 'every', everyMs: MIN, anchorMs: anchor },
      createdAtMs: anchor,
      runs: all.slice(-2000),
    }
    const { cli } = await setup([job])
    const r = await cli('cron', 'check', '--since', '2d', '--json')
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK)
    const doc = JSON.parse(r.stdout)
    expect(doc.missed).toBe(0)
    expect(doc.jobs[0].notes.join(' ')).toContain('keeps its newest 2000 runs')
  })
})
