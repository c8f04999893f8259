import { randomUUID } from 'node:crypto'
import type { FakeWireError } from './fake-cron.js'
import type { FakeContext, HandshakeFailure } from './fake-types.js'

/** How the fake refuses a connect, per flavor (docs/protocol.md §2.4, §4.3, §5.1, §5.4), and injected faults. */
export function createFakeRefusals(ctx: FakeContext) {
  const { flavor, takeFault } = ctx

  function fail(error: FakeWireError, closeCode = 1008, closeReason?: string): HandshakeFailure {
    return { error, closeCode, closeReason: closeReason ?? error.message }
  }

  function authFailure(code: string, message: string, extra: Record<string, unknown> = {}): HandshakeFailure {
    const nextStep =
      code === 'AUTH_TOKEN_MISSING' || code === 'AUTH_PASSWORD_MISSING'
        ? 'update_auth_configuration'
        : code === 'AUTH_SCOPE_MISMATCH'
          ? 'review_auth_configuration'
          : code === 'AUTH_RATE_LIMITED'
            ? 'wait_then_retry'
            : 'update_auth_credentials'
    return fail({
      code: 'INVALID_REQUEST',
      message,
      details: {
        code,
        authReason: code.replace(/^AUTH_/, '').toLowerCase(),
        canRetryWithDeviceToken: false,
        recommendedNextStep: nextStep,
        ...extra,
      },
    })
  }

  function tokenMismatch(): HandshakeFailure {
    // docs/protocol.md §5.1: the hint in the message changed in 9.6.
    return authFailure(
      'AUTH_TOKEN_MISMATCH',
      flavor === '9.6'
        ? 'unauthorized: gateway token mismatch (use this gateway\u2019s gateway.auth.token or pair the device)'
        : 'unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)',
    )
  }

  function pairingFailure(
    reason: string,
    deviceId: string | undefined,
    scopes: string[],
    known?: { requestId: string; approvedScopes?: string[] },
  ): HandshakeFailure {
    const requestId = known?.requestId ?? randomUUID()
    if (flavor === '3.13') {
      return fail(
        {
          code: 'NOT_PAIRED',
          message: 'pairing required',
          details: { code: 'PAIRING_REQUIRED', requestId, reason },
        },
        1008,
        'pairing required',
      )
    }
    const requirement =
      reason === 'scope-upgrade'
        ? 'device is asking for more scopes than currently approved'
        : reason === 'metadata-upgrade'
          ? 'device metadata changed'
          : reason === 'role-upgrade'
            ? 'device is asking for a role that is not approved'
            : 'device is not approved yet'
    const message = `pairing required: ${requirement}`
    return fail(
      {
        code: 'NOT_PAIRED',
        message,
        details: {
          code: 'PAIRING_REQUIRED',
          requestId,
          reason,
          remediationHint:
            reason === 'scope-upgrade'
              ? 'Review the requested scopes, then approve the pending upgrade.'
              : 'Approve this device from the pending pairing requests.',
          deviceId,
          requestedRole: 'operator',
          requestedScopes: scopes,
          ...(known?.approvedScopes
            ? { approvedRoles: ['operator'], approvedScopes: known.approvedScopes }
            : {}),
        },
      },
      1008,
      `${message} (requestId: ${requestId})`,
    )
  }

  function forcedHandshakeFault(scopes: string[], deviceId?: string): HandshakeFailure | undefined {
    const f = takeFault([
      'gateway-starting',
      'protocol-mismatch',
      'pairing-required',
      'auth-token-mismatch',
      'device-token-mismatch',
      'signature-expired',
      'auth-rate-limited',
      'connect-error',
    ])
    if (!f) return undefined
    switch (f.kind) {
      case 'gateway-starting':
        return fail(
          {
            code: 'UNAVAILABLE',
            message: 'gateway starting; retry shortly',
            retryable: true,
            retryAfterMs: f.retryAfterMs ?? 500,
            details: { reason: 'startup-sidecars' },
          },
          1013,
          'gateway starting',
        )
      case 'protocol-mismatch':
        return fail(
          {
            code: 'INVALID_REQUEST',
            message: 'protocol mismatch',
            details: {
              code: 'PROTOCOL_MISMATCH',
              clientMinProtocol: 3,
              clientMaxProtocol: 4,
              expectedProtocol: 5,
            },
          },
          1002,
          'protocol mismatch',
        )
      case 'pairing-required':
        return pairingFailure(f.reason ?? 'not-paired', deviceId, scopes)
      case 'auth-token-mismatch':
        return tokenMismatch()
      case 'device-token-mismatch':
        return authFailure(
          'AUTH_DEVICE_TOKEN_MISMATCH',
          'unauthorized: device token mismatch (rotate/reissue device token)',
        )
      case 'signature-expired':
        return fail({
          code: 'INVALID_REQUEST',
          message: 'device signature expired',
          details: { code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' },
        })
      case 'auth-rate-limited':
        return authFailure('AUTH_RATE_LIMITED', 'unauthorized: too many failed authentication attempts', {
          retryAfterMs: f.retryAfterMs ?? 60_000,
        })
      case 'connect-error':
        return {
          error: f.error,
          closeCode: f.closeCode ?? 1008,
          closeReason: f.closeReason ?? f.error.message,
          sendResponse: f.sendResponse ?? true,
        }
    }
    return undefined
  }

  return { fail, authFailure, tokenMismatch, pairingFailure, forcedHandshakeFault }
}
