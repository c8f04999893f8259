import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeGateway, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The gaps between progress notifications, and what they said. */
function progressLog() {
  const times: number[] = [Date.now()]
  const seen: { progress: number; total?: number | undefined; message?: string | undefined }[] = []
  return {
    seen,
    onprogress: (p: { progress: number; total?: number; message?: string }) => {
      times.push(Date.now())
      seen.push({ progress: p.progress, total: p.total, message: p.message })
    },
    gaps: () => times.slice(1).map((t, i) => t - times[i]!),
  }
}

describe('long runs through the official SDK client', () => {
  it('a silent 70 s run: the default 60 s request timeout with resetTimeoutOnProgress gets its result', {
    timeout: 120_000,
  }, async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'silent', runDurationMs: 70_000 }] })
    const s = await serverFor(gw)
    await s.client.listTools() // the SDK then checks structuredContent against the output schema
    const log = progressLog()
    const started = Date.now()
    const r = await s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'silent', wait: true, timeoutSeconds: 120 } },
      undefined,
      { onprogress: log.onprogress, resetTimeoutOnProgress: true },
    )
    const tookMs = Date.now() - started
    console.log(
      `silent run: ${tookMs} ms, ${log.seen.length} notifications, longest gap ${Math.max(...log.gaps())} ms`,
    )
    expect(r.isError, text(r)).toBeFalsy()
    expect(tookMs).toBeGreaterThan(60_000) // past the SDK's default request timeout
    expect(r.structuredContent).toMatchObject({ ok: true, outcome: 'finished', succeeded: true, code: null })
    expect(Math.max(...log.gaps())).toBeLessThan(10_000)
    expect(log.seen.map((p) => p.progress)).toEqual(log.seen.map((_, i) => i + 1))
    expect(log.seen.every((p) => p.total === undefined)).toBe(true)
    expect(log.seen.some((p) => /^running 1m \d\ds, /.test(p.message ?? ''))).toBe(true)
    expect(log.seen.at(-1)?.message).toBe('silent finished ok')
  })

  it('one notification per step of a streamed agent run: model, tools, retry, text (hostile text escaped)', {
    timeout: 30_000,
  }, async () => {
    const gw = await fakeGateway({
      flavor: '9.6',
      jobs: [
        {
          name: 'agent',
          agent: {
            steps: [
              { kind: 'tool', name: 'ls', durationMs: 50 },
              { kind: 'retry', attempt: 3, max: 8, delayMs: 1000, reason: 'HTTP 500\n[fake] line' },
              { kind: 'text', chunks: Array.from({ length: 30 }, () => 'x'.repeat(40)), overMs: 2500 },
            ],
          },
        },
      ],
    })
    const s = await serverFor(gw)
    const log = progressLog()
    const r = await s.client.callTool(
      { name: 'run_cron_job', arguments: { job: 'agent', wait: true } },
      undefined,
      { onprogress: log.onprogress, resetTimeoutOnProgress: true },
    )
    expect(r.isError, text(r)).toBeFalsy()
    const messages = log.seen.map((p) => p.message ?? '')
    expect(messages).toContain('calling mock/mock-1')
    expect(messages).toContain('tool ls')
    expect(messages).toContain('tool ls done')
    expect(messages.some((m) => m.startsWith('retrying 3/8 in 1 s: HTTP 500\\x0a[fake] line'))).toBe(true)
    const written = messages.filter((m) => m.endsWith('characters written'))
    expect(written.length).toBeGreaterThanOrEqual(1)
    expect(written.length).toBeLessThanOrEqual(5) // 30 deltas over 2.5 s: at most one line a second
    expect(messages.every((m) => !/[\u0000-\u001f]/.test(m))).toBe(true)
    expect(log.seen.map((p) => p.progress)).toEqual(log.seen.map((_, i) => i + 1))
  })

  it('timeoutSeconds wins over --call-timeout; without it --call-timeout bounds the wait', {
    timeout: 30_000,
  }, async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'slowish', runDurationMs: 4000 }] })
    const s = await serverFor(gw, ['--call-timeout', '2'])
    await s.client.listTools()
    const asked = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: 'slowish', wait: true, timeoutSeconds: 8 },
    })
    expect(asked.isError, text(asked)).toBeFalsy()
    expect(asked.structuredContent).toMatchObject({ outcome: 'finished', succeeded: true })

    const unasked = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: 'slowish', wait: true },
    })
    expect(unasked.isError).toBe(true)
    expect(text(unasked)).toMatch(/did not finish within 2\.0 s.*get_cron_runs.*\[WAIT_TIMEOUT\]$/)
    expect(unasked.structuredContent).toMatchObject({
      ok: false,
      code: 'WAIT_TIMEOUT',
      outcome: 'timeout',
      enqueued: true,
      job: { name: 'slowish' },
    })
    expect((unasked.structuredContent as { runId: unknown }).runId).toMatch(/^manual:/)
  })

  it('isError results carry the run facts, validated by the SDK against the output schema', async () => {
    const gw = await fakeGateway({
      flavor: '9.6',
      jobs: [
        { name: 'broken', outcome: 'error' },
        { name: 'busy', runDurationMs: 20_000 },
      ],
    })
    const s = await serverFor(gw)
    await s.client.listTools()
    const failed = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'broken', wait: true } })
    expect(failed.isError).toBe(true)
    expect(text(failed)).not.toMatch(/\.\./)
    expect(text(failed)).toMatch(/\[RUN_FAILED\]$/)
    expect(failed.structuredContent).toMatchObject({
      ok: false,
      code: 'RUN_FAILED',
      outcome: 'finished',
      enqueued: true,
      succeeded: false,
      status: 'error',
      job: { name: 'broken' },
    })
    expect((failed.structuredContent as { runId: unknown }).runId).toMatch(/^manual:/)
    expect((failed.structuredContent as { durationMs: unknown }).durationMs).toEqual(expect.any(Number))

    await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'busy' } })
    const again = await s.client.callTool({ name: 'run_cron_job', arguments: { job: 'busy' } })
    expect(again.isError).toBe(true)
    expect(text(again)).toMatch(/\[ALREADY_RUNNING\]$/)
    expect(again.structuredContent).toMatchObject({
      ok: false,
      code: 'ALREADY_RUNNING',
      outcome: 'not-run',
      reason: 'already-running',
      runId: null,
    })
  })

  it('a task: its status message follows the run and ticks while it is silent', {
    timeout: 30_000,
  }, async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'tasked', runDurationMs: 12_000 }] })
    const s = await serverFor(gw)
    const created = await s.client.request(
      {
        method: 'tools/call',
        params: { name: 'run_cron_job', arguments: { job: 'tasked', wait: true }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    )
    const messages = new Set<string>()
    let status = created.task.status
    while (status !== 'completed' && status !== 'failed') {
      await wait(500)
      const task = await s.client.experimental.tasks.getTask(created.task.taskId)
      status = task.status
      if (task.statusMessage) messages.add(task.statusMessage)
    }
    expect(status).toBe('completed')
    const all = [...messages]
    // Polled every 0.5 s, the status shows the tick's line most of the time: elapsed and the run's last step.
    expect(
      all.some((m) => /^running \d+ s, run of tasked started$/.test(m)),
      all.join(' | '),
    ).toBe(true)
  })
})
