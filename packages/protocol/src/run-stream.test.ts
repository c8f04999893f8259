import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cronJobOfSession,
  MAX_STREAM_DELTA_CHARS,
  parseAgentEvent,
  parseChatEvent,
  parseTaskEvent,
  taskNamesCronRun,
} from './index.js'
import { MAX_STREAM_ID_CHARS, MAX_STREAM_LABEL_CHARS } from './run-stream.js'

const session =
  'agent:main:cron:5bb2649c-e73c-4121-bde8-e4bd1b1f4443:run:b31270ba-5ef2-4fb8-b10a-dc3dbe2afb3a'
const agent = (stream: string, data: unknown, extra: Record<string, unknown> = {}) => ({
  runId: '06c13483-72b8-4dd0-8a34-0708f5ead613',
  sessionKey: session,
  stream,
  data,
  seq: 3,
  ts: 1796632188279,
  ...extra,
})

describe('parseAgentEvent (docs/protocol.md §7.7)', () => {
  it.each([
    ['lifecycle start', agent('lifecycle', { phase: 'start', startedAt: 1 }), { kind: 'start' }],
    [
      'lifecycle model',
      agent('lifecycle', { phase: 'model', provider: 'mock', model: 'mock-1' }),
      { kind: 'model', provider: 'mock', model: 'mock-1' },
    ],
    [
      "9.6's empty model notice after finishing",
      agent('lifecycle', { phase: 'model', provider: null, model: null }),
      { kind: 'model', provider: undefined, model: undefined },
    ],
    [
      'lifecycle finishing',
      agent('lifecycle', { phase: 'finishing', stopReason: 'stop' }),
      { kind: 'finishing' },
    ],
    [
      'lifecycle end',
      agent('lifecycle', { phase: 'end', stopReason: 'stop', aborted: false }),
      { kind: 'end', aborted: false, stopReason: 'stop' },
    ],
    [
      'lifecycle error (a payload timeout)',
      agent('lifecycle', { phase: 'error', error: 'cron: job execution timed out', aborted: true }),
      { kind: 'error', message: 'cron: job execution timed out' },
    ],
    [
      'assistant text',
      agent('assistant', { text: 'Hello mock.', delta: ' mock.' }),
      { kind: 'text', delta: ' mock.', chars: 6, truncated: false },
    ],
    [
      'tool start',
      agent('item', { kind: 'tool', phase: 'start', name: 'read', itemId: 'x' }),
      { kind: 'tool', phase: 'start', name: 'read', ok: undefined },
    ],
    [
      'tool end, failed',
      agent('item', { kind: 'tool', phase: 'end', name: 'read', status: 'failed' }),
      { kind: 'tool', phase: 'end', name: 'read', ok: false },
    ],
    [
      'run_status retrying',
      agent('run_status', {
        phase: 'retrying',
        message: 'Provider temporarily unavailable. Retrying in 2s (1/8).',
        retryAttempt: 1,
        maxRetries: 8,
        delayMs: 1380,
        attempt: 2,
        maxAttempts: 9,
        reason: 'server_error',
      }),
      {
        kind: 'retrying',
        attempt: 1,
        max: 8,
        delayMs: 1380,
        reason: 'server_error',
        message: 'Provider temporarily unavailable. Retrying in 2s (1/8).',
      },
    ],
    [
      'run_status retrying with attempts only',
      agent('run_status', { phase: 'retrying', attempt: 8, maxAttempts: 9 }),
      { kind: 'retrying', attempt: 7, max: 8, delayMs: undefined, reason: undefined, message: undefined },
    ],
    [
      'usage (9.6 camelCase)',
      agent('usage', { outputTokens: 12 }),
      { kind: 'usage', input: undefined, output: 12, total: undefined },
    ],
    [
      "3.13's error stream (a seq gap notice between retries)",
      agent('error', { reason: 'seq gap', expected: 1, received: 3 }),
      { kind: 'notice', message: 'seq gap' },
    ],
  ])('%s', (_name, payload, item) => {
    const event = parseAgentEvent(payload)
    expect(event).toMatchObject({ runId: payload.runId, sessionKey: session, seq: 3, stream: payload.stream })
    expect(event?.item).toEqual(item)
  })

  it.each([
    ['no runId', { stream: 'lifecycle', data: { phase: 'start' } }],
    ['no stream', { runId: 'r', data: {} }],
    ['an array', []],
    [
      'a runId longer than any real one',
      agent('lifecycle', {}, { runId: 'r'.repeat(MAX_STREAM_ID_CHARS + 1) }),
    ],
  ])('refuses %s', (_name, payload) => {
    expect(parseAgentEvent(payload)).toBeUndefined()
  })

  it('keeps unknown streams and phases as alive-but-unknown (item undefined), drops a too-long session key', () => {
    expect(parseAgentEvent(agent('thinking', { text: 'x' }))?.item).toBeUndefined()
    expect(parseAgentEvent(agent('lifecycle', { phase: 'fallback' }))?.item).toBeUndefined()
    expect(
      parseAgentEvent(agent('item', { kind: 'status', phase: 'update', title: 'Fast' }))?.item,
    ).toBeUndefined()
    expect(
      parseAgentEvent(agent('lifecycle', {}, { sessionKey: 's'.repeat(600) }))?.sessionKey,
    ).toBeUndefined()
  })

  it('cuts a huge delta and long labels, keeping the true length', () => {
    const huge = 'x'.repeat(1_000_000)
    const event = parseAgentEvent(agent('assistant', { delta: huge }))
    expect(event?.item).toEqual({
      kind: 'text',
      delta: 'x'.repeat(MAX_STREAM_DELTA_CHARS),
      chars: 1_000_000,
      truncated: true,
    })
    const model = parseAgentEvent(agent('lifecycle', { phase: 'model', provider: huge, model: 'm' }))?.item
    expect(model?.kind === 'model' && model.provider?.length).toBe(MAX_STREAM_LABEL_CHARS)
  })

  it('never throws and never keeps more than the bounds, whatever the payload', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.string(), { maxLength: 3 }),
    )
    const data = fc.dictionary(
      fc.constantFrom(
        'phase',
        'delta',
        'text',
        'kind',
        'name',
        'attempt',
        'maxAttempts',
        'delayMs',
        'provider',
        'model',
        'outputTokens',
        'error',
        'status',
      ),
      fc.oneof(value, fc.constantFrom('start', 'model', 'end', 'error', 'tool', 'retrying', 'finishing')),
    )
    const payload = fc.record(
      {
        runId: value,
        sessionKey: value,
        stream: fc.oneof(
          value,
          fc.constantFrom(
            'lifecycle',
            'assistant',
            'item',
            'run_status',
            'usage',
            'error',
            '__proto__',
            'constructor',
          ),
        ),
        data: fc.oneof(value, data),
        seq: value,
        ts: value,
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.oneof(value, payload), (p) => {
        const event = parseAgentEvent(p)
        if (!event) return
        expect(event.runId.length).toBeLessThanOrEqual(MAX_STREAM_ID_CHARS)
        if (event.item?.kind === 'text')
          expect(event.item.delta.length).toBeLessThanOrEqual(MAX_STREAM_DELTA_CHARS)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('parseTaskEvent (9.x automation runs)', () => {
  const cronRunId = 'manual:5bb2649c-e73c-4121-bde8-e4bd1b1f4443:1796632165944:1'
  const task = (extra: Record<string, unknown>) => ({
    action: 'upserted',
    task: {
      kind: 'automation_run',
      runtime: 'cron',
      status: 'running',
      runId: `cron:5bb2649c-e73c-4121-bde8-e4bd1b1f4443:1796632165968:2b0e6d69-fcb3-49c2-a730-fb1e55fe46af:${cronRunId}`,
      sourceId: '5bb2649c-e73c-4121-bde8-e4bd1b1f4443',
      progressSummary: 'Running automation.',
      sessionKey: '',
      ...extra,
    },
  })

  it('reads the run, the job and the child session once the gateway made it', () => {
    expect(parseTaskEvent(task({}))).toMatchObject({ childSessionKey: undefined, status: 'running' })
    const linked = parseTaskEvent(task({ childSessionKey: session }))
    expect(linked).toMatchObject({
      jobId: '5bb2649c-e73c-4121-bde8-e4bd1b1f4443',
      childSessionKey: session,
      progressSummary: 'Running automation.',
    })
    expect(linked && taskNamesCronRun(linked, cronRunId)).toBe(true)
  })

  it('links only its own cron run: a runId that merely contains ours, or ends in another, does not match', () => {
    const event = parseTaskEvent(task({}))!
    expect(taskNamesCronRun(event, `${cronRunId}0`)).toBe(false)
    expect(taskNamesCronRun(event, cronRunId.replace(':1', ':2'))).toBe(false)
    expect(taskNamesCronRun(event, '1')).toBe(true) // a suffix after ':' — callers pass whole cron runIds
  })

  it.each([
    ['another kind of task', task({ kind: 'subagent' })],
    ['no runId', task({ runId: undefined })],
    ['not an object', 'task'],
  ])('ignores %s', (_name, payload) => {
    expect(parseTaskEvent(payload)).toBeUndefined()
  })
})

describe('parseChatEvent', () => {
  it('reads deltas, finals and errors; refuses unknown states', () => {
    expect(
      parseChatEvent({ runId: 'r', sessionKey: session, seq: 3, state: 'delta', deltaText: 'Hello' }),
    ).toEqual({
      runId: 'r',
      sessionKey: session,
      seq: 3,
      state: 'delta',
      delta: 'Hello',
      error: undefined,
    })
    expect(parseChatEvent({ sessionKey: session, state: 'error', errorMessage: 'HTTP 400' })?.error).toBe(
      'HTTP 400',
    )
    expect(parseChatEvent({ sessionKey: session, state: 'thinking' })).toBeUndefined()
    expect(parseChatEvent({ state: 'final' })).toBeUndefined()
  })

  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything(), (p) => {
        parseChatEvent(p)
        parseTaskEvent(p)
        parseAgentEvent(p)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('cronJobOfSession', () => {
  it.each([
    [session, '5bb2649c-e73c-4121-bde8-e4bd1b1f4443'],
    ['agent:main:cron:job-1', 'job-1'],
    ['cron:job-1:run:4339452e', 'job-1'],
    ['cron:job-1', 'job-1'],
    ['agent:main:main', undefined],
    ['agent:main:cron:', undefined],
    ['agent:main:subagent:cron:job-1', undefined],
    ['agent:main:cron:job-1:thread:x', undefined],
    ['agent:main:cron:job-1:run:', undefined],
  ])('%s → %s', (key, job) => {
    expect(cronJobOfSession(key)).toBe(job)
  })
})

describe('real transcripts (vectors/run-stream)', () => {
  const root = new URL('../vectors/run-stream/', import.meta.url)
  for (const version of readdirSync(root).filter((name) => /^\d{4}\./.test(name))) {
    for (const file of readdirSync(new URL(`${version}/`, root)).filter((f) => f.endsWith('.jsonl'))) {
      it(`${version}/${file}: every agent, task and chat event parses`, () => {
        const lines = readFileSync(new URL(`${version}/${file}`, root), 'utf8')
          .split('\n')
          .filter(Boolean)
        let agents = 0
        for (const line of lines) {
          const { event, payload } = JSON.parse(line) as { event?: string; payload?: unknown }
          if (event === 'agent') {
            agents++
            expect(parseAgentEvent(payload), line).toBeDefined()
          }
          if (event === 'chat') expect(parseChatEvent(payload), line).toBeDefined()
          if (event === 'task') expect(parseTaskEvent(payload), line).toBeDefined()
        }
        expect(agents).toBeGreaterThan(0)
      })
    }
  }
})
