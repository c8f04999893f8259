import { ClawlinkError, type ClawlinkErrorOptions } from './error-base.js'

/** Codes of {@link ProtocolError}: local problems with frames or input, found before anything is sent. */
export type ProtocolErrorCode =
  | 'FRAME_NOT_JSON'
  | 'FRAME_INVALID'
  | 'FRAME_UNKNOWN_TYPE'
  | 'INVALID_CLIENT_ID'
  | 'INVALID_CLIENT_MODE'
  | 'INVALID_PARAMS'
  | 'INVALID_ENCODING'
  | 'INVALID_KEY'
  | 'INVALID_HELLO'

const PROTOCOL_REMEDY: Record<ProtocolErrorCode, string> = {
  FRAME_NOT_JSON: 'the peer is not speaking the OpenClaw protocol: check that the URL points at the gateway',
  FRAME_INVALID: 'the peer is not speaking the OpenClaw protocol: check that the URL points at the gateway',
  FRAME_UNKNOWN_TYPE:
    'the peer is not speaking the OpenClaw protocol: check that the URL points at the gateway',
  INVALID_CLIENT_ID: 'use one of the client ids the gateway accepts (docs/protocol.md §2.3)',
  INVALID_CLIENT_MODE: 'use one of the client modes the gateway accepts (docs/protocol.md §2.3)',
  INVALID_PARAMS: 'check the parameters of the call',
  INVALID_ENCODING: 'check the value: it is not valid in the expected encoding',
  INVALID_KEY: 'use a raw 32-byte Ed25519 key (clawlink device init makes one)',
  INVALID_HELLO:
    'the gateway answered connect with something that is not a hello-ok: check the URL and the gateway version',
}

/** A malformed frame from the wire or invalid local input; never a gateway's verdict. */
export class ProtocolError extends ClawlinkError<ProtocolErrorCode> {
  override name = 'ProtocolError' as const
  constructor(code: ProtocolErrorCode, message: string, options: DefaultedRemedy = {}) {
    super(code, message, { ...options, remedy: options.remedy ?? PROTOCOL_REMEDY[code] })
  }
}

/**
 * The codes any signer may throw, whatever holds its key. A back-end declares its own codes in its package
 * (`FileSignerErrorCode`, `AgentSignerErrorCode`, …) and throws `SignerError<ItsCodes>`; every code, generic or
 * not, has a row in docs/errors.md.
 */
export type SignerErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'SIGNER_TIMEOUT'
  | 'ABORTED'
  | 'INVALID_OPTIONS'
  | 'INVALID_SIGNATURE'

/** The base's options where the class has a default remedy for its codes. */
export type DefaultedRemedy = Omit<ClawlinkErrorOptions, 'remedy'> & { remedy?: string }

/**
 * Options of {@link SignerError}: the base's; `remedy` defaults to "check the signer configuration (clawlink device
 * show, clawlink doctor)", `retryable` to true for SIGNER_TIMEOUT only (a slow back-end may answer next time).
 */
export type SignerErrorOptions = DefaultedRemedy

/**
 * A device signer could not produce a key or a signature. `C` is the set of codes the thrower may use: the generic
 * {@link SignerErrorCode} by default, a back-end's own union (which includes the generic ones) in a back-end. The
 * code argument does not widen `C`, so a misspelt code fails to compile.
 */
export class SignerError<C extends string = SignerErrorCode> extends ClawlinkError<C> {
  override name = 'SignerError' as const
  constructor(code: NoInfer<C>, message: string, options: SignerErrorOptions = {}) {
    super(code, message, {
      ...options,
      remedy: options.remedy ?? 'check the signer configuration (clawlink device show, clawlink doctor)',
      // A signer that was slow may answer next time; every other signer problem needs a fix first.
      retryable: options.retryable ?? code === 'SIGNER_TIMEOUT',
    })
  }
}

/** Stable codes of {@link GatewayError}: what the gateway said, whatever its version. */
export type GatewayErrorCode =
  | 'PROTOCOL_MISMATCH'
  | 'PAIRING_REQUIRED'
  | 'SCOPE_UPGRADE_PENDING'
  | 'AUTH_TOKEN_MISMATCH'
  | 'AUTH_TOKEN_MISSING'
  | 'AUTH_PASSWORD_MISMATCH'
  | 'AUTH_PASSWORD_MISSING'
  | 'AUTH_DEVICE_TOKEN_MISMATCH'
  | 'AUTH_SCOPE_MISMATCH'
  | 'AUTH_RATE_LIMITED'
  | 'AUTH_FAILED'
  | 'DEVICE_IDENTITY_REQUIRED'
  | 'DEVICE_SIGNATURE_EXPIRED'
  | 'DEVICE_SIGNATURE_INVALID'
  | 'DEVICE_NONCE_MISMATCH'
  | 'DEVICE_ID_MISMATCH'
  | 'DEVICE_PUBLIC_KEY_INVALID'
  | 'INVALID_CONNECT_PARAMS'
  | 'INVALID_PARAMS'
  | 'MISSING_SCOPE'
  | 'JOB_NOT_FOUND'
  | 'RATE_LIMITED'
  | 'GATEWAY_STARTING'
  | 'UNAVAILABLE'
  | 'FORBIDDEN'
  | 'UNKNOWN_METHOD'
  | 'GATEWAY_ERROR'

/** The shape of `res.error` on the wire (docs/protocol.md §1.2). */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
  retryable?: boolean
  retryAfterMs?: number
}

/** The options of {@link GatewayError} (see `classifyGatewayError`): the base's, and what the gateway sent. */
export interface GatewayErrorOptions extends ClawlinkErrorOptions {
  gatewayCode: string
  detailCode?: string | undefined
  details?: Record<string, unknown>
  requestId?: string | undefined
  missingScope?: string | undefined
  jobId?: string | undefined
}

/** What the gateway answered when it refused something, classified, with the one-line fix. */
export class GatewayError extends ClawlinkError<GatewayErrorCode> {
  override name = 'GatewayError' as const
  /** `error.code` as sent (`INVALID_REQUEST`, `NOT_PAIRED`, …). */
  readonly gatewayCode: string
  /** `error.details.code` as sent, when present. */
  readonly detailCode: string | undefined
  override readonly details: Record<string, unknown>
  readonly requestId: string | undefined
  readonly missingScope: string | undefined
  readonly jobId: string | undefined
  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions) {
    super(code, message, options)
    this.gatewayCode = options.gatewayCode
    this.detailCode = options.detailCode
    this.details = options.details ?? {}
    this.requestId = options.requestId
    this.missingScope = options.missingScope
    this.jobId = options.jobId
  }
}
