import type { AnySignerDeclaration } from '@clawlink/signer-kit/declaration'
import { type BuiltinSignerFlag, builtinSigners } from './builtin-signers.js'
import type { SettingsFlags } from './settings-flags.js'

type StringOption = { readonly type: 'string' }

/** parseArgs options of the signers' own flags (`key-file`, `pkcs11-uri`, …), in the list's order. */
export function signerOptions(
  list: readonly AnySignerDeclaration[] = builtinSigners,
): Record<string, StringOption> {
  return Object.fromEntries(list.flatMap((d) => d.options.map((o) => [o.flag, { type: 'string' }] as const)))
}

/** parseArgs options of the `device init` actions the signers declare (`pkcs11-generate`). */
export function signerInitOptions(
  list: readonly AnySignerDeclaration[] = builtinSigners,
): Record<string, { readonly type: 'boolean' }> {
  return Object.fromEntries(
    list.flatMap((d) => (d.initActions ?? []).map((a) => [a.flag, { type: 'boolean' }] as const)),
  )
}

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
  ...(signerOptions() as Record<BuiltinSignerFlag, StringOption>),
  'signer-option': { type: 'string', multiple: true },
} as const

const STRINGS = {
  url: 'url',
  'token-file': 'tokenFile',
  'password-file': 'passwordFile',
  profile: 'profile',
  'profile-dir': 'profileDir',
  signer: 'signer',
  // The CLI's `--context` (not in SETTINGS_OPTIONS: the MCP server's context flag comes later).
  context: 'context',
} as const satisfies Record<string, keyof SettingsFlags>

/**
 * SettingsFlags from parsed option values (of {@link SETTINGS_OPTIONS}, plus `token-stdin`/`password-stdin`);
 * `list` decides which signer flags are read (each by its declared key).
 */
export function settingsFlagsFromValues(
  values: Record<string, unknown>,
  list: readonly AnySignerDeclaration[] = builtinSigners,
): SettingsFlags {
  const flags: SettingsFlags = {}
  for (const [option, key] of Object.entries(STRINGS)) {
    const value = values[option]
    if (typeof value === 'string') flags[key] = value
  }
  const signerFlags = flags as Record<string, string>
  for (const { flag, key } of list.flatMap((d) => d.options)) {
    const value = values[flag]
    if (typeof value === 'string') signerFlags[key] = value
  }
  if (values['token-stdin'] === true) flags.tokenStdin = true
  if (values['password-stdin'] === true) flags.passwordStdin = true
  if (values['allow-insecure-ws'] === true) flags.allowInsecureWs = true
  if (Array.isArray(values['tls-fingerprint'])) flags.tlsFingerprint = values['tls-fingerprint'] as string[]
  if (Array.isArray(values['signer-option'])) flags.signerOption = values['signer-option'] as string[]
  return flags
}
