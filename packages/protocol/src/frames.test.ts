import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeRequest, ProtocolError, parseServerFrame } from './index.js'

// A fixed number of runs, not a time budget: on a loaded CI machine they take several times the 5 s default.
const PROPERTY_TIMEOUT_MS = 60_000

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return (error as ProtocolError).code
  }
  return 'NO_ERROR'
}

describe('parseServerFrame', () => {
  it('parses res and event frames of both generations', () => {
    expect(parseServerFrame('{"type":"res","id":"1","ok":true,"payload":{"type":"hello-ok"}}')).toEqual({
      type: 'res',
      id: '1',
      ok: true,
      payload: { type: 'hello-ok' },
    })
    const err = parseServerFrame(
      '{"type":"res","id":"2","ok":false,"error":{"code":"UNAVAILABLE","message":"rate limit exceeded","retryable":true,"retryAfterMs":58451,"details":{"method":"cron.run"}}}',
    )
    expect(err.type === 'res' && err.error).toEqual({
      code: 'UNAVAILABLE',
      message: 'rate limit exceeded',
      retryable: true,
      retryAfterMs: 58451,
      details: { method: 'cron.run' },
    })
    expect(parseServerFrame('{"type":"event","event":"tick","payload":{"ts":1},"seq":4}')).toEqual({
      type: 'event',
      event: 'tick',
      payload: { ts: 1 },
      seq: 4,
    })
    const challenge = parseServerFrame(
      '{"type":"event","event":"connect.challenge","payload":{"nonce":"n","ts":5,"capabilities":["model-catalog-snapshot"]}}',
    )
    expect(challenge).toMatchObject({ event: 'connect.challenge', payload: { nonce: 'n', ts: 5 } })
  })

  // A garbage table: every entry must be refused with its own stable code.
  const garbage: [string, string, string][] = [
    ['empty string', '', 'FRAME_NOT_JSON'],
    ['truncated JSON', '{"type":"res","id":"1"', 'FRAME_NOT_JSON'],
    ['binary noise', '\u0000\u0001\uffff', 'FRAME_NOT_JSON'],
    ['null', 'null', 'FRAME_INVALID'],
    ['array', '[]', 'FRAME_INVALID'],
    ['number', '42', 'FRAME_INVALID'],
    ['string', '"res"', 'FRAME_INVALID'],
    ['no type', '{"id":"1"}', 'FRAME_UNKNOWN_TYPE'],
    ['req from server', '{"type":"req","id":"1","method":"x"}', 'FRAME_UNKNOWN_TYPE'],
    ['unknown type', '{"type":"hello"}', 'FRAME_UNKNOWN_TYPE'],
    ['res without id', '{"type":"res","ok":true}', 'FRAME_INVALID'],
    ['res with empty id', '{"type":"res","id":"","ok":true}', 'FRAME_INVALID'],
    ['res with numeric id', '{"type":"res","id":1,"ok":true}', 'FRAME_INVALID'],
    ['ok not boolean', '{"type":"res","id":"1","ok":"true"}', 'FRAME_INVALID'],
    ['failure without error', '{"type":"res","id":"1","ok":false}', 'FRAME_INVALID'],
    ['error without code', '{"type":"res","id":"1","ok":false,"error":{"message":"m"}}', 'FRAME_INVALID'],
    [
      'error with empty message',
      '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":""}}',
      'FRAME_INVALID',
    ],
    [
      'error details not object',
      '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":"m","details":[1]}}',
      'FRAME_INVALID',
    ],
    [
      'negative retryAfterMs',
      '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":"m","retryAfterMs":-1}}',
      'FRAME_INVALID',
    ],
    ['event without name', '{"type":"event","payload":{}}', 'FRAME_INVALID'],
    ['event with fractional seq', '{"type":"event","event":"tick","seq":1.5}', 'FRAME_INVALID'],
    ['__proto__ key', '{"__proto__":{"type":"res"},"type":"zzz"}', 'FRAME_UNKNOWN_TYPE'],
    ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'FRAME_INVALID'],
  ]
  for (const [name, text, code] of garbage) {
    it(`refuses ${name} with ${code}`, () => {
      expect(codeOf(() => parseServerFrame(text))).toBe(code)
    })
  }

  it(
    'only ever throws ProtocolError, for arbitrary strings',
    () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (text) => {
          try {
            parseServerFrame(text)
          } catch (error) {
            return error instanceof ProtocolError
          }
          return true
        }),
        { numRuns: 2000 },
      )
    },
    PROPERTY_TIMEOUT_MS,
  )

  it(
    'only ever throws ProtocolError, for arbitrary JSON values and frame-like objects',
    () => {
      const frameLike = fc.record(
        {
          type: fc.constantFrom('res', 'event', 'req', 'x'),
          id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          ok: fc.oneof(fc.boolean(), fc.string()),
          event: fc.oneof(fc.string(), fc.integer()),
          seq: fc.oneof(fc.integer(), fc.double(), fc.string()),
          error: fc.oneof(
            fc.jsonValue(),
            fc.record({ code: fc.string(), message: fc.string(), details: fc.jsonValue() }),
          ),
          payload: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), frameLike), (value) => {
          try {
            const frame = parseServerFrame(JSON.stringify(value) ?? 'undefined')
            return frame.type === 'res' || frame.type === 'event'
          } catch (error) {
            return error instanceof ProtocolError
          }
        }),
        { numRuns: 2000 },
      )
    },
    PROPERTY_TIMEOUT_MS,
  )
})

describe('encodeRequest', () => {
  it('writes only the four v3 keys (docs/protocol.md §1.2: extra keys are refused)', () => {
    const text = encodeRequest({ type: 'req', id: '7', method: 'cron.run', params: { id: 'j' } })
    expect(JSON.parse(text)).toEqual({ type: 'req', id: '7', method: 'cron.run', params: { id: 'j' } })
    expect(Object.keys(JSON.parse(encodeRequest({ type: 'req', id: '8', method: 'health' })))).toEqual([
      'type',
      'id',
      'method',
    ])
  })
  it('refuses an empty id or method', () => {
    expect(codeOf(() => encodeRequest({ type: 'req', id: '', method: 'x' }))).toBe('INVALID_PARAMS')
    expect(codeOf(() => encodeRequest({ type: 'req', id: '1', method: '' }))).toBe('INVALID_PARAMS')
  })
})
