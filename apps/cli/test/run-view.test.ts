import type { RunProgress } from '@clawlink/client'
import { describe, expect, it } from 'vitest'
import { createRunPresenter } from '../src/run-presenter.js'
import { applyProgress, eventJsonLine, newRunView, type RunView, statusLine } from '../src/run-view.js'
import { createStatusLine, type StatusClock, statusMode } from '../src/status-line.js'

/** A clock the test moves by hand; `every` timers fire as time passes. */
function fakeClock(start = 1_000_000): StatusClock & { advance(ms: number): void; timers: number } {
  let now = start
  const timers = new Set<{ ms: number; next: number; fn: () => void }>()
  return {
    now: () => now,
    every(ms, fn) {
      const t = { ms, next: now + ms, fn }
      timers.add(t)
      return () => timers.delete(t)
    },
    advance(ms) {
      const end = now + ms
      for (;;) {
        const due = [...timers].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0]
        if (!due) break
        now = due.next
        due.next += due.ms
        due.fn()
      }
      now = end
    },
    get timers() {
      return timers.size
    },
  }
}

const job = { id: 'j-1', name: 'report', job: undefined }
const retry: RunProgress = { kind: 'retrying', attempt: 3, max: 8, delayMs: 30_000, reason: 'HTTP 503' }

function viewOf(events: RunProgress[], start = 0): RunView {
  return events.reduce(applyProgress, newRunView(start))
}

describe('the status line of a waited-for run', () => {
  it('shows elapsed time, phase, tool, retry notice and characters written', () => {
    const started: RunProgress[] = [
      { kind: 'enqueued', job, runId: 'r1' },
      { kind: 'started', job, runId: 'r1' },
    ]
    expect(statusLine(viewOf(started), 5_000)).toBe('⏱ 5 s · running')
    const model = [...started, { kind: 'model', provider: 'mock', model: 'mock-1' } as RunProgress]
    expect(statusLine(viewOf(model), 65_000)).toBe('⏱ 1m05s · calling mock/mock-1')
    const tool = [...model, { kind: 'tool', phase: 'start', name: 'ls', ok: undefined } as RunProgress]
    expect(statusLine(viewOf(tool), 7_000)).toBe('⏱ 7 s · tool ls')
    expect(statusLine(viewOf([...model, retry]), 3_000)).toBe('⏱ 3 s · retrying 3/8 in 30 s: HTTP 503')
    const text: RunProgress = { kind: 'text', delta: 'x', totalChars: 1240 }
    expect(statusLine(viewOf([...tool, text]), 9_000)).toBe('⏱ 9 s · writing · 1,240 chars written')
    expect(statusLine(viewOf([...tool, text, { kind: 'finishing' }]), 9_000)).toBe(
      '⏱ 9 s · finishing · 1,240 chars written',
    )
  })

  it('escapes gateway text and stays within the width', () => {
    const hostile: RunProgress = { kind: 'tool', phase: 'start', name: 'ls\u001b[2J\nfake', ok: undefined }
    const line = statusLine(viewOf([hostile]), 0)
    expect(line).not.toMatch(/[\u0000-\u001f]/)
    expect(line).toContain('ls\\x1b[2J\\x0afake')
    const long: RunProgress = { ...retry, reason: 'y'.repeat(500) } as RunProgress
    expect(statusLine(viewOf([long]), 0, 60)).toHaveLength(60)
  })

  it('is redrawn every second by its own timer, erased and the cursor restored at the end', () => {
    const clock = fakeClock()
    let written = ''
    const status = createStatusLine({
      mode: 'tty',
      write: (t) => {
        written += t
      },
      clock,
    })
    status.update({ kind: 'started', job, runId: 'r1' })
    clock.advance(3_000) // no event in between: the elapsed time still moves
    expect(written.match(/\r\u001b\[2K/g)).toHaveLength(3)
    expect(written).toContain('⏱ 3 s · running')
    expect(written.startsWith('\u001b[?25l')).toBe(true)
    status.stop()
    expect(written.endsWith('\r\u001b[2K\u001b[?25h')).toBe(true)
    expect(clock.timers).toBe(0)
    const before = written.length
    status.stop()
    clock.advance(5_000)
    expect(written).toHaveLength(before)
  })

  it('a flood of text events redraws at most every 100 ms; a pty without a size gets 80 columns', () => {
    const clock = fakeClock()
    const frames: string[] = []
    const status = createStatusLine({ mode: 'tty', write: (t) => frames.push(t), clock, columns: () => 0 })
    for (let i = 1; i <= 1000; i++) status.update({ kind: 'text', delta: 'x', totalChars: i })
    expect(frames).toHaveLength(1) // the phase changed once; the rest came within the same 100 ms
    clock.advance(150)
    status.update({ kind: 'text', delta: 'x', totalChars: 1001 })
    expect(frames).toHaveLength(2)
    expect(frames[1]).toContain('1,001 chars written')
    const long: RunProgress = { ...retry, reason: 'y'.repeat(500) } as RunProgress
    status.update(long)
    expect(frames.at(-1)!.replace(/\u001b\[[0-9;?]*[A-Za-z]|\r/g, '')).toHaveLength(79)
    status.stop()
  })

  it('TERM=dumb: plain lines, no cursor control, rate-limited', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const status = createStatusLine({ mode: 'plain', write: (t) => lines.push(t), clock })
    status.update({ kind: 'started', job, runId: 'r1' })
    for (let i = 1; i <= 30; i++) {
      status.update({ kind: 'text', delta: 'x', totalChars: i })
      clock.advance(1_000)
    }
    expect(lines.join('')).not.toContain('\u001b')
    expect(lines.every((l) => l.startsWith('… ⏱') && l.endsWith('\n'))).toBe(true)
    expect(lines.length).toBeGreaterThanOrEqual(3) // the start, a phase change, and every 10 s
    expect(lines.length).toBeLessThanOrEqual(5)
  })

  it('is off without a TTY and under --json; plain with TERM=dumb', () => {
    expect(statusMode({ isTTY: true }, false, { TERM: 'xterm' })).toBe('tty')
    expect(statusMode({ isTTY: true }, false, { TERM: 'dumb' })).toBe('plain')
    expect(statusMode({ isTTY: false }, false, {})).toBe('off')
    expect(statusMode({ isTTY: true }, true, {})).toBe('off')
  })
})

/** A stream that keeps what is written. */
class Sink {
  text = ''
  columns = 80
  constructor(readonly isTTY: boolean | undefined) {}
  write(t: string): void {
    this.text += t
  }
}

describe('--follow presenters', () => {
  function capture(options: { json: boolean; tty?: boolean }) {
    const out = new Sink(options.tty)
    const err = new Sink(options.tty)
    const clock = fakeClock()
    const show = createRunPresenter({
      json: options.json,
      follow: true,
      waitMs: 60_000,
      stdout: out,
      stderr: err,
      env: {},
      clock,
    })
    return { out, err, show }
  }
  const run: RunProgress[] = [
    { kind: 'enqueued', job, runId: 'r1' },
    { kind: 'model', provider: 'mock', model: 'mock-1' },
    { kind: 'text', delta: 'Hello\n', totalChars: 6 },
    { kind: 'tool', phase: 'start', name: 'ls', ok: undefined },
    retry,
    { kind: 'text', delta: 'wor\u001b]0;pwned\u0007ld', totalChars: 26 },
    { kind: 'heartbeat', elapsedMs: 5000, quietMs: 5000, phase: 'writing' },
  ]

  it('text on stdout as written (escaped, newlines kept), tools and retries on stderr', () => {
    const { out, err, show } = capture({ json: false })
    for (const e of run) show.progress(e)
    show.stop()
    expect(out.text).toBe('Hello\nwor\\x1b]0;pwned\\x07ld\n')
    expect(err.text).toContain('→ tool ls\n')
    expect(err.text).toContain('↻ retrying 3/8 in 30 s: HTTP 503\n')
    expect(err.text).toContain('… calling mock/mock-1\n')
    expect(err.text).not.toContain('heartbeat')
  })

  it('--json: one JSON object per line per event, each with its type', () => {
    const { out, err, show } = capture({ json: true })
    for (const e of run) show.progress(e)
    show.stop()
    const lines = out.text.trimEnd().split('\n')
    expect(lines).toHaveLength(run.length)
    const docs = lines.map((l) => JSON.parse(l))
    expect(docs.map((d) => d.type)).toEqual(run.map((e) => e.kind))
    expect(docs[0]).toEqual({ type: 'enqueued', job: { id: 'j-1', name: 'report' }, runId: 'r1' })
    expect(docs[5].delta).toBe('wor\u001b]0;pwned\u0007ld') // the JSON keeps the text; JSON escapes it
    expect(out.text).not.toContain('\u001b')
    expect(err.text).toBe('')
    expect(eventJsonLine({ kind: 'connection-lost', error: new Error('gone') })).toBe(
      '{"type": "connection-lost","error": "gone"}',
    )
  })
})
