import { isBuiltin } from 'node:module'
import { isAbsolute } from 'node:path'
import type { AnySignerDeclaration, SignerFlagContext } from '@clawlink/signer-kit/declaration'
import {
  type BuiltinSignerKey,
  type BuiltinSignerSpec,
  builtinSigner,
  builtinSigners,
  signerKinds,
} from './builtin-signers.js'
import { ConfigError } from './errors.js'
import { resolvePath } from './home.js'

type Env = Record<string, string | undefined>

/**
 * Which signer back-end to use and its options (recorded in the profile; never a secret): a built-in
 * (builtin-signers.ts: file, keychain, agent, exec, pkcs11 — a PKCS#11 URI never holds the PIN), a plug-in module,
 * or none.
 */
export type SignerSpec =
  | BuiltinSignerSpec
  | { kind: 'module'; module: string; options: Record<string, string> }
  | { kind: 'none' }

/**
 * Signer flags shared by the CLI and the MCP server: `--signer`, each built-in's own options (by their key, e.g.
 * `keyFile`, `pkcs11Uri`; `execCommand` is the program as a JSON array), and a plug-in's `key=value` options.
 */
export type SignerFlags = { signer?: string; signerOption?: string[] } & Partial<
  Record<BuiltinSignerKey, string>
>

/** The context a declaration's `fromFlags` gets: paths resolved against `cwd`, problems as SIGNER_OPTIONS. */
function flagContext(cwd: string, env: Env): SignerFlagContext {
  return {
    cwd,
    env,
    resolvePath: (path) => resolvePath(path, env, cwd),
    invalid(message, remedy, cause) {
      throw new ConfigError('SIGNER_OPTIONS', message, { remedy, ...(cause === undefined ? {} : { cause }) })
    },
  }
}

/** Only the option values of one declaration, by key. */
function valuesOf(declaration: AnySignerDeclaration, flags: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {}
  for (const { key } of declaration.options) {
    const value = flags[key]
    if (typeof value === 'string' && value.length > 0) values[key] = value
  }
  return values
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
  list: readonly AnySignerDeclaration[] = builtinSigners,
): SignerSpec | undefined {
  const name = flags.signer
  const byDefault = list[0]
  const fromFlags = (d: AnySignerDeclaration, values: Record<string, string>) =>
    ({ kind: d.kind, ...d.fromFlags(values, flagContext(cwd, env)) }) as SignerSpec
  if (name === undefined) {
    // The default signer's own flags (`--key-file`) choose it without `--signer`.
    const values = byDefault ? valuesOf(byDefault, flags) : {}
    return byDefault && Object.keys(values).length > 0 ? fromFlags(byDefault, values) : undefined
  }
  if (name === 'none') return { kind: 'none' }
  const declared = builtinSigner(name, list)
  if (declared) return fromFlags(declared, valuesOf(declared, flags))
  const looksLikePath = name.startsWith('.') || name.startsWith('~') || isAbsolute(name)
  if (!looksLikePath) {
    const why = moduleRefusal(name)
    if (why && (URL_LIKE.test(name) || isBuiltin(name))) throw refuse(name, '--signer', why)
    if (why)
      throw new ConfigError('SIGNER_UNKNOWN', `unknown signer "${name.slice(0, 80)}"`, {
        remedy: `use one of ${signerKinds(list).join(', ')}, a module path or a package name`,
      })
  }
  return {
    kind: 'module',
    module: looksLikePath ? resolvePath(name, env, cwd) : name,
    options: moduleOptions(flags.signerOption),
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0

/**
 * Checks a spec read from a profile's settings.json: known kind, option types, and for a plug-in an absolute
 * path or a package name only (never a URL), so a tampered file cannot make clawlink load arbitrary code.
 * @throws ConfigError PROFILE_CORRUPT, SIGNER_PLUGIN_REFUSED
 */
export function validateSignerSpec(
  spec: SignerSpec,
  from: string,
  list: readonly AnySignerDeclaration[] = builtinSigners,
): void {
  const s = spec as unknown as Record<string, unknown>
  const bad = (what: string) =>
    new ConfigError(
      'PROFILE_CORRUPT',
      `the signer in ${from} is malformed (${what}); the file was left untouched`,
      { remedy: `fix it, or move it away and run "clawlink device init" again` },
    )
  const declared = typeof s.kind === 'string' ? builtinSigner(s.kind, list) : undefined
  if (declared) {
    const problem = declared.problem(s)
    if (problem) throw bad(problem)
    return
  }
  switch (s.kind) {
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

/** One line for `device show` and doctor, e.g. `keychain (service clawlink, account ci)`. */
export function describeSignerSpec(
  spec: SignerSpec,
  identityFile: string,
  profile = 'default',
  list: readonly AnySignerDeclaration[] = builtinSigners,
): string {
  if (spec.kind === 'module') return `plug-in ${spec.module}`
  if (spec.kind === 'none') return 'none (token-only)'
  const declared = builtinSigner(spec.kind, list)
  if (!declared) return `unknown (${String(spec.kind).slice(0, 40)})`
  return `${declared.label ?? declared.kind} (${declared.describe(spec, { identityFile, profile })})`
}
