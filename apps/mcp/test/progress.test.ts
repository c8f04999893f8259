import type { ResolvedJob, RunProgress } from '@clawlink/client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { elapsedText, notificationSink, runNotifier } from '../src/progress.js'

const job: ResolvedJob = { id: 'job-1', name: 'report', job: undefined }

/** A notifier on fake timers whose lines are recorded with the (fake) time they were sent. */
function recorded(options: { tickMs?: number; textEveryMs?: number } = {}) {
  const lines: { at: number; progress: number; message: string }[] = []
  const n = runNotifier((progress, message) => {
    lines.push({ at: Date.now(), progress, message })
  }, options)
  return { n, lines }
}

const text = (totalChars: number): RunProgress => ({ kind: 'text', delta: 'x', totalChars })

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('runNotifier', () => {
  it('sends a line at least every 10 s while the run is silent, saying how long and where it stands', () => {
    const { n, lines } = recorded()
    n.report({ kind: 'enqueued', job, runId: 'r1' })
    n.report({ kind: 'started', job, runId: 'r1' })
    n.report({ kind: 'model', provider: 'mock', model: 'mock-1' })
    vi.advanceTimersByTime(180_000)
    const gaps = lines.slice(1).map((l, i) => l.at - lines[i]!.at)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000)
    expect(lines.length).toBeGreaterThanOrEqual(3 + 18)
    expect(lines.at(-1)?.message).toBe('running 3m 00s, calling mock/mock-1')
    n.stop()
  })

  it('counts up, one by one, across events, ticks and the last line; never a total', async () => {
    const sent: Record<string, unknown>[] = []
    const sink = notificationSink({
      mcpReq: {
        _meta: { progressToken: 'tok' },
        notify: async (note) => {
          sent.push(note.params as Record<string, unknown>)
        },
      },
    })
    const n = runNotifier(sink)
    n.report({ kind: 'resolved', job })
    vi.advanceTimersByTime(12_000)
    n.report({ kind: 'tool', phase: 'start', name: 'ls', ok: undefined })
    n.report({ kind: 'tool', phase: 'end', name: 'ls', ok: true })
    await n.done('report finished ok')
    expect(sent.map((p) => p.progress)).toEqual(sent.map((_, i) => i + 1))
    expect(sent.every((p) => p.total === undefined && p.progressToken === 'tok')).toBe(true)
    expect(sent.map((p) => p.message)).toEqual([
      'resolved report',
      'waiting 5 s, resolved report',
      'waiting 10 s, resolved report',
      'tool ls',
      'tool ls done',
      'report finished ok',
    ])
  })

  it('one line per meaningful event: model, tool, retry, reconnect', () => {
    const { n, lines } = recorded()
    n.report({ kind: 'model', provider: 'mock', model: 'mock-1' })
    n.report({ kind: 'retrying', attempt: 3, max: 8, delayMs: 30_000, reason: 'HTTP 500\nfrom model' })
    n.report({ kind: 'tool', phase: 'end', name: 'exec', ok: false })
    n.report({ kind: 'reconnected', missed: true })
    n.report({ kind: 'polling', attempt: 2 })
    n.report({ kind: 'heartbeat', elapsedMs: 5000, quietMs: 5000, phase: 'model' })
    n.stop()
    expect(lines.map((l) => l.message)).toEqual([
      'calling mock/mock-1',
      'retrying 3/8 in 30 s: HTTP 500\\x0afrom model',
      'tool exec failed',
      'reconnected; events of the run may have been missed',
    ])
  })

  it('sends the agent text at most once a second, with the latest count', () => {
    const { n, lines } = recorded()
    for (let i = 1; i <= 50; i++) {
      n.report(text(i * 25))
      vi.advanceTimersByTime(100)
    }
    n.stop()
    const textLines = lines.filter((l) => l.message.endsWith('characters written'))
    expect(textLines.length).toBeGreaterThanOrEqual(4)
    expect(textLines.length).toBeLessThanOrEqual(6)
    const gaps = textLines.slice(1).map((l, i) => l.at - textLines[i]!.at)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000)
    expect(textLines.at(-1)?.message).toBe('1,250 characters written')
  })

  it('escapes every line to one line and bounds its length', () => {
    const { n, lines } = recorded()
    n.report({
      kind: 'tool',
      phase: 'start',
      name: `evil\r\n\u001b[2Jtool${'x'.repeat(5000)}`,
      ok: undefined,
    })
    n.stop()
    expect(lines[0]?.message).not.toMatch(/[\u0000-\u001f\u007f]/)
    expect(lines[0]?.message.length).toBeLessThanOrEqual(300)
  })

  it('stops cleanly: no timer left after done or stop, nothing sent after the last line', async () => {
    const a = recorded()
    a.n.report(text(10))
    a.n.report(text(20)) // a trailing text line is pending
    await a.n.done('finished')
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(a.lines.at(-1)?.message).toBe('finished')
    a.n.report({ kind: 'finishing' })
    expect(a.lines.at(-1)?.message).toBe('finished')

    const b = recorded()
    b.n.report(text(10))
    b.n.report(text(20))
    b.n.stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(b.lines.map((l) => l.message)).toEqual(['10 characters written'])
  })

  it('without a progress token it sends nothing and starts no timer', () => {
    const n = runNotifier(notificationSink({ mcpReq: { _meta: {}, notify: async () => undefined } }))
    n.report({ kind: 'started', job, runId: undefined })
    expect(vi.getTimerCount()).toBe(0)
    n.stop()
  })

  it('a sink that throws or rejects does not break the run', async () => {
    const n = runNotifier(() => {
      throw new Error('client gone')
    })
    n.report({ kind: 'finishing' })
    const m = runNotifier(() => Promise.reject(new Error('client gone')))
    m.report({ kind: 'finishing' })
    await expect(m.done('x')).resolves.toBeUndefined()
    n.stop()
  })
})

describe('elapsedText', () => {
  it('reads like a clock', () => {
    expect([elapsedText(4_200), elapsedText(80_000), elapsedText(3_725_000)]).toEqual([
      '4 s',
      '1m 20s',
      '1h 02m',
    ])
  })
})
