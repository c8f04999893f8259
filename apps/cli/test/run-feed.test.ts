import { describe, expect, it } from 'vitest'
import { type FeedRun, feedJson, feedLine, feedNoticeLine } from '../src/run-feed.js'

const at = Date.UTC(2026, 11, 7, 8, 12, 3)
const run = (over: Partial<FeedRun>): FeedRun => ({
  action: 'started',
  jobId: 'j-1',
  jobName: 'nightly',
  runId: 'r-1',
  status: undefined,
  completionStatus: undefined,
  durationMs: undefined,
  summary: undefined,
  error: undefined,
  atMs: at,
  ...over,
})

describe('cron runs --follow lines', () => {
  it('a run that starts and one that finishes ok or with an error', () => {
    expect(feedLine(run({}))).toBe('08:12:03 ▶ nightly started (run r-1)')
    const ok = run({ action: 'finished', status: 'ok', durationMs: 97_000, summary: 'done' })
    expect(feedLine(ok)).toBe('08:12:03 ✓ nightly ok in 97.0 s (run r-1): done')
    const bad = run({ action: 'finished', status: 'error', durationMs: 450, error: 'HTTP 400', summary: 's' })
    expect(feedLine(bad)).toBe('08:12:03 ✗ nightly error in 450 ms (run r-1): HTTP 400')
    expect(feedLine(run({ jobName: undefined, runId: undefined }))).toBe('08:12:03 ▶ j-1 started')
  })

  it('gateway text stays on one line, escaped, and bounded', () => {
    const hostile = run({ action: 'finished', status: 'ok', jobName: 'a\u001b]0;x\u0007', summary: 'l1\nl2' })
    const line = feedLine(hostile)
    expect(line).not.toMatch(/[\u0000-\u001f]/)
    expect(line).toContain('a\\x1b]0;x\\x07')
    expect(feedLine(run({ action: 'finished', status: 'ok', summary: 'y'.repeat(999) }), 80)).toHaveLength(80)
  })

  it('--json: one object per line with its type and every fact (null when unknown)', () => {
    const doc = JSON.parse(feedJson(run({ action: 'finished', status: 'ok', durationMs: 5 })))
    expect(doc).toEqual({
      type: 'finished',
      job: { id: 'j-1', name: 'nightly' },
      runId: 'r-1',
      status: 'ok',
      completionStatus: null,
      durationMs: 5,
      summary: null,
      error: null,
      atMs: at,
    })
    expect(feedJson(run({ summary: 'a\nb\u009b' }))).not.toMatch(/[\n\u009b]/)
    expect(JSON.parse(feedJson({ kind: 'reconnected', missed: true, atMs: at }))).toEqual({
      type: 'reconnected',
      missed: true,
      atMs: at,
    })
  })

  it('says when it reconnected and that runs may have been missed', () => {
    expect(feedNoticeLine({ kind: 'reconnected', missed: true, atMs: at })).toMatch(
      /reconnected; runs that started or finished meanwhile are not shown/,
    )
    expect(feedNoticeLine({ kind: 'connection-lost', error: 'closed\r\n1006' })).toContain(
      'closed\\x0d\\x0a1006',
    )
  })
})
