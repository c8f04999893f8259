import { describe, expect, it } from 'vitest'
import { classifyGatewayError, describeCloseCode, GatewayError, type WireError } from './index.js'

// Real error shapes from docs/protocol.md (§2.4, §4.3, §5.1–§5.8, §7.2, §7.5, §12.2), v3 and v4 side by side.
const table: [string, WireError, string, Partial<GatewayError>, RegExp][] = [
  [
    'v3 protocol mismatch',
    { code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { expectedProtocol: 3 } },
    'PROTOCOL_MISMATCH',
    {},
    /gateway expects 3/,
  ],
  [
    'v4 protocol mismatch',
    {
      code: 'INVALID_REQUEST',
      message: 'protocol mismatch',
      details: {
        code: 'PROTOCOL_MISMATCH',
        clientMinProtocol: 3,
        clientMaxProtocol: 3,
        expectedProtocol: 4,
        minimumProbeProtocol: 3,
      },
    },
    'PROTOCOL_MISMATCH',
    {},
    /client speaks 3, gateway expects 4/,
  ],
  [
    'pairing required (9.6)',
    {
      code: 'NOT_PAIRED',
      message: 'pairing required: device is not approved yet',
      details: { code: 'PAIRING_REQUIRED', requestId: 'req-7c1', reason: 'not-paired' },
    },
    'PAIRING_REQUIRED',
    { requestId: 'req-7c1' },
    /requestId req-7c1/,
  ],
  [
    'scope upgrade (5.7)',
    {
      code: 'NOT_PAIRED',
      message: 'pairing required: device is asking for more scopes than currently approved',
      details: { code: 'PAIRING_REQUIRED', requestId: 'r2', reason: 'scope-upgrade' },
    },
    'SCOPE_UPGRADE_PENDING',
    { requestId: 'r2' },
    /scope upgrade pending/,
  ],
  [
    'wrong token',
    {
      code: 'INVALID_REQUEST',
      message: 'unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)',
      details: {
        code: 'AUTH_TOKEN_MISMATCH',
        authReason: 'token_mismatch',
        canRetryWithDeviceToken: false,
        recommendedNextStep: 'update_auth_credentials',
      },
    },
    'AUTH_TOKEN_MISMATCH',
    {},
    /gateway token mismatch/,
  ],
  [
    'token missing',
    {
      code: 'INVALID_REQUEST',
      message: 'unauthorized: gateway token missing (provide gateway auth token)',
      details: { code: 'AUTH_TOKEN_MISSING', recommendedNextStep: 'update_auth_configuration' },
    },
    'AUTH_TOKEN_MISSING',
    {},
    /token missing/,
  ],
  [
    'device token mismatch',
    {
      code: 'INVALID_REQUEST',
      message: 'unauthorized: device token mismatch (rotate/reissue device token)',
      details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' },
    },
    'AUTH_DEVICE_TOKEN_MISMATCH',
    {},
    /device token mismatch/,
  ],
  [
    'device token scope mismatch',
    {
      code: 'INVALID_REQUEST',
      message: 'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
      details: { code: 'AUTH_SCOPE_MISMATCH' },
    },
    'AUTH_SCOPE_MISMATCH',
    {},
    /scope mismatch/,
  ],
  [
    'device identity required',
    {
      code: 'NOT_PAIRED',
      message: 'device identity required',
      details: { code: 'DEVICE_IDENTITY_REQUIRED' },
    },
    'DEVICE_IDENTITY_REQUIRED',
    {},
    /device identity required/,
  ],
  [
    'signature expired',
    {
      code: 'INVALID_REQUEST',
      message: 'device signature expired',
      details: { code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' },
    },
    'DEVICE_SIGNATURE_EXPIRED',
    {},
    /expired/,
  ],
  [
    'signature invalid',
    {
      code: 'INVALID_REQUEST',
      message: 'device signature invalid',
      details: { code: 'DEVICE_AUTH_SIGNATURE_INVALID' },
    },
    'DEVICE_SIGNATURE_INVALID',
    {},
    /invalid/,
  ],
  [
    'nonce mismatch',
    {
      code: 'INVALID_REQUEST',
      message: 'device nonce mismatch',
      details: { code: 'DEVICE_AUTH_NONCE_MISMATCH' },
    },
    'DEVICE_NONCE_MISMATCH',
    {},
    /nonce/,
  ],
  [
    'device id mismatch',
    {
      code: 'INVALID_REQUEST',
      message: 'device identity mismatch',
      details: { code: 'DEVICE_AUTH_DEVICE_ID_MISMATCH' },
    },
    'DEVICE_ID_MISMATCH',
    {},
    /mismatch/,
  ],
  [
    'v3 missing scope',
    { code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' },
    'MISSING_SCOPE',
    { missingScope: 'operator.admin' },
    /missing scope: operator.admin/,
  ],
  [
    'v4 missing scope',
    {
      code: 'FORBIDDEN',
      message: 'missing scope: operator.read',
      details: { code: 'MISSING_SCOPE', missingScope: 'operator.read', requiredScopes: ['operator.read'] },
    },
    'MISSING_SCOPE',
    { missingScope: 'operator.read' },
    /missing scope: operator.read/,
  ],
  [
    'v3 unknown job',
    { code: 'UNAVAILABLE', message: 'Error: unknown cron job id: does-not-exist' },
    'JOB_NOT_FOUND',
    { jobId: 'does-not-exist', retryable: false },
    /does-not-exist/,
  ],
  [
    'v4 unknown job',
    {
      code: 'INVALID_REQUEST',
      message: 'Automation not found: x1. List automations and retry with a current job id.',
      details: { code: 'CRON_JOB_NOT_FOUND', jobId: 'x1' },
    },
    'JOB_NOT_FOUND',
    { jobId: 'x1' },
    /x1/,
  ],
  [
    'rate limited (9.6)',
    {
      code: 'UNAVAILABLE',
      message: 'rate limit exceeded for cron.run; retry after 59s',
      retryable: true,
      retryAfterMs: 58451,
      details: { method: 'cron.run', limit: '30 per 60s' },
    },
    'RATE_LIMITED',
    { retryable: true, retryAfterMs: 58451 },
    /rate limit/,
  ],
  [
    'gateway starting',
    {
      code: 'UNAVAILABLE',
      message: 'gateway starting; retry shortly',
      retryable: true,
      retryAfterMs: 500,
      details: { reason: 'startup-sidecars' },
    },
    'GATEWAY_STARTING',
    { retryable: true, retryAfterMs: 500 },
    /starting/,
  ],
  [
    'invalid connect params',
    {
      code: 'INVALID_REQUEST',
      message: 'invalid connect params: at /client/mode: must be equal to constant',
    },
    'INVALID_CONNECT_PARAMS',
    {},
    /client\/mode/,
  ],
  [
    'invalid cron params',
    { code: 'INVALID_REQUEST', message: "invalid cron.run params: at root: unexpected property 'jobId'" },
    'INVALID_PARAMS',
    {},
    /cron.run/,
  ],
  [
    'unknown code',
    { code: 'SOMETHING_NEW', message: 'brand new failure' },
    'GATEWAY_ERROR',
    {},
    /brand new failure/,
  ],
]

describe('classifyGatewayError', () => {
  for (const [name, wire, code, fields, message] of table) {
    it(`${name} → ${code}`, () => {
      const error = classifyGatewayError(wire, {
        method: 'cron.run',
        clientMinProtocol: 3,
        clientMaxProtocol: 4,
      })
      expect(error).toBeInstanceOf(GatewayError)
      expect(error.code).toBe(code)
      expect(error.gatewayCode).toBe(wire.code)
      expect(error.message).toMatch(message)
      expect(error).toMatchObject(fields)
      expect(error.remedy.length).toBeGreaterThan(10)
      expect(error.remedy).not.toContain('\n')
    })
  }

  it("a hostile gateway's detail codes that name built-in object properties are no table entries", () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      for (const details of [{ code: key }, { code: key, recommendedNextStep: key }]) {
        const wire: WireError = { code: 'INVALID_REQUEST', message: 'unauthorized: nope', details }
        const error = classifyGatewayError(wire, { method: 'connect' })
        expect(error.code).toBe('AUTH_FAILED')
        expect(error.remedy).toBe('check the gateway token or password')
      }
      const other = classifyGatewayError({ code: 'INVALID_REQUEST', message: 'bad', details: { code: key } })
      expect(typeof other.code).toBe('string')
      expect(typeof other.remedy).toBe('string')
    }
  })

  it('names the approve command with the requestId', () => {
    const error = classifyGatewayError({
      code: 'NOT_PAIRED',
      message: 'pairing required',
      details: { code: 'PAIRING_REQUIRED', requestId: 'abc-123', reason: 'not-paired' },
    })
    expect(error.remedy).toContain('openclaw devices approve abc-123')
  })

  it('reads the requestId from a 9.6 close-reason style message when details lack it', () => {
    const error = classifyGatewayError({
      code: 'NOT_PAIRED',
      message: 'pairing required: device is not approved yet (requestId: f00d-1)',
    })
    expect(error.code).toBe('PAIRING_REQUIRED')
    expect(error.requestId).toBe('f00d-1')
  })

  it('v3 and v4 missing scope land on the same code and scope', () => {
    const v3 = classifyGatewayError({ code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' })
    const v4 = classifyGatewayError({
      code: 'FORBIDDEN',
      message: 'missing scope: operator.admin',
      details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' },
    })
    expect([v3.code, v3.missingScope]).toEqual([v4.code, v4.missingScope])
  })
})

describe('describeCloseCode', () => {
  it.each([
    [1000, 'NORMAL_OR_HANDSHAKE_TIMEOUT', /handshake timeout/],
    [1002, 'PROTOCOL_MISMATCH', /protocol/],
    [1008, 'POLICY_VIOLATION', /refused/],
    [1009, 'FRAME_TOO_LARGE', /64 KiB/],
    [1012, 'SERVICE_RESTART', /restarting/],
    [1013, 'GATEWAY_STARTING', /starting/],
    [4000, 'TICK_TIMEOUT', /tick/],
    [4001, 'AUTH_CHANGED', /secret changed/],
    [1006, 'ABNORMAL', /without a close frame/],
    [3999, 'UNKNOWN', /3999/],
  ])('%i → %s', (code, meaning, text) => {
    const d = describeCloseCode(code, 'why')
    expect(d.code).toBe(meaning)
    expect(d.meaning).toMatch(text)
    expect(d.meaning).toContain('why')
  })
})
