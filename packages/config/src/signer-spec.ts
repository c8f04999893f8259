import { existsSync, readFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { isAbsolute } from 'node:path'
import { describePkcs11Uri, parsePkcs11Uri } from '@clawlink/signer-pkcs11/uri'
import { ConfigError } from './errors.js'
import { resolvePath } from './home.js'

type Env = Record<string, string | undefined>

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
  /** The exec signer's public key (base64url, base64 or SPKI PEM), or a file holding it (`~` expanded). */
  execPublicKey?: string
  /** RFC 7512 URI of the key in a PKCS#11 token. */
  pkcs11Uri?: string
  /** `key=value` options for a plug-in module, repeatable. */
  signerOption?: string[]
}

const BUILT_IN = ['file', 'keychain', 'agent', 'exec', 'pkcs11', 'none'] as const

function parsePkcs11(uri: string | undefined): string {
  const example = `--pkcs11-uri 'pkcs11:token=clawlink;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so'`
  if (!uri)
    throw new ConfigError('SIGNER_OPTIONS', '--signer pkcs11 needs --pkcs11-uri', {
      remedy: `e.g. ${example}`,
    })
  try {
    parsePkcs11Uri(uri)
  } catch (cause) {
    const e = cause as Error & { remedy?: string }
    throw new ConfigError('SIGNER_OPTIONS', `--pkcs11-uri: ${e.message}`, {
      remedy: e.remedy ?? `e.g. ${example}`,
      cause,
    })
  }
  return uri
}

function describePkcs11(uri: string): string {
  try {
    return describePkcs11Uri(parsePkcs11Uri(uri))
  } catch {
    return `invalid URI ${uri.slice(0, 60)}`
  }
}

function parseExec(json: string | undefined): string[] {
  if (!json)
    throw new ConfigError('SIGNER_OPTIONS', '--signer exec needs --exec-command', {
      remedy: `pass the program as a JSON array, e.g. --exec-command '["/usr/local/bin/kms-sign","--key","device"]'`,
    })
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
    throw new ConfigError('SIGNER_OPTIONS', '--exec-command must be a JSON array of strings', {
      remedy: `e.g. --exec-command '["/usr/local/bin/kms-sign","--key","device"]'`,
    })
  }
  return argv as string[]
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/i
const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i

/**
 * Why a plug-in module reference is refused, or undefined when it is an absolute file path or an installable
 * package name. URLs (`data:`, `http:`, `https:`, `file:`, `node:` …) and Node built-ins never load as signers.
 */
export function moduleRefusal(module: string): string | undefined {
  if (isAbsolute(module)) return undefined
  if (URL_LIKE.test(module))
    return 'URLs are never loaded as signers (only a file path or an installed package)'
  if (!PACKAGE_NAME.test(module)) return 'it is neither an absolute file path nor a package name'
  if (isBuiltin(module)) return 'it names a Node.js built-in module, not a signer package'
  return undefined
}

function refuse(module: string, from: string, why: string): ConfigError {
  return new ConfigError(
    'SIGNER_PLUGIN_REFUSED',
    `signer module "${module.slice(0, 80)}" (from ${from}) is refused: ${why}`,
    { remedy: 'use --signer with a module file path (e.g. ./my-signer.mjs) or an installed package name' },
  )
}

/** `--exec-public-key`: a key as text, or a file holding it when the value names an existing file. */
function execPublicKey(value: string, cwd: string, env: Env): string {
  const looksLikePath = value.startsWith('~') || value.startsWith('.') || value.startsWith('/')
  const path = looksLikePath ? resolvePath(value, env, cwd) : undefined
  if (!path || !existsSync(path)) return value
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (cause) {
    throw new ConfigError(
      'SIGNER_OPTIONS',
      `cannot read --exec-public-key file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { remedy: 'check the path, or pass the key itself (base64url or PEM)', cause },
    )
  }
}

function moduleOptions(pairs: string[] | undefined): Record<string, string> {
  const options: Record<string, string> = {}
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0)
      throw new ConfigError('SIGNER_OPTIONS', `--signer-option "${pair}" is not key=value`, {
        remedy: 'write it as key=value',
      })
    options[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return options
}

/**
 * The signer spec from flags (`--signer file|keychain|agent|exec|none|<module path or package>`), or
 * undefined when no `--signer` was given (then the profile's choice, else `file`, applies). Paths are `~`
 * expanded and made absolute against `cwd`, so the profile keeps working from anywhere.
 * @throws ConfigError SIGNER_OPTIONS, SIGNER_UNKNOWN, SIGNER_PLUGIN_REFUSED
 */
export function signerSpecFromFlags(
  flags: SignerFlags,
  cwd = process.cwd(),
  env: Env = process.env,
): SignerSpec | undefined {
  const name = flags.signer
  const keyFile = flags.keyFile ? { keyFile: resolvePath(flags.keyFile, env, cwd) } : {}
  if (name === undefined) return flags.keyFile ? { kind: 'file', ...keyFile } : undefined
  switch (name) {
    case 'file':
      return { kind: 'file', ...keyFile }
    case 'keychain':
      return {
        kind: 'keychain',
        ...(flags.keychainAccount ? { account: flags.keychainAccount } : {}),
        ...(flags.keychainService ? { service: flags.keychainService } : {}),
      }
    case 'agent':
      return {
        kind: 'agent',
        ...(flags.agentSocket ? { socket: resolvePath(flags.agentSocket, env, cwd) } : {}),
        ...(flags.agentKey ? { key: flags.agentKey } : {}),
      }
    case 'exec':
      return {
        kind: 'exec',
        command: parseExec(flags.execCommand),
        ...(flags.execPublicKey ? { publicKey: execPublicKey(flags.execPublicKey, cwd, env) } : {}),
      }
    case 'pkcs11':
      return { kind: 'pkcs11', uri: parsePkcs11(flags.pkcs11Uri) }
    case 'none':
      return { kind: 'none' }
  }
  const looksLikePath = name.startsWith('.') || name.startsWith('~') || isAbsolute(name)
  if (!looksLikePath) {
    const why = moduleRefusal(name)
    if (why && (URL_LIKE.test(name) || isBuiltin(name))) throw refuse(name, '--signer', why)
    if (why)
      throw new ConfigError('SIGNER_UNKNOWN', `unknown signer "${name.slice(0, 80)}"`, {
        remedy: `use one of ${BUILT_IN.join(', ')}, a module path or a package name`,
      })
  }
  return {
    kind: 'module',
    module: looksLikePath ? resolvePath(name, env, cwd) : name,
    options: moduleOptions(flags.signerOption),
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const optStr = (v: unknown) => v === undefined || isStr(v)

/**
 * Checks a spec read from a profile's settings.json: known kind, option types, and for a plug-in an absolute
 * path or a package name only (never a URL), so a tampered file cannot make clawlink load arbitrary code.
 * @throws ConfigError PROFILE_CORRUPT, SIGNER_PLUGIN_REFUSED
 */
export function validateSignerSpec(spec: SignerSpec, from: string): void {
  const s = spec as unknown as Record<string, unknown>
  const bad = (what: string) =>
    new ConfigError(
      'PROFILE_CORRUPT',
      `the signer in ${from} is malformed (${what}); the file was left untouched`,
      { remedy: `fix it, or move it away and run "clawlink device init" again` },
    )
  switch (s.kind) {
    case 'file':
      if (!optStr(s.keyFile) || (isStr(s.keyFile) && !isAbsolute(s.keyFile)))
        throw bad('keyFile must be an absolute path')
      return
    case 'keychain':
      if (!optStr(s.account) || !optStr(s.service)) throw bad('account/service must be strings')
      return
    case 'agent':
      if (!optStr(s.socket) || !optStr(s.key)) throw bad('socket/key must be strings')
      return
    case 'exec':
      if (!Array.isArray(s.command) || s.command.length === 0 || !s.command.every(isStr))
        throw bad('command must be a non-empty list of strings')
      if (!optStr(s.publicKey)) throw bad('publicKey must be a string')
      return
    case 'pkcs11':
      if (!isStr(s.uri)) throw bad('uri must be a string')
      try {
        parsePkcs11Uri(s.uri)
      } catch (error) {
        throw bad(`uri: ${(error as Error).message}`)
      }
      return
    case 'module': {
      if (!isStr(s.module)) throw bad('module must be a string')
      const why = moduleRefusal(s.module)
      if (why) throw refuse(s.module, from, why)
      const options = s.options
      if (
        typeof options !== 'object' ||
        options === null ||
        !Object.values(options).every((v) => typeof v === 'string')
      )
        throw bad('options must map names to strings')
      return
    }
    case 'none':
      return
    default:
      throw bad(`unknown kind "${String(s.kind).slice(0, 40)}"`)
  }
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
