import type { SettingsFlags } from './settings-flags.js'

/**
 * `node:util` parseArgs options for every setting, shared by the CLI and the MCP server so both take the same
 * names. Secrets only by file (no `--token VALUE`); stdin variants are the CLI's own (MCP's stdin is the protocol).
 */
export const SETTINGS_OPTIONS = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  'password-file': { type: 'string' },
  'tls-fingerprint': { type: 'string', multiple: true },
  'allow-insecure-ws': { type: 'boolean' },
  profile: { type: 'string' },
  'profile-dir': { type: 'string' },
  signer: { type: 'string' },
  'key-file': { type: 'string' },
  'keychain-account': { type: 'string' },
  'keychain-service': { type: 'string' },
  'agent-socket': { type: 'string' },
  'agent-key': { type: 'string' },
  'exec-command': { type: 'string' },
  'exec-public-key': { type: 'string' },
  'pkcs11-uri': { type: 'string' },
  'signer-option': { type: 'string', multiple: true },
} as const

const STRINGS = {
  url: 'url',
  'token-file': 'tokenFile',
  'password-file': 'passwordFile',
  profile: 'profile',
  'profile-dir': 'profileDir',
  signer: 'signer',
  'key-file': 'keyFile',
  'keychain-account': 'keychainAccount',
  'keychain-service': 'keychainService',
  'agent-socket': 'agentSocket',
  'agent-key': 'agentKey',
  'exec-command': 'execCommand',
  'exec-public-key': 'execPublicKey',
  'pkcs11-uri': 'pkcs11Uri',
  // The CLI's `--context` (not in SETTINGS_OPTIONS: the MCP server's context flag comes later).
  context: 'context',
} as const satisfies Record<string, keyof SettingsFlags>

/** SettingsFlags from parsed option values (of {@link SETTINGS_OPTIONS}, plus `token-stdin`/`password-stdin`). */
export function settingsFlagsFromValues(values: Record<string, unknown>): SettingsFlags {
  const flags: SettingsFlags = {}
  for (const [option, key] of Object.entries(STRINGS)) {
    const value = values[option]
    if (typeof value === 'string') flags[key] = value
  }
  if (values['token-stdin'] === true) flags.tokenStdin = true
  if (values['password-stdin'] === true) flags.passwordStdin = true
  if (values['allow-insecure-ws'] === true) flags.allowInsecureWs = true
  if (Array.isArray(values['tls-fingerprint'])) flags.tlsFingerprint = values['tls-fingerprint'] as string[]
  if (Array.isArray(values['signer-option'])) flags.signerOption = values['signer-option'] as string[]
  return flags
}
