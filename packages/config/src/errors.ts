import { ClawlinkError, type ClawlinkErrorOptions } from '@clawlink/protocol'

/** Codes of {@link ConfigError}: where settings come from went wrong (docs/errors.md). */
export type ConfigErrorCode =
  | 'CONFIG_PARSE'
  | 'CONFIG_UNREADABLE'
  | 'SECRET_FILE_UNREADABLE'
  | 'SECRET_FILE_EMPTY'
  | 'SECRET_REF_UNSUPPORTED'
  | 'SECRET_REF_INVALID'
  | 'SECRET_REF_NOT_FOUND'
  | 'SECRET_FILE_INSECURE'
  | 'ENV_VAR_MISSING'
  | 'INVALID_URL'
  | 'INVALID_PROFILE'
  | 'SIGNER_UNKNOWN'
  | 'SIGNER_OPTIONS'
  | 'SIGNER_PLUGIN_NOT_FOUND'
  | 'SIGNER_PLUGIN_INVALID'
  | 'PROFILE_CORRUPT'
  | 'PROFILE_INSECURE'
  | 'SIGNER_PLUGIN_REFUSED'
  | 'CONTEXT_INVALID'
  | 'CONTEXT_NOT_FOUND'
  | 'CONTEXT_TOKEN_FILE_MISSING'

/** A settings problem: a file that cannot be read or parsed, a bad value, an unknown signer. */
export class ConfigError extends ClawlinkError<ConfigErrorCode> {
  override name = 'ConfigError' as const
  constructor(code: ConfigErrorCode, message: string, options: ClawlinkErrorOptions) {
    // A settings problem needs someone to change the settings: never retried.
    super(code, message, { ...options, retryable: false })
  }
}
