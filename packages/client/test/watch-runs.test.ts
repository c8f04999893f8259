import { describe, expect, it } from 'vitest'
import { type RunFeedRecord, runJob, watchRuns } from '../src/index.js'
import { cleanupAfterEach, client, gateway } from './fixture.js'
import { createTestSigner } from './helpers.js'

cleanupAfterEach()

/** Resolves once `records` holds a record matching `test` (the feed is asynchronous). */
async function until(records: RunFeedRecord[], test: (r: RunFeedRecord) => boolean): Promise<void> {
  for (let i = 0; i < 400 && !records.some(test); i++) await new Promise((r) => setTimeout(r, 25))
  if (!records.some(test)) throw new Error(`no such record in ${JSON.stringify(records.map((r) => r.kind))}`)
}

describe('watchRuns: a live feed of runs', () => {
  it.each(['3.13', '9.6'] as const)(
    'shows started and finished runs triggered elsewhere (%s)',
    async (flavor) => {
      const gw = await gateway({ flavor })
      const a = gw.addJob({ name: 'feed-a', runDurationMs: 30 })
      gw.addJob({ name: 'feed-b', outcome: 'error', runDurationMs: 30 })
      const watcher = client(gw, { signer: createTestSigner() })
      await watcher.connect()
      const records: RunFeedRecord[] = []
      const stop = new AbortController()
      const feed = watchRuns(watcher, { signal: stop.signal, onEvent: (r) => records.push(r) })
      const other = client(gw, { signer: createTestSigner() })
      await runJob(other, { ref: 'feed-a', wait: true })
      await runJob(other, { ref: 'feed-b', wait: true })
      await until(records, (r) => r.kind === 'finished' && r.status === 'error')
      stop.abort()
      await feed
      expect(records.map((r) => r.kind)).toEqual(['started', 'finished', 'started', 'finished'])
      expect(records[1]).toMatchObject({ jobId: a.id, succeeded: true, status: 'ok', observedBy: 'event' })
      expect(records[3]).toMatchObject({ succeeded: false, error: 'fake run failed' })
      // 9.6 started events carry the job (its name); 3.13's do not.
      expect(records[0]).toMatchObject({ jobName: flavor === '9.6' ? 'feed-a' : undefined })
      if (flavor === '9.6') expect(records[1]).toMatchObject({ runId: expect.stringMatching(/^manual:/) })
    },
  )

  it('shows one job only when asked, and frees its listeners when stopped', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'mine', runDurationMs: 10 })
    gw.addJob({ name: 'theirs', runDurationMs: 10 })
    const c = client(gw, { signer: createTestSigner() })
    await c.connect()
    const mine = gw.addJob({ name: 'mine-2', runDurationMs: 10 })
    const records: RunFeedRecord[] = []
    const stop = new AbortController()
    const feed = watchRuns(c, { jobId: mine.id, signal: stop.signal, onEvent: (r) => records.push(r) })
    await runJob(c, { ref: 'theirs', wait: true })
    await runJob(c, { ref: 'mine-2', wait: true })
    await until(records, (r) => r.kind === 'finished')
    stop.abort()
    await feed
    expect(records.every((r) => 'jobId' in r && r.jobId === mine.id)).toBe(true)
  })

  it('goes on across a gateway restart, says so, and reports a finish it missed from the run history', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({ name: 'across', runDurationMs: 300 })
    const c = client(gw, { signer: createTestSigner(), reconnect: { initialDelayMs: 50, maxDelayMs: 100 } })
    await c.connect()
    const records: RunFeedRecord[] = []
    const stop = new AbortController()
    const feed = watchRuns(c, { signal: stop.signal, onEvent: (r) => records.push(r) })
    const other = client(gw, { signer: createTestSigner() })
    await runJob(other, { ref: 'across' }) // enqueued; finishes ~300 ms later
    await until(records, (r) => r.kind === 'started')
    await gw.restart(600) // the finished event goes out while this client is away
    await until(records, (r) => r.kind === 'finished')
    await runJob(other, { ref: 'across', wait: true }) // and the feed goes on after the reconnect
    await until(records, (r) => r.kind === 'finished' && r.observedBy === 'event')
    stop.abort()
    await feed
    const kinds = records.map((r) => r.kind)
    expect(kinds.slice(0, 4)).toEqual(['started', 'connection-lost', 'reconnected', 'finished'])
    expect(records[2]).toMatchObject({ kind: 'reconnected', checked: true })
    expect(records[3]).toMatchObject({ kind: 'finished', observedBy: 'poll', succeeded: true })
    expect(kinds.slice(4)).toEqual(['started', 'finished'])
  })
})
