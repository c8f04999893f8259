import { isAbsolute, resolve } from 'node:path'
import { describePkcs11Uri, parsePkcs11Uri } from '@clawlink/signer-pkcs11/uri'
import { ConfigError } from './errors.js'

/** Which signer back-end to use and its options (recorded in the profile; never a secret). */
export type SignerSpec =
  | { kind: 'file'; keyFile?: string }
  | { kind: 'keychain'; account?: string; service?: string }
  | { kind: 'agent'; socket?: string; key?: string }
  | { kind: 'exec'; command: string[]; publicKey?: string }
  /** An RFC 7512 URI (`pkcs11:token=…;object=…?module-path=…`); it never holds the PIN (pin-value is refused). */
  | { kind: 'pkcs11'; uri: string }
  | { kind: 'module'; module: string; options: Record<string, string> }
  | { kind: 'none' }

/** Signer flags shared by the CLI and the MCP server. */
export interface SignerFlags {
  signer?: string
  keyFile?: string
  keychainAccount?: string
  keychainService?: string
  agentSocket?: string
  agentKey?: string
  /** The exec program as a JSON array (`'["/usr/local/bin/kms-sign","--key","dev"]'`): argv, no shell. */
  execCommand?: string
  execPublicKey?: string
  /** RFC 7512 URI of the key in a PKCS#11 token. */
  pkcs11Uri?: string
  /** `key=value` options for a plug-in module, repeatable. */
  signerOption?: string[]
}

const BUILT_IN = ['file', 'keychain', 'agent', 'exec', 'pkcs11', 'none'] as const

function parseExec(json: string | undefined): string[] {
  if (!json)
    throw new ConfigError(
      'SIGNER_OPTIONS',
      '--signer exec needs --exec-command',
      `pass the program as a JSON array, e.g. --exec-command '["/usr/local/bin/kms-sign","--key","device"]'`,
    )
  let argv: unknown
  try {
    argv = JSON.parse(json)
  } catch {
    argv = undefined
  }
  if (
    !Array.isArray(argv) ||
    argv.length === 0 ||
    !argv.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    throw new ConfigError(
      'SIGNER_OPTIONS',
      '--exec-command must be a JSON array of strings',
      `e.g. --exec-command '["/usr/local/bin/kms-sign","--key","device"]'`,
    )
  }
  return argv as string[]
}

function parsePkcs11(uri: string | undefined): string {
  const example = `--pkcs11-uri 'pkcs11:token=clawlink;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so'`
  if (!uri) throw new ConfigError('SIGNER_OPTIONS', '--signer pkcs11 needs --pkcs11-uri', `e.g. ${example}`)
  try {
    parsePkcs11Uri(uri)
  } catch (cause) {
    const e = cause as Error & { remedy?: string }
    throw new ConfigError('SIGNER_OPTIONS', `--pkcs11-uri: ${e.message}`, e.remedy ?? `e.g. ${example}`, {
      cause,
    })
  }
  return uri
}

/**
 * The signer spec from flags (`--signer file|keychain|agent|exec|pkcs11|none|<module path or package>`), or
 * undefined when no `--signer` was given (then the profile's choice, else `file`, applies).
 * @throws ConfigError SIGNER_OPTIONS
 */
export function signerSpecFromFlags(flags: SignerFlags, cwd = process.cwd()): SignerSpec | undefined {
  const name = flags.signer
  if (name === undefined)
    return flags.keyFile ? { kind: 'file', keyFile: resolve(cwd, flags.keyFile) } : undefined
  switch (name) {
    case 'file':
      return flags.keyFile ? { kind: 'file', keyFile: resolve(cwd, flags.keyFile) } : { kind: 'file' }
    case 'keychain':
      return {
        kind: 'keychain',
        ...(flags.keychainAccount ? { account: flags.keychainAccount } : {}),
        ...(flags.keychainService ? { service: flags.keychainService } : {}),
      }
    case 'agent':
      return {
        kind: 'agent',
        ...(flags.agentSocket ? { socket: flags.agentSocket } : {}),
        ...(flags.agentKey ? { key: flags.agentKey } : {}),
      }
    case 'exec':
      return {
        kind: 'exec',
        command: parseExec(flags.execCommand),
        ...(flags.execPublicKey ? { publicKey: flags.execPublicKey } : {}),
      }
    case 'pkcs11':
      return { kind: 'pkcs11', uri: parsePkcs11(flags.pkcs11Uri) }
    case 'none':
      return { kind: 'none' }
  }
  const options: Record<string, string> = {}
  for (const pair of flags.signerOption ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0)
      throw new ConfigError(
        'SIGNER_OPTIONS',
        `--signer-option "${pair}" is not key=value`,
        'write it as key=value',
      )
    options[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  // A path (./x.mjs, /opt/x.js) is resolved against cwd now, so the profile keeps working from anywhere.
  const looksLikePath = name.startsWith('.') || isAbsolute(name)
  if (!looksLikePath && !/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/i.test(name)) {
    throw new ConfigError(
      'SIGNER_UNKNOWN',
      `unknown signer "${name}"`,
      `use one of ${BUILT_IN.join(', ')}, a module path or a package name`,
    )
  }
  return { kind: 'module', module: looksLikePath ? resolve(cwd, name) : name, options }
}

/** One line for `device show` and doctor. */
export function describeSignerSpec(spec: SignerSpec, identityFile: string, profile = 'default'): string {
  switch (spec.kind) {
    case 'file':
      return `file (${spec.keyFile ?? identityFile})`
    case 'keychain':
      return `keychain (service ${spec.service ?? 'clawlink'}, account ${spec.account ?? profile})`
    case 'agent':
      return `ssh-agent (${spec.socket ?? 'SSH_AUTH_SOCK'}${spec.key ? `, key ${spec.key}` : ''})`
    case 'exec':
      return `exec (${spec.command[0]})`
    case 'pkcs11':
      return `pkcs11 (${describePkcs11(spec.uri)})`
    case 'module':
      return `plug-in ${spec.module}`
    case 'none':
      return 'none (token-only)'
  }
}

function describePkcs11(uri: string): string {
  try {
    return describePkcs11Uri(parsePkcs11Uri(uri))
  } catch {
    return `invalid URI ${uri.slice(0, 60)}`
  }
}
