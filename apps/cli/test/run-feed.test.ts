import type { RunFeedRecord } from '@clawlink/client'
import { describe, expect, it } from 'vitest'
import { feedJson, feedLine } from '../src/run-feed.js'

const at = Date.UTC(2026, 11, 7, 8, 12, 3)
const started: RunFeedRecord = {
  kind: 'started',
  jobId: 'j-1',
  jobName: 'nightly',
  runId: 'r-1',
  runAtMs: at,
}
const finished = (over: Partial<Extract<RunFeedRecord, { kind: 'finished' }>>): RunFeedRecord => ({
  kind: 'finished',
  jobId: 'j-1',
  jobName: 'nightly',
  runId: 'r-1',
  status: 'ok',
  completionStatus: undefined,
  succeeded: true,
  durationMs: undefined,
  summary: undefined,
  error: undefined,
  sessionKey: undefined,
  observedBy: 'event',
  ...over,
})

describe('cron runs --follow lines', () => {
  it('a run that starts and one that finishes ok or with an error, on stdout', () => {
    expect(feedLine(started, at)).toEqual({ stream: 'stdout', text: '08:12:03 ▶ nightly started (run r-1)' })
    expect(feedLine(finished({ durationMs: 97_000, summary: 'done' }), at).text).toBe(
      '08:12:03 ✓ nightly ok in 97.0 s (run r-1): done',
    )
    const bad = finished({
      status: 'error',
      succeeded: false,
      durationMs: 450,
      error: 'HTTP 400',
      summary: 's',
    })
    expect(feedLine(bad, at).text).toBe('08:12:03 ✗ nightly error in 450 ms (run r-1): HTTP 400')
    expect(feedLine({ ...started, jobName: undefined, runId: undefined }, at).text).toBe(
      '08:12:03 ▶ j-1 started',
    )
    expect(feedLine(finished({ observedBy: 'poll' }), at).text).toContain('[while disconnected]')
  })

  it('gateway text stays on one line, escaped, and bounded', () => {
    const line = feedLine(finished({ jobName: 'a\u001b]0;x\u0007', summary: 'l1\nl2' }), at).text
    expect(line).not.toMatch(/[\u0000-\u001f]/)
    expect(line).toContain('a\\x1b]0;x\\x07')
    expect(feedLine(finished({ summary: 'y'.repeat(999) }), at, 80).text).toHaveLength(80)
  })

  it('says on stderr that the connection was lost, that it is back, and what may be missing', () => {
    const lost = feedLine({ kind: 'connection-lost', error: new Error('closed\r\n1006') }, at)
    expect(lost.stream).toBe('stderr')
    expect(lost.text).toContain('closed\\x0d\\x0a1006')
    const back = feedLine({ kind: 'reconnected', checked: false, note: 'could not read the history' }, at)
    expect(back).toEqual({ stream: 'stderr', text: '08:12:03 … reconnected; could not read the history' })
  })

  it('--json: one object per line with its type and every fact (null when unknown)', () => {
    const doc = JSON.parse(feedJson(finished({ durationMs: 5 }), at))
    expect(doc).toEqual({
      type: 'finished',
      job: { id: 'j-1', name: 'nightly' },
      runId: 'r-1',
      status: 'ok',
      completionStatus: null,
      succeeded: true,
      durationMs: 5,
      summary: null,
      error: null,
      sessionKey: null,
      observedBy: 'event',
      atMs: at,
    })
    expect(feedJson(finished({ summary: 'a\nb\u009b' }), at)).not.toMatch(/[\n\u009b]/)
    expect(JSON.parse(feedJson({ kind: 'reconnected', checked: true, note: undefined }, at))).toEqual({
      type: 'reconnected',
      checked: true,
      note: null,
      atMs: at,
    })
  })
})
