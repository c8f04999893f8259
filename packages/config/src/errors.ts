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

/** A settings problem: a file that cannot be read or parsed, a bad value, an unknown signer. */
export class ConfigError extends Error {
  override name = 'ConfigError' as const
  readonly code: ConfigErrorCode
  readonly remedy: string
  constructor(code: ConfigErrorCode, message: string, remedy: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.remedy = remedy
  }
}
