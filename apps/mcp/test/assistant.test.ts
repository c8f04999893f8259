import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js'
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { elicitingClient, fakeGateway, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)
const fake = fakeGateway
const server = serverFor

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('run_cron_job for assistants', () => {
  it('sends progress notifications while it waits (at least enqueued and finished)', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'report', runDurationMs: 300 }] })
    const s = await server(gw)
    const seen: { progress: number; message?: string }[] = []
    const r = await s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'report', wait: true } },
      undefined,
      {
        onprogress: (p) => seen.push({ progress: p.progress, ...(p.message ? { message: p.message } : {}) }),
      },
    )
    expect(r.isError).toBeFalsy()
    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(seen.map((p) => p.message).join(' | ')).toMatch(/enqueued.*\|.*finished/)
    expect(seen.map((p) => p.progress)).toEqual([...seen.map((p) => p.progress)].sort((a, b) => a - b))
  })

  it('stops waiting at once when the client cancels; the run goes on on the gateway', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'long', runDurationMs: 3000 }] })
    const s = await server(gw)
    const cancel = new AbortController()
    const pending = s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'long', wait: true } },
      undefined,
      {
        signal: cancel.signal,
      },
    )
    while (gw.requests('cron.run').length === 0) await wait(20)
    await wait(100)
    cancel.abort()
    await expect(pending).rejects.toThrow()
    const polls = gw.requests('cron.runs').length
    await wait(2500) // the server's poll interval is 2 s: a wait still running would poll again
    expect(gw.requests('cron.runs').length).toBe(polls)
    const job = [...gw.jobs.values()][0]!
    await wait(1000)
    const runs = await s.client.callTool({ name: 'get_cron_runs', arguments: { job: job.id } })
    expect((runs.structuredContent as { runs: { status: string }[] }).runs[0]?.status).toBe('ok')
  })

  it('takes task-augmented calls: a handle at once, polled to its result', async () => {
    const gw = await fake({ flavor: '5.7', jobs: [{ name: 'tasked', runDurationMs: 200 }] })
    const s = await server(gw)
    const created = await s.client.request(
      {
        method: 'tools/call',
        params: { name: 'run_cron_job', arguments: { job: 'tasked', wait: true }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    )
    const taskId = created.task.taskId
    expect(['working', 'submitted']).toContain(created.task.status)
    let status = created.task.status
    for (let i = 0; i < 100 && status !== 'completed' && status !== 'failed'; i++) {
      await wait(100)
      status = (await s.client.experimental.tasks.getTask(taskId)).status
    }
    expect(status).toBe('completed')
    const result = await s.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)
    expect(result.structuredContent).toMatchObject({
      outcome: 'finished',
      succeeded: true,
      job: { name: 'tasked' },
    })
  })

  it('cancels a task: the wait stops, the status says the run goes on', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'slow-task', runDurationMs: 5000 }] })
    const s = await server(gw)
    const created = await s.client.request(
      {
        method: 'tools/call',
        params: { name: 'run_cron_job', arguments: { job: 'slow-task', wait: true }, task: {} },
      },
      CreateTaskResultSchema,
    )
    while (gw.requests('cron.run').length === 0) await wait(20)
    await wait(100)
    const cancelled = await s.client.experimental.tasks.cancelTask(created.task.taskId)
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.statusMessage).toMatch(/goes on on the gateway/)
    const polls = gw.requests('cron.runs').length
    await wait(2500)
    expect(gw.requests('cron.runs').length).toBe(polls)
  })

  it('previews a job: schedule, payload excerpt, session target, last runs, and whether it may run', async () => {
    const gw = await fake({
      flavor: '9.6',
      jobs: [
        { name: 'preview-me', payload: { kind: 'systemEvent', text: 'x'.repeat(900) } },
        { name: 'other' },
      ],
    })
    const s = await server(gw, ['--allow-job', 'other'])
    await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'other', wait: true } })
    const listsBefore = gw.requests('cron.list').length
    const r = await s.client.callTool({ name: 'preview_cron_job', arguments: { job: 'preview-me' } })
    expect(r.isError).toBeFalsy()
    // The name is resolved once (one filtered cron.list); the runs are asked for by the id it gave.
    expect(gw.requests('cron.list').length - listsBefore).toBe(1)
    expect(r.structuredContent).toMatchObject({
      job: { name: 'preview-me', enabled: true },
      schedule: 'every 1h',
      sessionTarget: 'main',
      payload: { kind: 'systemEvent', truncated: true },
      runnable: false,
      whyNot: "the job is not in this server's allow-list",
    })
    expect((r.structuredContent as { payload: { text: string } }).payload.text.length).toBe(500)
    const other = await s.client.callTool({ name: 'preview_cron_job', arguments: { job: 'other' } })
    expect(other.structuredContent).toMatchObject({ runnable: true, whyNot: null })
    expect((other.structuredContent as { lastRuns: unknown[] }).lastRuns).toHaveLength(1)
    expect(gw.requests('cron.get').length).toBeGreaterThan(0) // 9.x: the full entry from cron.get
  })

  it('--confirm asks the user; a yes runs, a no runs nothing', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'ask-first' }] })
    const yes = await elicitingClient(gw, { action: 'accept', content: { run: true } })
    expect(
      (await yes.client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })).isError,
    ).toBeFalsy()
    expect(yes.questions[0]).toMatch(/Run the OpenClaw cron job "ask-first"/)
    expect(gw.requests('cron.run')).toHaveLength(1)
    const no = await elicitingClient(gw, { action: 'decline' })
    const refused = await no.client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })
    expect(refused.isError).toBe(true)
    expect(text(refused)).toContain('[DECLINED]')
    const unchecked = await elicitingClient(gw, { action: 'accept', content: { run: false } })
    expect(
      (await unchecked.client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })).isError,
    ).toBe(true)
    // An answer that does not fit the question (a string for the yes/no box) is refused by the server's check.
    const garbled = await elicitingClient(gw, { action: 'accept', content: { run: 'yes' } })
    const bad = await garbled.client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })
    expect(bad.isError).toBe(true)
    expect(text(bad)).toContain('"run" must be a boolean')
    expect(gw.requests('cron.run')).toHaveLength(1)
  }, 30_000) // four server processes

  it('--confirm with a client that cannot ask the user refuses and runs nothing', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'ask-first' }] })
    const s = await server(gw, ['--confirm'])
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'ask-first' } })
    expect(r.isError).toBe(true)
    expect(text(r)).toContain('[CONFIRMATION_UNAVAILABLE]')
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('a warm run by name costs one cron.run: the job list follows cron events', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'warm' }] })
    const s = await server(gw, ['--allow-job', 'warm'])
    await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'warm' } })
    const lists = gw.requests('cron.list').length
    await wait(100)
    for (let i = 0; i < 3; i++) {
      await wait(50)
      expect(
        (await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'warm' } })).isError,
      ).toBeFalsy()
    }
    expect(gw.requests('cron.list').length).toBe(lists)
    // A job removed on the gateway is never run from a stale list.
    const job = [...gw.jobs.values()][0]!
    gw.jobs.delete(job.id)
    gw.broadcast('cron', { jobId: job.id, action: 'removed' })
    await wait(50)
    const gone = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'warm' } })
    expect(gone.isError).toBe(true)
    expect(text(gone)).toContain('JOB_NOT_FOUND')
  })

  it('20 simultaneous waited runs on one session each get their own result', async () => {
    const jobs = Array.from({ length: 20 }, (_, i) => ({
      name: `par-${i}`,
      runDurationMs: 50 + ((i * 37) % 200),
    }))
    const gw = await fake({ flavor: '3.13', jobs })
    const s = await server(gw)
    const results = await Promise.all(
      jobs.map((j) => s.client.callTool({ name: 'run_cron_job', arguments: { job: j.name, wait: true } })),
    )
    const byName = results.map(
      (r) => r.structuredContent as { job: { name: string }; runId: string; outcome: string },
    )
    expect(byName.map((r) => r.job.name)).toEqual(jobs.map((j) => j.name))
    expect(byName.every((r) => r.outcome === 'finished')).toBe(true)
    expect(new Set(byName.map((r) => r.runId)).size).toBe(20)
    expect(gw.openConnections).toBe(1)
  })

  it('the 9.x cron.run rate limit comes back as isError with when to retry', async () => {
    const gw = await fake({ flavor: '9.6', jobs: [{ name: 'limited' }] })
    const s = await server(gw)
    gw.setFault({ kind: 'rate-limited', method: 'cron.run', retryAfterMs: 42_000 })
    const r = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'limited' } })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/RATE_LIMITED.*retry after 42 s/)
  })
})
