import { randomUUID } from 'node:crypto'
import type { FakeGatewayFlavor, FakeWireError } from './fake-cron.js'
import type { FakeContext, FakeGatewayFault, HandshakeFailure } from './fake-types.js'

/** A refusal: this error, then a close with this code (the reason defaults to the message). */
export function fail(error: FakeWireError, closeCode = 1008, closeReason?: string): HandshakeFailure {
  return { error, closeCode, closeReason: closeReason ?? error.message }
}

/** An `AUTH_*` refusal with the details the gateway adds (docs/protocol.md §5.1). */
export function authFailure(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): HandshakeFailure {
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

export function tokenMismatch(flavor: FakeGatewayFlavor): HandshakeFailure {
  // docs/protocol.md §5.1: the hint in the message changed in 9.6.
  return authFailure(
    'AUTH_TOKEN_MISMATCH',
    flavor === '9.6'
      ? 'unauthorized: gateway token mismatch (use this gateway\u2019s gateway.auth.token or pair the device)'
      : 'unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)',
  )
}

function pairingRequirement(reason: string): string {
  return reason === 'scope-upgrade'
    ? 'device is asking for more scopes than currently approved'
    : reason === 'metadata-upgrade'
      ? 'device metadata changed'
      : reason === 'role-upgrade'
        ? 'device is asking for a role that is not approved'
        : 'device is not approved yet'
}

export function pairingFailure(
  flavor: FakeGatewayFlavor,
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
  const message = `pairing required: ${pairingRequirement(reason)}`
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

type ForcedKind =
  | 'gateway-starting'
  | 'protocol-mismatch'
  | 'pairing-required'
  | 'auth-token-mismatch'
  | 'device-token-mismatch'
  | 'signature-expired'
  | 'auth-rate-limited'
  | 'connect-error'
type ForcedFault<K extends ForcedKind = ForcedKind> = Extract<FakeGatewayFault, { kind: K }>
/** What the refused connect was asking for, for the refusals that echo it. */
type ForcedRequest = { flavor: FakeGatewayFlavor; scopes: string[]; deviceId: string | undefined }

/** The refusal each injected handshake fault produces. */
const FORCED_REFUSALS: { [K in ForcedKind]: (f: ForcedFault<K>, req: ForcedRequest) => HandshakeFailure } = {
  'gateway-starting': (f) =>
    fail(
      {
        code: 'UNAVAILABLE',
        message: 'gateway starting; retry shortly',
        retryable: true,
        retryAfterMs: f.retryAfterMs ?? 500,
        details: { reason: 'startup-sidecars' },
      },
      1013,
      'gateway starting',
    ),
  'protocol-mismatch': () =>
    fail(
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
    ),
  'pairing-required': (f, req) =>
    pairingFailure(req.flavor, f.reason ?? 'not-paired', req.deviceId, req.scopes),
  'auth-token-mismatch': (_f, req) => tokenMismatch(req.flavor),
  'device-token-mismatch': () =>
    authFailure(
      'AUTH_DEVICE_TOKEN_MISMATCH',
      'unauthorized: device token mismatch (rotate/reissue device token)',
    ),
  'signature-expired': () =>
    fail({
      code: 'INVALID_REQUEST',
      message: 'device signature expired',
      details: { code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' },
    }),
  'auth-rate-limited': (f) =>
    authFailure('AUTH_RATE_LIMITED', 'unauthorized: too many failed authentication attempts', {
      retryAfterMs: f.retryAfterMs ?? 60_000,
    }),
  'connect-error': (f) => ({
    error: f.error,
    closeCode: f.closeCode ?? 1008,
    closeReason: f.closeReason ?? f.error.message,
    sendResponse: f.sendResponse ?? true,
  }),
}
const FORCED_KINDS = Object.keys(FORCED_REFUSALS) as ForcedKind[]

/** The refusal of an injected handshake fault, when one is set (it is used up like any fault). */
export function forcedHandshakeFault(
  ctx: Pick<FakeContext, 'flavor' | 'takeFault'>,
  scopes: string[],
  deviceId?: string,
): HandshakeFailure | undefined {
  const f = ctx.takeFault(FORCED_KINDS)
  if (!f) return undefined
  // The table is keyed by kind, so the entry for f.kind takes f.
  const refusal = FORCED_REFUSALS[f.kind] as (f: ForcedFault, req: ForcedRequest) => HandshakeFailure
  return refusal(f, { flavor: ctx.flavor, scopes, deviceId })
}

/** How the fake refuses a connect, per flavor (docs/protocol.md §2.4, §4.3, §5.1, §5.4), and injected faults. */
export function createFakeRefusals(ctx: FakeContext) {
  const { flavor } = ctx
  return {
    fail,
    authFailure,
    tokenMismatch: (): HandshakeFailure => tokenMismatch(flavor),
    pairingFailure: (
      reason: string,
      deviceId: string | undefined,
      scopes: string[],
      known?: { requestId: string; approvedScopes?: string[] },
    ): HandshakeFailure => pairingFailure(flavor, reason, deviceId, scopes, known),
    forcedHandshakeFault: (scopes: string[], deviceId?: string): HandshakeFailure | undefined =>
      forcedHandshakeFault(ctx, scopes, deviceId),
  }
}
