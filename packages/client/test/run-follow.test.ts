import { readFileSync } from 'node:fs'
import type { FakeAgentRun } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it } from 'vitest'
import type { GatewayClient } from '../src/client.js'
import { describeStop, type RunProgress, runJob } from '../src/index.js'
import { followRun } from '../src/run-follow.js'
import { cleanupAfterEach, client, gateway } from './fixture.js'
import { createTestSigner, rejectionOf } from './helpers.js'

cleanupAfterEach()

const FLAVORS = ['3.13', '5.7', '9.6'] as const

async function follow(flavor: (typeof FLAVORS)[number], agent: FakeAgentRun, heartbeatMs = 5000) {
  const gw = await gateway({ flavor })
  const job = gw.addJob({ name: 'agent-turn', agent })
  const c = client(gw, { signer: createTestSigner() })
  const events: RunProgress[] = []
  const outcome = await runJob(c, {
    ref: 'agent-turn',
    wait: true,
    timeoutMs: 20_000,
    heartbeatMs,
    onProgress: (e) => events.push(e),
  })
  const text = events.flatMap((e) => (e.kind === 'text' ? [e.delta] : [])).join('')
  return { gw, job, outcome, events, text, kinds: events.map((e) => e.kind) }
}

describe('runJob follows an agent run live (docs/protocol.md §7.7)', () => {
  it.each(FLAVORS)(
    'links the run to its agent session and reports its text and usage (%s)',
    async (flavor) => {
      const { outcome, events, text, kinds } = await follow(flavor, {
        steps: [
          { kind: 'text', chunks: ['Hello ', 'from ', 'the fake.'], overMs: 60 },
          { kind: 'usage', input: 100, output: 12 },
        ],
      })
      expect(outcome).toMatchObject({ kind: 'finished', succeeded: true, summary: 'Hello from the fake.' })
      const linked = events.find((e) => e.kind === 'linked')
      if (outcome.kind !== 'finished' || linked?.kind !== 'linked')
        throw new Error('not finished or not linked')
      expect(linked.sessionKey).toContain(`cron:${outcome.job.id}`)
      expect(outcome.sessionKey).toMatch(new RegExp(`^agent:main:cron:${outcome.job.id}:run:`))
      expect(text).toBe('Hello from the fake.')
      expect(events.filter((e) => e.kind === 'text').at(-1)).toMatchObject({ totalChars: 20 })
      expect(events).toContainEqual({ kind: 'usage', input: 100, output: 12, total: undefined })
      // 9.6 announces the model call and the wrap-up (its empty model notice after finishing is not a new call);
      // 3.13 and 5.7 announce neither.
      const nine = flavor === '9.6'
      expect(events.filter((e) => e.kind === 'model')).toEqual(
        nine ? [{ kind: 'model', provider: 'mock', model: 'mock-1' }] : [],
      )
      expect(kinds.includes('finishing')).toBe(nine)
      const order = [
        'started',
        'linked',
        ...(nine ? ['model'] : []),
        'text',
        ...(nine ? ['finishing'] : []),
      ].map((k) => kinds.indexOf(k as RunProgress['kind']))
      expect(order.every((i) => i >= 0)).toBe(true)
      expect(order).toEqual([...order].sort((a, b) => a - b))
    },
  )

  it.each(['3.13', '5.7'] as const)(
    'reports a retry as a failed attempt followed by a new one (%s)',
    async (flavor) => {
      const { events, text } = await follow(flavor, {
        steps: [
          { kind: 'text', chunks: ['lost '] },
          { kind: 'retry', attempt: 1, max: 8, delayMs: 30, reason: 'mock server exploded' },
          { kind: 'text', chunks: ['kept'] },
        ],
      })
      expect(events.filter((e) => e.kind === 'retrying')).toEqual([
        {
          kind: 'retrying',
          attempt: 1,
          max: undefined,
          delayMs: undefined,
          reason: '500 mock server exploded',
        },
      ])
      // The session is re-keyed on the retry; its text is still ours.
      expect(text).toBe('lost kept')
    },
  )

  it('reports tool calls and retries with their numbers (9.6)', async () => {
    const { events, outcome } = await follow('9.6', {
      steps: [
        { kind: 'tool', name: 'read', durationMs: 20 },
        { kind: 'tool', name: 'exec', ok: false },
        { kind: 'retry', attempt: 3, max: 8, delayMs: 30, reason: 'server_error' },
        { kind: 'text', chunks: ['done'] },
      ],
    })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
    expect(events.filter((e) => e.kind === 'tool')).toEqual([
      { kind: 'tool', phase: 'start', name: 'read', ok: undefined },
      { kind: 'tool', phase: 'end', name: 'read', ok: true },
      { kind: 'tool', phase: 'start', name: 'exec', ok: undefined },
      { kind: 'tool', phase: 'end', name: 'exec', ok: false },
    ])
    expect(events).toContainEqual({
      kind: 'retrying',
      attempt: 3,
      max: 8,
      delayMs: 30,
      reason: 'server_error',
    })
  })

  it('puts the session into a failed run (a final model error)', async () => {
    const { outcome } = await follow('9.6', {
      steps: [{ kind: 'text', chunks: ['half'] }],
      error: 'HTTP 400: bad request',
    })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: false, error: 'HTTP 400: bad request' })
    if (outcome.kind === 'finished') expect(outcome.sessionKey).toMatch(/^agent:main:cron:/)
  })

  it.each(FLAVORS)(
    'sends heartbeats while the run is silent, with the phase it is in (%s)',
    async (flavor) => {
      const { events } = await follow(
        flavor,
        {
          steps: [
            { kind: 'text', chunks: ['thinking…'] },
            { kind: 'silence', ms: 700 },
            { kind: 'text', chunks: [' done'] },
          ],
        },
        100,
      )
      const beats = events.filter((e) => e.kind === 'heartbeat')
      expect(beats.length).toBeGreaterThanOrEqual(2)
      const during = events.slice(events.findIndex((e) => e.kind === 'text'))
      const silent = during.filter((e) => e.kind === 'heartbeat')
      expect(silent.length).toBeGreaterThanOrEqual(2)
      for (const beat of silent) expect(beat).toMatchObject({ phase: 'writing' })
      // The quiet time grows across consecutive heartbeats of one silence; elapsed always grows.
      const quiet = silent.map((b) => (b.kind === 'heartbeat' ? b.quietMs : 0))
      expect(quiet[1]).toBeGreaterThan(quiet[0] ?? 0)
    },
  )

  it('keeps the heartbeat going while the run history is polled more often than it beats', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({
      name: 'polled',
      agent: {
        steps: [
          { kind: 'text', chunks: ['a'] },
          { kind: 'silence', ms: 800 },
        ],
      },
    })
    const c = client(gw, { signer: createTestSigner() })
    const events: RunProgress[] = []
    await runJob(c, {
      ref: 'polled',
      wait: true,
      pollIntervalMs: 30,
      heartbeatMs: 150,
      onProgress: (e) => events.push(e),
    })
    expect(events.filter((e) => e.kind === 'polling').length).toBeGreaterThan(5)
    expect(events.filter((e) => e.kind === 'heartbeat').length).toBeGreaterThanOrEqual(2)
  })

  it.each(FLAVORS)("never mixes another run's events into ours (%s)", async (flavor) => {
    const { events, text } = await follow(flavor, {
      steps: [
        { kind: 'text', chunks: ['mine-1 '] },
        { kind: 'foreign', chunks: ['THEIRS-1 ', 'THEIRS-2 '] },
        { kind: 'text', chunks: ['mine-2'] },
        { kind: 'foreign', chunks: ['THEIRS-3'] },
      ],
    })
    expect(text).toBe('mine-1 mine-2')
    const models = events.filter((e) => e.kind === 'model')
    expect(models).toEqual(flavor === '9.6' ? [{ kind: 'model', provider: 'mock', model: 'mock-1' }] : [])
    expect(events.filter((e) => e.kind === 'linked')).toHaveLength(1)
  })

  it('survives malformed and hostile events: they are dropped, the run is followed to its end', async () => {
    const evil = [
      { event: 'agent', payload: null },
      { event: 'agent', payload: { runId: 'x', stream: 'assistant', data: 'not an object' } },
      { event: 'agent', payload: { runId: {}, sessionKey: [], stream: 7 } },
      {
        event: 'task',
        payload: { task: { kind: 'automation_run', runId: 42, childSessionKey: 'agent:main:cron:x:run:y' } },
      },
      {
        event: 'chat',
        payload: { state: 'delta', sessionKey: 'agent:main:cron:other-job', deltaText: '\u0007bell' },
      },
      {
        event: 'agent',
        payload: {
          runId: 'r',
          sessionKey: 's'.repeat(10_000),
          stream: 'assistant',
          data: { delta: 'long key' },
        },
      },
    ]
    const { outcome, text, events } = await follow('9.6', {
      steps: [
        { kind: 'text', chunks: ['one '] },
        ...evil.map((e) => ({ kind: 'event' as const, ...e })),
        { kind: 'text', chunks: ['two'] },
      ],
    })
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
    expect(text).toBe('one two')
    expect(events.filter((e) => e.kind === 'linked')).toHaveLength(1)
  })

  it('cuts huge deltas and keeps counting a flood without keeping it', { timeout: 30_000 }, async () => {
    const { events, text } = await follow('9.6', {
      steps: [
        { kind: 'text', chunks: [`\u0000\u001b[31m${'y'.repeat(200_000)}`] },
        { kind: 'flood', count: 10_000, deltaChars: 8 },
      ],
    })
    const texts = events.filter((e) => e.kind === 'text')
    expect(texts).toHaveLength(10_001)
    for (const t of texts) expect(t.delta.length).toBeLessThanOrEqual(4096)
    expect(texts.at(-1)).toMatchObject({ totalChars: 6 + 200_000 + 10_000 * 8 })
    expect(text.length).toBe(4096 + 10_000 * 8)
  })

  it('says so when the connection came back during the wait (events may be lost)', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({
      name: 'long-turn',
      agent: {
        steps: [
          { kind: 'text', chunks: ['a'] },
          { kind: 'silence', ms: 900 },
          { kind: 'text', chunks: ['b'] },
        ],
      },
    })
    const c = client(gw, { signer: createTestSigner() })
    const events: RunProgress[] = []
    const pending = runJob(c, {
      ref: 'long-turn',
      wait: true,
      timeoutMs: 10_000,
      pollIntervalMs: 100,
      onProgress: (e) => {
        events.push(e)
        if (e.kind === 'text' && e.delta === 'a') void gw.restart(200)
      },
    })
    const outcome = await pending
    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
    const kinds = events.map((e) => e.kind)
    expect(kinds.indexOf('connection-lost')).toBeLessThan(kinds.indexOf('reconnected'))
    expect(events).toContainEqual({ kind: 'reconnected', missed: true })
  })

  it('a cancelled wait after the run started says it is running, with its session', async () => {
    const gw = await gateway({ flavor: '3.13' })
    gw.addJob({
      name: 'cancel-me',
      agent: {
        steps: [
          { kind: 'text', chunks: ['x'] },
          { kind: 'silence', ms: 5000 },
        ],
      },
    })
    const c = client(gw, { signer: createTestSigner() })
    const cancel = new AbortController()
    const error = await rejectionOf(
      runJob(c, {
        ref: 'cancel-me',
        wait: true,
        signal: cancel.signal,
        onProgress: (e) => {
          if (e.kind === 'text') cancel.abort()
        },
      }),
    )
    expect(error.code).toBe('ABORTED')
    expect(error.details).toMatchObject({ started: true, sessionKey: expect.stringMatching(/cron:/) })
    expect(describeStop(error, { interrupted: true })?.record).toMatchObject({
      outcome: 'interrupted',
      status: 'running',
    })
  })

  it('a wait that runs out after the run started says it is running, with its session', async () => {
    const gw = await gateway({ flavor: '9.6' })
    gw.addJob({
      name: 'slow-turn',
      agent: {
        steps: [
          { kind: 'text', chunks: ['x'] },
          { kind: 'silence', ms: 5000 },
        ],
      },
    })
    const c = client(gw, { signer: createTestSigner() })
    const error = await rejectionOf(
      runJob(c, {
        ref: 'slow-turn',
        wait: true,
        timeoutMs: 600,
        pollIntervalMs: 100,
      }),
    )
    expect(error.code).toBe('WAIT_TIMEOUT')
    expect(error.details).toMatchObject({
      started: true,
      sessionKey: expect.stringMatching(/^agent:main:cron:/),
    })
    expect(describeStop(error, { interrupted: false })?.record).toMatchObject({
      outcome: 'timeout',
      status: 'running',
      sessionKey: expect.stringMatching(/^agent:main:cron:/),
    })
  })
})

/** A stand-in for the client's event surface (followRun only subscribes). */
function eventSource() {
  const listeners = new Map<string, Set<(frame: { payload: unknown }) => void>>()
  const connection = new Set<(change: { kind: string }) => void>()
  const source = {
    on(event: string, fn: (frame: { payload: unknown }) => void) {
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      set.add(fn)
      return () => set.delete(fn)
    },
    onConnectionChange(fn: (change: { kind: string }) => void) {
      connection.add(fn)
      return () => connection.delete(fn)
    },
  }
  const emit = (event: string, payload: unknown) => {
    for (const fn of listeners.get(event) ?? []) fn({ payload })
  }
  const count = () => [...listeners.values()].reduce((n, s) => n + s.size, 0) + connection.size
  return { client: source as unknown as GatewayClient, emit, count }
}

describe('followRun on its own', () => {
  const key = (job: string, run = 's1') => `agent:main:cron:${job}:run:${run}`
  const delta = (sessionKey: string, text: string) => ({
    runId: 'agent-run',
    sessionKey,
    stream: 'assistant',
    data: { delta: text },
  })

  it('keeps at most 256 events before the run started, only of its own job, and frees everything on stop', () => {
    const src = eventSource()
    const events: RunProgress[] = []
    const f = followRun(src.client, { jobId: 'job-a', onProgress: (e) => events.push(e) })
    for (let i = 0; i < 10_000; i++) {
      src.emit('agent', delta(key('job-b'), 'other '))
      src.emit('agent', delta(key('job-a'), 'x'))
    }
    f.markStarted()
    expect(events[0]).toEqual({ kind: 'linked', sessionKey: key('job-a') })
    const texts = events.filter((e) => e.kind === 'text')
    expect(texts).toHaveLength(256)
    expect(texts.at(-1)).toMatchObject({ totalChars: 256 })
    f.stop()
    expect(src.count()).toBe(0)
  })

  it('on 9.x links by the task naming our cron run, even when it beat the runId, and never by another run', () => {
    const src = eventSource()
    const events: RunProgress[] = []
    const f = followRun(src.client, { jobId: 'job-a', onProgress: (e) => events.push(e) })
    const task = (runId: string, child: string) => ({
      task: {
        kind: 'automation_run',
        runId: `cron:job-a:1:u:${runId}`,
        sourceId: 'job-a',
        childSessionKey: child,
      },
    })
    src.emit('task', task('manual:job-a:1:1', key('job-a', 'old')))
    src.emit('task', task('manual:job-a:2:2', key('job-a', 'mine')))
    f.setRunId('manual:job-a:2:2')
    expect(f.sessionKey).toBe(key('job-a', 'mine'))
    expect(f.started).toBe(true)
    src.emit('agent', delta(key('job-a', 'old'), 'stale'))
    src.emit('agent', delta(key('job-a', 'mine'), 'ok'))
    expect(events.filter((e) => e.kind === 'text')).toEqual([{ kind: 'text', delta: 'ok', totalChars: 2 }])
    f.stop()
  })
})

describe('followRun replays real transcripts (protocol vectors/run-stream)', () => {
  const root = new URL('../../protocol/vectors/run-stream/', import.meta.url)
  const replay = (version: string, name: string) => {
    const frames = readFileSync(new URL(`${version}/${name}.jsonl`, root), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; payload: Record<string, unknown> })
    const started = frames.find((f) => f.event === 'cron' && f.payload.action === 'started')
    const finished = frames.find((f) => f.event === 'cron' && f.payload.action === 'finished')
    const jobId = String(started?.payload.jobId)
    const src = eventSource()
    const events: RunProgress[] = []
    const f = followRun(src.client, { jobId, onProgress: (e) => events.push(e) })
    // cron.run's answer comes before the run starts; 3.13 never says the runId again, so use 9.6's.
    if (typeof finished?.payload.runId === 'string') f.setRunId(finished.payload.runId)
    for (const frame of frames) {
      if (frame === started)
        f.report({ kind: 'started', job: { id: jobId, name: undefined, job: undefined }, runId: undefined })
      src.emit(frame.event, frame.payload)
    }
    f.stop()
    const text = events.flatMap((e) => (e.kind === 'text' ? [e.delta] : [])).join('')
    return { events, text, finished: finished?.payload ?? {}, jobId, linked: f.sessionKey }
  }
  const count = (events: RunProgress[], kind: RunProgress['kind']) =>
    events.filter((e) => e.kind === kind).length

  it.each(['2026.9.6', '2026.3.13'])(
    '%s ok, slow and tool: linked once, the text is the run summary',
    (version) => {
      for (const name of ['ok', 'slow-8', 'tool']) {
        const { events, text, finished, jobId, linked } = replay(version, name)
        expect(count(events, 'linked'), name).toBe(1)
        expect(linked, name).toContain(`cron:${jobId}`)
        expect(text, name).toBe(finished.summary)
        const nine = version === '2026.9.6'
        expect(
          events.filter((e) => e.kind === 'model'),
          name,
        ).toEqual(nine ? expect.arrayContaining([{ kind: 'model', provider: 'mock', model: 'mock-1' }]) : [])
        expect(count(events, 'finishing') > 0, name).toBe(nine)
        if (nine) expect(linked, name).toBe(finished.sessionKey)
      }
    },
  )

  it.each([
    ['2026.9.6', 'ls', true],
    ['2026.5.7', 'read', false],
  ] as const)('%s tool: the tool call by name and whether it worked', (version, name, ok) => {
    const { events } = replay(version, 'tool')
    expect(events.filter((e) => e.kind === 'tool')).toEqual([
      { kind: 'tool', phase: 'start', name, ok: undefined },
      { kind: 'tool', phase: 'end', name, ok },
    ])
  })

  it('2026.9.6 http-500: every retry numbered as the gateway numbers it, of 8', () => {
    const retries = replay('2026.9.6', 'http-500').events.filter((e) => e.kind === 'retrying')
    expect(retries.length).toBeGreaterThanOrEqual(5)
    retries.forEach((r, i) => {
      expect(r).toMatchObject({ kind: 'retrying', attempt: i + 1, max: 8, reason: 'server_error' })
      if (r.kind === 'retrying') expect(r.delayMs).toBeGreaterThan(0)
    })
  })

  it.each(['2026.3.13', '2026.5.7'])(
    '%s http-500: each new attempt after a failed one is a retry (3.13: across the re-keyed session)',
    (version) => {
      const { events } = replay(version, 'http-500')
      const retries = events.filter((e) => e.kind === 'retrying')
      expect(retries.length).toBeGreaterThanOrEqual(2)
      retries.forEach((r, i) => {
        expect(r).toMatchObject({ attempt: i + 1, max: undefined, delayMs: undefined })
        if (r.kind === 'retrying') expect(r.reason).toMatch(/500/)
      })
    },
  )
})
