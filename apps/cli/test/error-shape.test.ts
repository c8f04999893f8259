import { ClientError } from '@clawlink/client'
import { ConfigError } from '@clawlink/config'
import { ClawlinkError, GatewayError, ProtocolError, SignerError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT } from '../src/exit-codes.js'

// One constructor shape for every error class (issue 23): (code, message, {remedy, retryable, retryAfterMs,
// cause, details}); a subclass only names itself, narrows its codes and adds its own facts.

const cause = new Error('underneath')
const options = { remedy: 'do this', retryable: true, retryAfterMs: 1500, cause, details: { jobId: 'j1' } }

const built: Array<[string, ClawlinkError, { retryable: boolean }]> = [
  ['ClientError', new ClientError('UNREACHABLE', 'm', options), { retryable: true }],
  [
    'GatewayError',
    new GatewayError('RATE_LIMITED', 'm', { ...options, gatewayCode: 'UNAVAILABLE' }),
    { retryable: true },
  ],
  ['ProtocolError', new ProtocolError('FRAME_INVALID', 'm', options), { retryable: true }],
  ['SignerError', new SignerError('SIGNER_TIMEOUT', 'm', options), { retryable: true }],
  // A settings problem needs a person: never retried, whatever the caller passed.
  ['ConfigError', new ConfigError('CONFIG_PARSE', 'm', options), { retryable: false }],
  ['CliError', new CliError('USAGE', 'm', { ...options, exitCode: EXIT.USAGE }), { retryable: true }],
]

describe('every error class takes (code, message, options)', () => {
  for (const [name, error, expected] of built) {
    it(`${name}: code, message, remedy, retry facts, cause and details land where the base puts them`, () => {
      expect(error).toBeInstanceOf(ClawlinkError)
      expect(error.name).toBe(name)
      expect(error.message).toBe('m')
      expect(error.remedy).toBe('do this')
      expect(error.shouldRetry()).toBe(expected.retryable)
      expect(error.retryAfterMs).toBe(1500)
      expect(error.cause).toBe(cause)
      expect(error.details).toEqual({ jobId: 'j1' })
    })
  }
})
