import { ClientError } from '@clawlink/client'
import { ConfigError } from '@clawlink/config'
import {
  ClawlinkError,
  type ClawlinkErrorOptions,
  GatewayError,
  ProtocolError,
  SignerError,
} from '@clawlink/protocol'

/** Stable exit codes, one per failure kind (documented in README.md and docs/errors.md). */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG: 3,
  SIGNER: 4,
  UNREACHABLE: 5,
  AUTH: 6,
  PAIRING_REQUIRED: 7,
  MISSING_SCOPE: 8,
  JOB_NOT_FOUND: 9,
  RUN_FAILED: 10,
  TIMEOUT: 11,
  PROTOCOL_MISMATCH: 12,
  ALREADY_RUNNING: 13,
  JOB_AMBIGUOUS: 14,
  RATE_LIMITED: 15,
  GATEWAY_ERROR: 16,
  TLS: 17,
  /** `cron check`: some scheduled fires left no run. */
  MISSED_FIRES: 18,
  /** `audit verify`: a line of the audit log breaks its hash chain (edited, deleted, reordered, inserted, cut). */
  AUDIT_CHAIN_BROKEN: 19,
  /** Ctrl-C (128 + SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** What each exit code means, in a few words (`clawlink --help`, a command's help). Every code has one. */
export const EXIT_LABELS: Record<keyof typeof EXIT, string> = {
  OK: 'ok',
  INTERNAL: 'internal',
  USAGE: 'usage',
  CONFIG: 'config',
  SIGNER: 'signer/key',
  UNREACHABLE: 'unreachable',
  AUTH: 'auth',
  PAIRING_REQUIRED: 'pairing required',
  MISSING_SCOPE: 'missing scope',
  JOB_NOT_FOUND: 'job not found',
  RUN_FAILED: 'run failed',
  TIMEOUT: 'timeout',
  PROTOCOL_MISMATCH: 'protocol mismatch',
  ALREADY_RUNNING: 'already running',
  JOB_AMBIGUOUS: 'ambiguous job name',
  RATE_LIMITED: 'rate limited',
  GATEWAY_ERROR: 'other gateway error',
  TLS: 'TLS/insecure URL',
  MISSED_FIRES: 'missed fires (cron check)',
  AUDIT_CHAIN_BROKEN: 'audit chain broken (audit verify)',
  INTERRUPTED: 'interrupted (Ctrl-C)',
}

/** `Exit codes: 0 ok, 2 usage, …` in code order, wrapped at about 110 columns. */
export function exitCodesText(): string {
  const items = (Object.keys(EXIT) as (keyof typeof EXIT)[])
    .sort((a, b) => EXIT[a] - EXIT[b])
    .map((k) => `${EXIT[k]} ${EXIT_LABELS[k]}`)
  const lines: string[] = []
  let line = 'Exit codes:'
  for (const [i, item] of items.entries()) {
    const piece = ` ${item}${i === items.length - 1 ? '.' : ','}`
    if (line.length + piece.length > 110) {
      lines.push(line)
      line = piece.trimStart()
    } else line += piece
  }
  return [...lines, line].join('\n')
}

/** A failure the CLI itself reports (usage, ambiguous job, run failed …): the base's options, and its exit code. */
export class CliError extends ClawlinkError {
  override name = 'CliError' as const
  readonly exitCode: ExitCode
  constructor(code: string, message: string, options: ClawlinkErrorOptions & { exitCode: ExitCode }) {
    super(code, message, options)
    this.exitCode = options.exitCode
  }
}

const GATEWAY_EXIT: Partial<Record<GatewayError['code'], ExitCode>> = {
  PROTOCOL_MISMATCH: EXIT.PROTOCOL_MISMATCH,
  PAIRING_REQUIRED: EXIT.PAIRING_REQUIRED,
  SCOPE_UPGRADE_PENDING: EXIT.PAIRING_REQUIRED,
  DEVICE_IDENTITY_REQUIRED: EXIT.AUTH,
  MISSING_SCOPE: EXIT.MISSING_SCOPE,
  JOB_NOT_FOUND: EXIT.JOB_NOT_FOUND,
  RATE_LIMITED: EXIT.RATE_LIMITED,
  GATEWAY_STARTING: EXIT.UNREACHABLE,
}

const CLIENT_EXIT: Partial<Record<ClientError['code'], ExitCode>> = {
  REQUEST_TIMEOUT: EXIT.TIMEOUT,
  DEADLINE_EXCEEDED: EXIT.TIMEOUT,
  WAIT_TIMEOUT: EXIT.TIMEOUT,
  JOB_NOT_FOUND: EXIT.JOB_NOT_FOUND,
  JOB_AMBIGUOUS: EXIT.JOB_AMBIGUOUS,
  RESPONSE_TOO_LARGE: EXIT.GATEWAY_ERROR,
  INVALID_HELLO: EXIT.GATEWAY_ERROR,
  TICK_TIMEOUT: EXIT.TIMEOUT,
  SCOPE_PREFLIGHT: EXIT.MISSING_SCOPE,
  NO_SCOPES_TOKEN_ONLY: EXIT.MISSING_SCOPE,
  TLS_PIN_MISMATCH: EXIT.TLS,
  TLS_UNTRUSTED: EXIT.TLS,
  TLS_PIN_REQUIRES_WSS: EXIT.TLS,
  TLS_PIN_INVALID: EXIT.USAGE,
  INSECURE_URL: EXIT.TLS,
  INVALID_URL: EXIT.USAGE,
  ABORTED: EXIT.INTERRUPTED,
  PAIRING_REJECTED: EXIT.PAIRING_REQUIRED,
  APPROVAL_TIMEOUT: EXIT.TIMEOUT,
  UNEXPECTED_RESPONSE: EXIT.GATEWAY_ERROR,
  METHOD_UNSUPPORTED: EXIT.GATEWAY_ERROR,
  DEVICE_TOKEN_WITHHELD: EXIT.GATEWAY_ERROR,
  NO_DEVICE_IDENTITY: EXIT.USAGE,
  GATEWAY_CHANGED: EXIT.AUTH,
}

/** The exit code for any error a command can throw. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode
  if (error instanceof ConfigError) return EXIT.CONFIG
  if (error instanceof SignerError) return EXIT.SIGNER
  if (error instanceof GatewayError) {
    if (error.code.startsWith('AUTH_') || error.code.startsWith('DEVICE_')) return EXIT.AUTH
    return GATEWAY_EXIT[error.code] ?? EXIT.GATEWAY_ERROR
  }
  if (error instanceof ClientError) return CLIENT_EXIT[error.code] ?? EXIT.UNREACHABLE
  // A frame or hello-ok the gateway got wrong is the gateway's error; the other protocol codes are our input.
  if (error instanceof ProtocolError)
    return error.code.startsWith('FRAME_') || error.code === 'INVALID_HELLO' ? EXIT.GATEWAY_ERROR : EXIT.USAGE
  return EXIT.INTERNAL
}
