import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { judgeRun, listCronJobs, resolveJob, type RunProgress, runJob } from '../src/index.js'
import { cleanupAfterEach, client, gateway } from './fixture.js'
import { createTestSigner, rejectionOf } from './helpers.js'

cleanupAfterEach()

const FLAVORS = ['3.13', '5.7', '9.6'] as const

describe('runJob', () => {
  it.each(FLAVORS)('runs a job by name and follows it to its end (%s)', async (flavor) => {
    const gw = await gateway({ flavor })
    const job = gw.addJob({ name: 'nightly-report', runDurationMs: 30 })
    const c = client(gw, { signer: createTestSigner() })
    const progress: RunProgress['kind'][] = []
    const outcome = await runJob(c, {
      ref: 'nightly-report',
      wait: true,
      onProgress: (e) => progress.push(e.kind),
    })
    expect(outcome).toMatchObject({
      kind: 'finished',
      job: { id: job.id, name: 'nightly-report' },
      succeeded: true,
    })
    if (outcome.kind !== 'finished') throw new Error('not finished')
    expect(outcome.status).toBe('ok')
    expect(outcome.runId).toMatch(/^manual:/) // from cron.run's answer even where events carry none (3.13)
    expect(progress).toEqual(expect.arrayContaining(['resolved', 'enqueued', 'started']))
    expect(judgeRun(outcome)).toEqual({ ok: true })
  })

  it.each([
    ['3.13', -30_000],
    ['3.13', 45_000],
    ['9.6', 45_000],
  ] as const)('matches the run on the gateway clock when it is off by %s ms (%s)', async (flavor, offset) => {
    const gw = await gateway({ flavor, clockOffsetMs: offset })
    gw.addJob({ name: 'skewed', runDurationMs: 30 })
    const c = client(gw, { signer: createTestSigner() })
    const outcome = await runJob(c, { ref: 'skewed', wait: true, timeoutMs: 5000 })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true, observedBy: 'event' })
  })

  it('finds the run in cron.runs when the events never come, on a lagging 3.13 clock', async () => {
    const gw = await gateway({ flavor: '3.13', clockOffsetMs: -30_000 })
    gw.addJob({ name: 'quiet', runDurationMs: 10 })
    gw.muteEvents(['cron'])
    const c = client(gw, { signer: createTestSigner() })
    const outcome = await runJob(c, { ref: 'quiet', wait: true, pollIntervalMs: 50, timeoutMs: 5000 })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true, observedBy: 'poll' })
    // The poll asked the run log newest first, bounded.
    expect(gw.requests('cron.runs').at(-1)?.params).toMatchObject({ limit: 20, sortDir: 'desc' })
  })

  it('does not take an earlier run of the same job for this one (3.13, no runIds)', async () => {
    const gw = await gateway({ flavor: '3.13' })
    const job = gw.addJob({ name: 'twice', runDurationMs: 5 })
    const c = client(gw, { signer: createTestSigner() })
    await runJob(c, { ref: 'twice', wait: true })
    await new Promise((r) => setTimeout(r, 1200)) // the earlier run is now outside the 1 s slack
    job.runDurationMs = 60_000
    gw.muteEvents(['cron'])
    const error = await rejectionOf(
      runJob(c, { ref: 'twice', wait: true, pollIntervalMs: 50, timeoutMs: 600 }),
    )
    // The run log only holds the earlier run: it must not be reported as this one.
    expect(error.code).toBe('WAIT_TIMEOUT')
    expect(gw.requests('cron.runs').length).toBeGreaterThan(2)
  })

  it('runs an id straight away: no listing on any version', async () => {
    for (const flavor of FLAVORS) {
      const gw = await gateway({ flavor })
      const job = gw.addJob({ name: 'by-id' })
      const c = client(gw, { signer: createTestSigner() })
      const outcome = await runJob(c, { ref: job.id })
      expect(outcome).toMatchObject({ kind: 'enqueued', job: { id: job.id } })
      expect(gw.requests('cron.list')).toHaveLength(0)
      expect(gw.requests('cron.run')).toHaveLength(1)
      // 9.x shows the name from cron.get; older gateways have no cheap way and leave it unknown.
      expect(outcome.job.name).toBe(flavor === '9.6' ? 'by-id' : undefined)
    }
  })

  it('resolves a name with one filtered cron.list, whatever the number of jobs', async () => {
    const gw = await gateway({ flavor: '3.13' })
    for (let i = 0; i < 450; i++) gw.addJob({ name: `filler-${i}` })
    gw.addJob({ name: 'needle' })
    const c = client(gw, { signer: createTestSigner() })
    await runJob(c, { ref: 'needle' })
    const lists = gw.requests('cron.list')
    expect(lists).toHaveLength(1)
    expect(lists[0]?.params).toMatchObject({ query: 'needle', limit: 200 })
  })

  it('reports not-due as a success that ran nothing, and already-running as a failure', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'later', nextRunAtMs: Date.now() + 3_600_000 })
    gw.addJob({ name: 'slow', runDurationMs: 2000 })
    const c = client(gw, { signer: createTestSigner() })
    const notDue = await runJob(c, { ref: 'later', mode: 'due' })
    expect(notDue).toMatchObject({ kind: 'not-run', reason: 'not-due' })
    expect(judgeRun(notDue)).toEqual({ ok: true })
    await runJob(c, { ref: 'slow' })
    await new Promise((r) => setTimeout(r, 20))
    const busy = await runJob(c, { ref: 'slow' })
    expect(busy).toMatchObject({ kind: 'not-run', reason: 'already-running' })
    expect(judgeRun(busy)).toMatchObject({ ok: false, code: 'ALREADY_RUNNING' })
  })

  it('judges a run that finished with an error as RUN_FAILED, with the runId', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'broken', outcome: 'error' })
    const c = client(gw, { signer: createTestSigner() })
    const outcome = await runJob(c, { ref: 'broken', wait: true })
    expect(outcome).toMatchObject({
      kind: 'finished',
      succeeded: false,
      status: 'error',
      error: 'fake run failed',
    })
    const verdict = judgeRun(outcome)
    expect(verdict).toMatchObject({ ok: false, code: 'RUN_FAILED' })
    if (verdict.ok || outcome.kind !== 'finished') throw new Error('unreachable')
    expect(verdict.message).toContain(outcome.runId ?? 'no run id')
  })

  it('names the closest jobs when none matches, and refuses an ambiguous name', async () => {
    const gw = await gateway({ flavor: '5.7' })
    gw.addJob({ name: 'nightly-report' })
    gw.addJob({ name: 'twin' })
    gw.addJob({ name: 'twin' })
    const c = client(gw, { signer: createTestSigner() })
    const missing = await rejectionOf(runJob(c, { ref: 'nightly-reprot' }))
    expect(missing.code).toBe('JOB_NOT_FOUND')
    expect(String(missing.remedy)).toContain('"nightly-report"')
    const ambiguous = await rejectionOf(resolveJob(c, 'twin'))
    expect(ambiguous.code).toBe('JOB_AMBIGUOUS')
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('treats an id-shaped name as a name when no job has that id', async () => {
    const gw = await gateway({ flavor: '3.13' })
    const name = '11111111-2222-3333-4444-555555555555'
    const job = gw.addJob({ name })
    const c = client(gw, { signer: createTestSigner() })
    const outcome = await runJob(c, { ref: name })
    expect(outcome).toMatchObject({ kind: 'enqueued', job: { id: job.id, name } })
  })

  it('lets authorize refuse before anything runs', async () => {
    const gw = await gateway({ flavor: '9.6' })
    const job = gw.addJob({ name: 'guarded' })
    const c = client(gw, { signer: createTestSigner() })
    const seen: string[] = []
    const error = await rejectionOf(
      runJob(c, {
        ref: job.id,
        authorize: (j) => {
          seen.push(`${j.id}/${j.name}`)
          throw new Error('not on the allow-list')
        },
      }),
    )
    expect(error.message).toBe('not on the allow-list')
    expect(seen).toEqual([`${job.id}/guarded`])
    expect(gw.requests('cron.run')).toHaveLength(0)
  })

  it('times out a wait with WAIT_TIMEOUT naming the runId; the run goes on', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'endless', runDurationMs: 60_000 })
    const c = client(gw, { signer: createTestSigner() })
    const error = await rejectionOf(
      runJob(c, { ref: 'endless', wait: true, timeoutMs: 300, pollIntervalMs: 50 }),
    )
    expect(error.code).toBe('WAIT_TIMEOUT')
    const details = error.details as { runId?: string; jobName?: string }
    expect(details.runId).toMatch(/^manual:/)
    expect(details.jobName).toBe('endless')
    expect(error.message).toContain(details.runId)
  })

  it('reports a cancelled wait with what had happened', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'long', runDurationMs: 60_000 })
    const c = client(gw, { signer: createTestSigner() })
    const cancel = new AbortController()
    const pending = runJob(c, {
      ref: 'long',
      wait: true,
      signal: cancel.signal,
      onProgress: (e) => {
        if (e.kind === 'enqueued') setTimeout(() => cancel.abort(), 20)
      },
    })
    const error = await rejectionOf(pending)
    expect(error.code).toBe('ABORTED')
    expect(error.details).toMatchObject({ enqueued: true, jobName: 'long' })
  })

  it('survives a gateway restart in the middle of the wait and reports the outcome from cron.runs', async () => {
    const gw = await gateway({ flavor: '3.13' })
    gw.addJob({ name: 'restart-me', runDurationMs: 400 })
    const c = client(gw, { signer: createTestSigner() })
    const progress: string[] = []
    const pending = runJob(c, {
      ref: 'restart-me',
      wait: true,
      timeoutMs: 10_000,
      pollIntervalMs: 100,
      onProgress: (e) => progress.push(e.kind),
    })
    await new Promise((r) => setTimeout(r, 100))
    await gw.restart(600) // the run finishes while the gateway is "down" for this client: the event is lost
    const outcome = await pending
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true, observedBy: 'poll' })
    expect(progress).toContain('connection-lost')
  })
})

describe('waiting leaves nothing behind', () => {
  it('a 60 s wait adds no abort listeners per poll and leaves none after', { timeout: 90_000 }, async () => {
    const gw = await gateway({ flavor: '3.13' })
    gw.addJob({ name: 'minute', runDurationMs: 60_000 })
    const c = client(gw, { signer: createTestSigner(), requestTimeoutMs: 5000 })
    const caller = new AbortController()
    const warnings: Error[] = []
    const onWarning = (w: Error): void => {
      warnings.push(w)
    }
    process.on('warning', onWarning)
    const counts: number[] = []
    const sampler = setInterval(() => counts.push(getEventListeners(caller.signal, 'abort').length), 1000)
    try {
      const outcome = await runJob(c, { ref: 'minute', wait: true, signal: caller.signal, timeoutMs: 80_000 })
      expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
    } finally {
      clearInterval(sampler)
      process.off('warning', onWarning)
    }
    expect(gw.requests('cron.runs').length).toBeGreaterThanOrEqual(25) // ~30 polls at 2 s
    expect(Math.max(...counts)).toBeLessThanOrEqual(2)
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })
})

describe('listing jobs', () => {
  it('follows hasMore across pages of 200 (450 jobs: offsets 0, 200, 400)', async () => {
    const gw = await gateway({ flavor: '5.7' })
    for (let i = 0; i < 450; i++) gw.addJob({ name: `page-${i}` })
    const c = client(gw, { signer: createTestSigner() })
    const jobs = await listCronJobs(c)
    expect(jobs).toHaveLength(450)
    expect(new Set(jobs.map((j) => j.id)).size).toBe(450)
    expect(
      gw.requests('cron.list').map((r) => (r.params as { offset: number; limit: number }).offset),
    ).toEqual([0, 200, 400])
    expect(gw.requests('cron.list').every((r) => (r.params as { limit: number }).limit === 200)).toBe(true)
  })

  it('stops at its budget with RESPONSE_TOO_LARGE instead of holding whatever a gateway sends', async () => {
    const gw = await gateway({ flavor: '9.6' })
    for (let i = 0; i < 450; i++) gw.addJob({ name: `budget-${i}` })
    const c = client(gw, { signer: createTestSigner() })
    const byCount = await rejectionOf(listCronJobs(c, { maxJobs: 300 }))
    expect(byCount.code).toBe('RESPONSE_TOO_LARGE')
    const byBytes = await rejectionOf(listCronJobs(c, { maxBytes: 10_000 }))
    expect(byBytes.code).toBe('RESPONSE_TOO_LARGE')
    expect(String(byBytes.remedy)).toMatch(/query/)
  })
})
