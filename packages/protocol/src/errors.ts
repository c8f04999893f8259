import { ClawlinkError } from './error-base.js'

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
  constructor(code: ProtocolErrorCode, message: string, options: { cause?: unknown; remedy?: string } = {}) {
    super(code, message, { remedy: options.remedy ?? PROTOCOL_REMEDY[code], cause: options.cause })
  }
}

/** Codes of {@link SignerError}; every signer back-end throws only these (docs/errors.md). */
export type SignerErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_FILE_INSECURE'
  | 'KEY_FILE_CORRUPT'
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_EXISTS'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'KEYTAR_NOT_BUILT'
  | 'AGENT_UNAVAILABLE'
  | 'AGENT_KEY_NOT_FOUND'
  | 'AGENT_KEY_AMBIGUOUS'
  | 'AGENT_REFUSED'
  | 'AGENT_PROTOCOL'
  | 'EXEC_FAILED'
  | 'EXEC_TIMEOUT'
  | 'EXEC_BAD_OUTPUT'
  | 'PKCS11_NOT_BUILT'
  | 'PKCS11_URI_INVALID'
  | 'PKCS11_MODULE_NOT_FOUND'
  | 'PKCS11_MODULE_INVALID'
  | 'PKCS11_TOKEN_NOT_FOUND'
  | 'PKCS11_PIN_REQUIRED'
  | 'PKCS11_PIN_FILE_INSECURE'
  | 'PKCS11_PIN_INCORRECT'
  | 'PKCS11_PIN_LOCKED'
  | 'PKCS11_KEY_NOT_FOUND'
  | 'PKCS11_KEY_AMBIGUOUS'
  | 'PKCS11_KEY_NOT_ED25519'
  | 'PKCS11_MECHANISM_UNSUPPORTED'
  | 'PKCS11_DEVICE_ERROR'
  | 'SIGNER_TIMEOUT'
  | 'ABORTED'
  | 'INVALID_OPTIONS'
  | 'INVALID_SIGNATURE'

// A signer that was slow may answer next time; every other signer problem needs a fix first.
const RETRYABLE_SIGNER_CODES: ReadonlySet<string> = new Set(['SIGNER_TIMEOUT', 'EXEC_TIMEOUT'])

/** A device signer could not produce a key or a signature. */
export class SignerError extends ClawlinkError<SignerErrorCode> {
  override name = 'SignerError' as const
  constructor(code: SignerErrorCode, message: string, options: { cause?: unknown; remedy?: string } = {}) {
    super(code, message, {
      remedy: options.remedy ?? 'check the signer configuration (clawlink device show, clawlink doctor)',
      retryable: RETRYABLE_SIGNER_CODES.has(code),
      cause: options.cause,
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

/** What {@link GatewayError} is built from (see `classifyGatewayError`). */
export interface GatewayErrorInit {
  code: GatewayErrorCode
  message: string
  gatewayCode: string
  detailCode?: string | undefined
  details?: Record<string, unknown>
  retryable?: boolean
  retryAfterMs?: number | undefined
  remedy: string
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
  readonly details: Record<string, unknown>
  readonly requestId: string | undefined
  readonly missingScope: string | undefined
  readonly jobId: string | undefined
  constructor(init: GatewayErrorInit) {
    super(init.code, init.message, {
      remedy: init.remedy,
      retryable: init.retryable ?? false,
      retryAfterMs: init.retryAfterMs,
    })
    this.gatewayCode = init.gatewayCode
    this.detailCode = init.detailCode
    this.details = init.details ?? {}
    this.requestId = init.requestId
    this.missingScope = init.missingScope
    this.jobId = init.jobId
  }
}
