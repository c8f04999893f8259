import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import { ConfigError } from './errors.js'
import { resolvePath } from './home.js'
import { pick } from './openclaw-config.js'

type Env = Record<string, string | undefined>

/** OpenClaw's SecretRef (docs/gateway/secrets/secretref-contract.md): where a secret is, never the secret. */
export interface SecretRef {
  source: string
  provider?: string
  id: string
}

/** What a ref is resolved against: the process env, the parsed openclaw.json and its folder (relative paths). */
export interface SecretContext {
  env: Env
  config: Record<string, unknown> | undefined
  configDir: string
}

const PROVIDER = /^[a-z][a-z0-9_-]{0,63}$/
const ENV_ID = /^[A-Z][A-Z0-9_]{0,127}$/
const SHORTHAND = /^\$(?:\{([A-Z][A-Z0-9_]{0,127})\}|([A-Z][A-Z0-9_]{0,127}))$/
const SUBSTITUTION = /\$\$\{([A-Z_][A-Z0-9_]*)\}|\$\{([A-Z_][A-Z0-9_]*)\}/g
const DEFAULT_MAX_BYTES = 1024 * 1024

const where = (key: string) => `${key} in openclaw.json`

/**
 * `${VAR}` substitution in a config string (uppercase names only), `$${VAR}` for a literal `${VAR}`.
 * A missing or empty variable is an error naming `key`: a value that is used must not be half-resolved.
 * @throws ConfigError ENV_VAR_MISSING
 */
export function substituteEnv(value: string, key: string, env: Env): string {
  return value.replace(SUBSTITUTION, (_match, escaped: string | undefined, name: string | undefined) => {
    if (escaped !== undefined) return `\${${escaped}}`
    const resolved = env[name as string]
    if (resolved === undefined || resolved === '') throw envMissing(name as string, key)
    return resolved
  })
}

function envMissing(name: string, key: string): ConfigError {
  return new ConfigError(
    'ENV_VAR_MISSING',
    `${where(key)} refers to the environment variable ${name}, which is not set (or empty)`,
    { remedy: `export ${name} before running clawlink, or change ${key} in openclaw.json` },
  )
}

/** A config string read with `${VAR}` substitution; undefined when absent. Non-strings are returned unchanged. */
export function configValue(config: unknown, key: string, env: Env): unknown {
  const value = pick(config, key)
  return typeof value === 'string' ? substituteEnv(value, key, env) : value
}

/**
 * The SecretRef a SecretInput value stands for: a ref object, or the shorthand strings `"${VAR}"` / `"$VAR"`
 * (env refs on the default env provider). Undefined for a plain string or nothing.
 */
export function secretRefOf(value: unknown): SecretRef | undefined {
  if (typeof value === 'string') {
    const m = SHORTHAND.exec(value)
    return m ? { source: 'env', id: (m[1] ?? m[2]) as string } : undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const v = value as Record<string, unknown>
  return {
    source: String(v.source),
    ...(v.provider !== undefined ? { provider: String(v.provider) } : {}),
    id: typeof v.id === 'string' ? v.id : '',
  }
}

/** True when a SecretInput holds something (a non-empty string or a ref): it then wins and must resolve. */
export function isSecretConfigured(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || secretRefOf(value) !== undefined
}

/**
 * Resolves a SecretInput field (`gateway.auth.token` …): a plain string (with `${VAR}` substitution) or a
 * SecretRef. Undefined only when the field is absent or empty; a ref that does not resolve is an error.
 * @throws ConfigError naming `key`
 */
export function resolveSecretInput(value: unknown, key: string, ctx: SecretContext): string | undefined {
  const ref = secretRefOf(value)
  if (ref) return resolveSecretRef(ref, key, ctx)
  if (typeof value !== 'string') {
    if (value === undefined || value === null) return undefined
    throw invalid(key, `is a ${Array.isArray(value) ? 'list' : typeof value}, not a string or a SecretRef`)
  }
  return value === '' ? undefined : substituteEnv(value, key, ctx.env)
}

function invalid(key: string, what: string, remedy?: string): ConfigError {
  return new ConfigError('SECRET_REF_INVALID', `${where(key)} ${what}`, {
    remedy: remedy ?? 'see OpenClaw docs/gateway/secrets/secretref-contract.md for the SecretRef forms',
  })
}

/** Resolves one SecretRef: `env` and `file` are read; `exec` and `store` are refused with why. */
export function resolveSecretRef(ref: SecretRef, key: string, ctx: SecretContext): string {
  if (ref.source === 'exec') {
    throw new ConfigError(
      'SECRET_REF_UNSUPPORTED',
      `${where(key)} is an exec SecretRef; clawlink never runs a program named in openclaw.json (a config file would then run code on every call)`,
      {
        remedy:
          'use an env or file SecretRef, OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD, or --token-file/--password-file',
      },
    )
  }
  if (ref.source === 'store') {
    throw new ConfigError(
      'SECRET_REF_UNSUPPORTED',
      `${where(key)} is a store SecretRef; those live in the gateway's own database, which clawlink does not read`,
      {
        remedy:
          'use an env or file SecretRef, OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD, or --token-file/--password-file',
      },
    )
  }
  if (ref.source !== 'env' && ref.source !== 'file') {
    throw invalid(key, `is a SecretRef with unknown source "${ref.source}" (env, file, exec or store)`)
  }
  const { alias, entry } = providerFor(ref, key, ctx.config)
  return ref.source === 'env'
    ? readEnvRef(ref, key, alias, entry, ctx.env)
    : readFileRef(ref, key, alias, entry, ctx)
}

type ProviderEntry = Record<string, unknown> | undefined

/** The provider a ref names; `undefined` entry = the built-in env reader (default env alias, no entry). */
function providerFor(
  ref: SecretRef,
  key: string,
  config: Record<string, unknown> | undefined,
): { alias: string; entry: ProviderEntry } {
  const defaults = pick(config, 'secrets.defaults') as Record<string, unknown> | undefined
  const defaultAlias =
    typeof defaults?.[ref.source] === 'string' ? (defaults[ref.source] as string) : 'default'
  const alias = ref.provider ?? defaultAlias
  if (!PROVIDER.test(alias))
    throw invalid(key, `names provider "${alias}", which is not a valid provider name`)
  const entry = pick(config, 'secrets.providers') as Record<string, unknown> | undefined
  const candidate = entry?.[alias]
  if (
    typeof candidate === 'object' &&
    candidate !== null &&
    (candidate as { source?: unknown }).source === ref.source
  )
    return { alias, entry: candidate as Record<string, unknown> }
  if (ref.source === 'env' && alias === defaultAlias) return { alias, entry: undefined }
  throw invalid(
    key,
    `uses ${ref.source} provider "${alias}", which is not declared under secrets.providers with source "${ref.source}"`,
    `add secrets.providers.${alias} = { source: "${ref.source}", … } to openclaw.json, or fix the ref's provider`,
  )
}

function readEnvRef(ref: SecretRef, key: string, alias: string, entry: ProviderEntry, env: Env): string {
  if (!ENV_ID.test(ref.id))
    throw invalid(key, `is an env SecretRef whose id "${ref.id}" is not an env var name`)
  const allowlist = entry?.allowlist
  if (Array.isArray(allowlist) && !allowlist.includes(ref.id)) {
    throw invalid(
      key,
      `names ${ref.id}, which env provider "${alias}" does not allow (secrets.providers.${alias}.allowlist)`,
      `add ${ref.id} to secrets.providers.${alias}.allowlist, or use an allowed variable`,
    )
  }
  const value = env[ref.id]
  if (value === undefined || value === '') throw envMissing(ref.id, key)
  return value
}

/**
 * RFC 6901 segments of an absolute JSON pointer (`/a~1b/c~0d` → `["a/b", "c~d"]`); undefined if malformed.
 */
export function parseJsonPointer(pointer: string): string[] | undefined {
  if (!pointer.startsWith('/')) return undefined
  const segments = pointer.slice(1).split('/')
  if (segments.some((s) => /~(?![01])/.test(s))) return undefined
  return segments.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** The value a JSON pointer names in a parsed document; undefined when any step is missing. */
export function readJsonPointer(doc: unknown, segments: readonly string[]): unknown {
  let cur = doc
  for (const segment of segments) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined
      cur = cur[Number(segment)]
    } else if (typeof cur === 'object' && cur !== null && Object.hasOwn(cur, segment)) {
      cur = (cur as Record<string, unknown>)[segment]
    } else return undefined
  }
  return cur
}

function readFileRef(
  ref: SecretRef,
  key: string,
  alias: string,
  entry: ProviderEntry,
  ctx: SecretContext,
): string {
  const providerKey = `secrets.providers.${alias}`
  const mode = entry?.mode ?? 'json'
  if (mode !== 'json' && mode !== 'singleValue')
    throw invalid(providerKey, `has mode "${String(mode)}"; use "json" or "singleValue"`)
  let segments: string[] | undefined
  if (mode === 'singleValue') {
    if (ref.id !== 'value')
      throw invalid(key, `must have id "value": provider "${alias}" is in singleValue mode`)
  } else {
    segments = parseJsonPointer(ref.id)
    if (!segments) {
      throw invalid(
        key,
        `has id "${ref.id}", which is not an absolute JSON pointer`,
        'write it as "/a/b" (escape "~" as ~0 and "/" as ~1)',
      )
    }
  }
  const rawPath = configValue(ctx.config, `${providerKey}.path`, ctx.env)
  if (typeof rawPath !== 'string' || rawPath === '') throw invalid(providerKey, 'has no path')
  const path = resolvePath(rawPath, ctx.env, ctx.configDir)
  const maxBytes =
    typeof entry?.maxBytes === 'number' && entry.maxBytes > 0 ? entry.maxBytes : DEFAULT_MAX_BYTES
  const text = readPrivateFile(path, key, alias, maxBytes)
  if (!segments) {
    const value = text.replace(/\r?\n$/, '')
    if (value === '')
      throw new ConfigError('SECRET_FILE_EMPTY', `${path} (named by ${where(key)}) is empty`, {
        remedy: 'write the secret into it',
      })
    return value
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    doc = undefined // the parser's message may quote the file: never shown
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(
      'SECRET_FILE_UNREADABLE',
      `${path} (file provider "${alias}", named by ${where(key)}) is not a JSON object`,
      {
        remedy: `fix the file, or set secrets.providers.${alias}.mode to "singleValue" for a file holding only the secret`,
      },
    )
  }
  const value = readJsonPointer(doc, segments)
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(
      'SECRET_REF_NOT_FOUND',
      `${where(key)} points at ${ref.id} in ${path}, which ${value === undefined ? 'does not exist' : 'is not a non-empty string'}`,
      { remedy: 'fix the JSON pointer (escape "~" as ~0 and "/" as ~1) or the file' },
    )
  }
  return value
}

/**
 * Reads a file-provider file the way OpenClaw requires it: a regular file (no symlink), one hard link, owned by
 * the current user (or root), no group/other permissions, at most `maxBytes`.
 * @throws ConfigError SECRET_FILE_UNREADABLE, SECRET_FILE_INSECURE
 */
export function readPrivateFile(path: string, key: string, alias: string, maxBytes: number): string {
  const named = `${path} (file provider "${alias}", named by ${where(key)})`
  let fd: number
  let st: Stats
  try {
    if (lstatSync(path).isSymbolicLink())
      throw insecure(named, 'is a symlink', `point secrets.providers.${alias}.path at the real file`)
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
    st = fstatSync(fd)
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause
    throw new ConfigError(
      'SECRET_FILE_UNREADABLE',
      `cannot read ${named}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { remedy: 'check the path and its permissions', cause },
    )
  }
  try {
    if (!st.isFile())
      throw new ConfigError('SECRET_FILE_UNREADABLE', `${named} is not a regular file`, {
        remedy: 'point the provider at a file',
      })
    if (st.nlink > 1)
      throw insecure(
        named,
        'has more than one hard link',
        'copy it into a new private file (umask 077) and replace it',
      )
    const uid = process.getuid?.()
    if (uid !== undefined && st.uid !== uid && st.uid !== 0)
      throw insecure(named, `is owned by uid ${st.uid}, not by you (uid ${uid})`, `chown ${uid} ${path}`)
    if (uid !== undefined && (st.mode & 0o077) !== 0)
      throw insecure(
        named,
        `has mode ${(st.mode & 0o777).toString(8)}; it must be private`,
        `chmod 600 ${path}`,
      )
    if (st.size > maxBytes)
      throw new ConfigError('SECRET_FILE_UNREADABLE', `${named} is larger than ${maxBytes} bytes`, {
        remedy: `keep it small, or raise secrets.providers.${alias}.maxBytes`,
      })
    const buffer = Buffer.alloc(st.size)
    let read = 0
    while (read < st.size) {
      const n = readSync(fd, buffer, read, st.size - read, null)
      if (n === 0) break
      read += n
    }
    return buffer.subarray(0, read).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

function insecure(named: string, what: string, remedy: string): ConfigError {
  return new ConfigError('SECRET_FILE_INSECURE', `${named} ${what}`, { remedy: remedy })
}
