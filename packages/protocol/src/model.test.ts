import { describe, expect, it } from 'vitest'
import {
  base64Decode,
  base64Encode,
  base64UrlDecode,
  base64UrlEncode,
  buildCronListParams,
  buildCronRunParams,
  buildCronRunsParams,
  canCall,
  effectiveScopes,
  matchCronJob,
  missingScope,
  parseCronEvent,
  parseCronJobs,
  parseCronRunResult,
  parseCronRuns,
  parseHelloOk,
  ProtocolError,
  publicKeyFrom,
  requiredScope,
  runSucceeded,
} from './index.js'

describe('base64', () => {
  it('round-trips every length and matches the platform encoder', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)
      expect(base64Encode(bytes)).toBe(Buffer.from(bytes).toString('base64'))
      expect(base64UrlEncode(bytes)).toBe(Buffer.from(bytes).toString('base64url'))
      expect(base64UrlDecode(base64UrlEncode(bytes))).toEqual(bytes)
      expect(base64Decode(base64Encode(bytes))).toEqual(bytes)
    }
  })
  it('refuses foreign characters and impossible lengths', () => {
    expect(() => base64UrlDecode('ab+c')).toThrow(ProtocolError)
    expect(() => base64Decode('a')).toThrow(ProtocolError)
    expect(() => base64Decode('ab$c')).toThrow(ProtocolError)
  })
  it('takes a public key from raw bytes, base64url or SPKI', () => {
    const raw = new Uint8Array(32).fill(3)
    expect(publicKeyFrom(raw)).toEqual(raw)
    expect(publicKeyFrom(base64UrlEncode(raw))).toEqual(raw)
    expect(() => publicKeyFrom(new Uint8Array(31))).toThrow(ProtocolError)
  })
})

describe('scopes (docs/protocol.md §7.4, §12.1)', () => {
  it('matches the checks run against the real 3.13 authoriser', () => {
    expect(missingScope([], 'cron.run')).toBe('operator.admin')
    expect(missingScope(['operator.write'], 'cron.run')).toBe('operator.admin')
    expect(canCall(['operator.admin'], 'cron.run')).toBe(true)
    expect(canCall(['operator.write'], 'cron.list')).toBe(true)
    expect(canCall(['operator.read'], 'cron.list')).toBe(true)
    expect(missingScope(['operator.read'], 'some.unknown.method')).toBe('operator.admin')
    expect(canCall([], 'health')).toBe(true)
    expect(requiredScope('device.pair.approve')).toBe('operator.pairing')
    expect(canCall(['operator.admin'], 'device.pair.approve')).toBe(true)
    expect(requiredScope('config.patch')).toBe('operator.admin')
    expect(requiredScope('config.get')).toBe('operator.read')
  })
})

describe('parseHelloOk (docs/protocol.md §3)', () => {
  const policy = { maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 }
  it('3.13 token-only: no auth, no effective scopes', () => {
    const hello = parseHelloOk({
      type: 'hello-ok',
      protocol: 3,
      server: { version: '2026.3.13', connId: 'c' },
      features: { methods: ['cron.run'], events: ['tick'] },
      policy,
    })
    expect(hello.auth).toBeUndefined()
    expect(hello.scopesAreLive).toBe(false)
    expect(effectiveScopes(hello, ['operator.admin'])).toEqual([])
    expect(hello.policy.tickIntervalMs).toBe(30000)
  })
  it('5.7 token-only: scopes [] means none', () => {
    const hello = parseHelloOk({
      type: 'hello-ok',
      protocol: 3,
      auth: { role: 'operator', scopes: [] },
      policy,
    })
    expect(effectiveScopes(hello, ['operator.admin'])).toEqual([])
  })
  it('v3 paired device: the token lists more, the socket holds what was requested', () => {
    const hello = parseHelloOk({
      type: 'hello-ok',
      protocol: 3,
      auth: {
        deviceToken: 'd'.repeat(43),
        role: 'operator',
        scopes: [
          'operator.admin',
          'operator.approvals',
          'operator.pairing',
          'operator.read',
          'operator.write',
        ],
      },
      policy,
    })
    expect(hello.auth?.deviceToken).toHaveLength(43)
    expect(effectiveScopes(hello, ['operator.read'])).toEqual(['operator.read'])
  })
  it('v4: auth.scopes are live', () => {
    const hello = parseHelloOk({
      type: 'hello-ok',
      protocol: 4,
      auth: { method: 'token', role: 'operator', scopes: ['operator.read'] },
      policy: {},
    })
    expect(hello.scopesAreLive).toBe(true)
    expect(hello.auth?.method).toBe('token')
    expect(effectiveScopes(hello, ['operator.admin'])).toEqual(['operator.read'])
    expect(hello.policy.maxPayload).toBe(26214400)
  })
  it('refuses what is not a hello-ok', () => {
    expect(() => parseHelloOk({ type: 'hello' })).toThrow(expect.objectContaining({ code: 'INVALID_HELLO' }))
    expect(() => parseHelloOk({ type: 'hello-ok', protocol: 'x' })).toThrow(ProtocolError)
  })
})

describe('cron params (docs/protocol.md §7.1, §12.2 #16)', () => {
  it('builds valid cron.run params', () => {
    expect(buildCronRunParams({ id: 'j1' })).toEqual({ id: 'j1', mode: 'force' })
    expect(buildCronRunParams({ jobId: 'j1', mode: 'due' })).toEqual({ jobId: 'j1', mode: 'due' })
  })
  it.each([
    ['both id and jobId', { id: 'a', jobId: 'b' }],
    ['a name', { name: 'x' }],
    ['no id', {}],
    ['an empty id', { id: ' ' }],
    ['a slash in the id', { id: 'a/b' }],
    ['a bad mode', { id: 'a', mode: 'now' }],
  ])('refuses %s locally', (_name, options) => {
    expect(() => buildCronRunParams(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMS' }),
    )
  })
  it('validates list and runs params', () => {
    expect(buildCronListParams({ includeDisabled: true, limit: 200, offset: 0 })).toEqual({
      includeDisabled: true,
      limit: 200,
      offset: 0,
    })
    expect(() => buildCronListParams({ limit: 201 })).toThrow(ProtocolError)
    expect(buildCronRunsParams({ id: 'j', limit: 5 })).toEqual({ id: 'j', limit: 5 })
    expect(buildCronRunsParams()).toEqual({})
  })
})

describe('cron results (docs/protocol.md §7.2, §7.3)', () => {
  it('parses run results, events, jobs and runs', () => {
    expect(parseCronRunResult({ ok: true, enqueued: true, runId: 'manual:j:1:1' })).toMatchObject({
      enqueued: true,
      runId: 'manual:j:1:1',
    })
    expect(parseCronRunResult({ ok: true, ran: false, reason: 'not-due' })).toMatchObject({
      enqueued: false,
      ran: false,
      reason: 'not-due',
    })
    expect(
      parseCronEvent({ jobId: 'j', action: 'finished', status: 'ok', summary: 'hi', durationMs: 6 }),
    ).toMatchObject({ status: 'ok', runId: undefined })
    expect(parseCronEvent({ action: 'finished' })).toBeUndefined()
    const jobs = parseCronJobs({
      jobs: [
        { id: 'a', name: 'nightly', enabled: true, state: { nextRunAtMs: 5, lastStatus: 'ok' } },
        { name: 'no id' },
      ],
    })
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({ id: 'a', nextRunAtMs: 5, lastStatus: 'ok' })
    expect(parseCronRuns({ entries: [{ jobId: 'a', status: 'error', error: 'boom' }] })[0]).toMatchObject({
      status: 'error',
      error: 'boom',
    })
    expect(runSucceeded({ status: 'ok' })).toBe(true)
    expect(runSucceeded({ status: 'ok', completionStatus: 'failed' })).toBe(false)
    expect(runSucceeded({ status: 'error' })).toBe(false)
  })
  it('matches a job by id, then exact name, else suggests close names', () => {
    const jobs = parseCronJobs({
      jobs: [
        { id: 'id-1', name: 'nightly-report' },
        { id: 'id-2', name: 'weekly-report' },
        { id: 'id-3', name: 'dup' },
        { id: 'id-4', name: 'dup' },
      ],
    })
    expect(matchCronJob(jobs, 'id-2')).toMatchObject({
      kind: 'found',
      by: 'id',
      job: { name: 'weekly-report' },
    })
    expect(matchCronJob(jobs, 'nightly-report')).toMatchObject({
      kind: 'found',
      by: 'name',
      job: { id: 'id-1' },
    })
    expect(matchCronJob(jobs, 'dup')).toMatchObject({
      kind: 'ambiguous',
      matches: [{ id: 'id-3' }, { id: 'id-4' }],
    })
    const none = matchCronJob(jobs, 'nightly-reprot')
    expect(none.kind).toBe('none')
    expect(none.kind === 'none' && none.suggestions[0]?.name).toBe('nightly-report')
    expect(matchCronJob(jobs, 'zzzzzzzzzzzzzzzzzzzz')).toEqual({ kind: 'none', suggestions: [] })
  })
})
