import { fakeWithHistory } from '@clawlink/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { onCleanup, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)
const MIN = 60_000

type Checked = {
  missed: number
  unchecked: number
  jobs: { id: string; missed: number; missedAt: string[]; lastRunAt: string | null; error: string | null }[]
}

describe('check_cron_jobs (read): missed fires as cron check reports them', () => {
  it('names the fires a job missed, each job whose schedule cannot be evaluated, and runs nothing', async () => {
    const now = Date.now()
    const anchor = now - 90 * MIN
    // Every 15 minutes; the runs stop after the first three slots.
    const runs = [1, 2, 3].map((k) => anchor + k * 15 * MIN + 500)
    const { gw } = await fakeWithHistory([
      {
        id: 'job-quiet',
        name: 'quiet',
        schedule: { kind: 'every', everyMs: 15 * MIN, anchorMs: anchor },
        createdAtMs: anchor,
        runs,
      },
      {
        id: 'job-odd',
        name: 'odd',
        schedule: { kind: 'cron', expr: 'now and then' },
        createdAtMs: 0,
        runs: [],
      },
    ])
    onCleanup(() => gw.close())
    const s = await serverFor(gw, ['--read-only'])
    const tool = (await s.client.listTools()).tools.find((t) => t.name === 'check_cron_jobs')
    expect(tool?.annotations).toMatchObject({ readOnlyHint: true })
    const r = await s.client.callTool({ name: 'check_cron_jobs', arguments: { sinceHours: 2 } })
    expect(r.isError, text(r)).toBeFalsy()
    const report = r.structuredContent as Checked
    const quiet = report.jobs.find((j) => j.id === 'job-quiet')!
    expect(quiet.missed).toBeGreaterThanOrEqual(2)
    expect(quiet.missedAt.every((t) => Date.parse(t) > runs[2]!)).toBe(true)
    expect(quiet.lastRunAt).toBe(new Date(runs[2]!).toISOString())
    expect(report.jobs.find((j) => j.id === 'job-odd')?.error).toMatch(/now and then/)
    expect(report.unchecked).toBe(1)
    expect(gw.requests('cron.run')).toHaveLength(0)

    const one = await s.client.callTool({
      name: 'check_cron_jobs',
      arguments: { jobs: ['quiet'], sinceHours: 2 },
    })
    expect((one.structuredContent as Checked).jobs.map((j) => j.id)).toEqual(['job-quiet'])
    const unknown = await s.client.callTool({ name: 'check_cron_jobs', arguments: { jobs: ['nope'] } })
    expect(text(unknown)).toContain('[JOB_NOT_FOUND]')
  })
})
