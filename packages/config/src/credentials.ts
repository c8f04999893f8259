import { readFileSync, statSync } from 'node:fs'
import { GATEWAY_SECRET_ENV } from '@clawlink/protocol'
import { ConfigError } from './errors.js'
import { pick } from './openclaw-config.js'
import { isSecretConfigured, resolveSecretInput, type SecretContext } from './secret-ref.js'

/** Which gateway the URL designates, and so which credentials may go to it (OpenClaw docs/gateway/remote.md). */
export type UrlOrigin = 'flag' | 'env' | 'remote' | 'local'

/** A configured secret that was deliberately not used, so a command can tell the user why. */
export interface IgnoredSecret {
  kind: 'token' | 'password'
  source: string
  reason: string
}

/** A resolved secret and where it came from (`--token-file /x`, `OPENCLAW_GATEWAY_TOKEN`, `gateway.auth.token in openclaw.json`). */
export interface Secret {
  value: string
  source: string
}

/** Reads a `--token-file`/`--password-file` (path already expanded). @throws ConfigError */
export function readSecretFile(path: string, what: string): string {
  let text: string
  let mode = 0
  try {
    const st = statSync(path)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    mode = st.mode
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(
      'SECRET_FILE_UNREADABLE',
      `cannot read the ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { remedy: `check the path and its permissions`, cause },
    )
  }
  // Like a key file, the HTTP token file and OpenClaw's file SecretRefs: a secret others can read is refused.
  if ((mode & 0o077) !== 0 && process.getuid?.() !== undefined)
    throw new ConfigError(
      'SECRET_FILE_INSECURE',
      `the ${what} file ${path} has mode ${(mode & 0o777).toString(8)}: others on this host can read the ${what}`,
      { remedy: `chmod 600 ${path}` },
    )
  const secret = text.replace(/\r?\n$/, '').trim()
  if (secret.length === 0)
    throw new ConfigError('SECRET_FILE_EMPTY', `the ${what} file ${path} is empty`, {
      remedy: `write the ${what} into it`,
    })
  return secret
}

type Candidate = { kind: 'env' } | { kind: 'config'; key: string }

/**
 * The implicit sources for one secret, in OpenClaw's order (docs/gateway/remote.md, "Credential precedence"):
 * local: auth › env › remote (fallback); remote: token remote › env › auth, password env › remote › auth.
 */
function candidates(kind: 'token' | 'password', origin: UrlOrigin): Candidate[] {
  const env: Candidate = { kind: 'env' }
  const auth: Candidate = { kind: 'config', key: `gateway.auth.${kind}` }
  const remote: Candidate = { kind: 'config', key: `gateway.remote.${kind}` }
  if (origin === 'flag') return []
  if (origin === 'env') return [env]
  if (origin === 'remote') return kind === 'token' ? [remote, env, auth] : [env, remote, auth]
  return [auth, env, remote]
}

/** Input of {@link resolveCredential}. */
export interface CredentialInput {
  kind: 'token' | 'password'
  file?: string | undefined
  stdin?: boolean | undefined
  readStdin?: (() => Promise<string>) | undefined
  origin: UrlOrigin
  url: string
  ctx: SecretContext
}

/**
 * One credential: an explicit file/stdin always; otherwise the first configured implicit source allowed for the
 * URL's origin — which must then resolve (fail closed, no fall-through). Sources the origin forbids are listed
 * in `ignored` (never read).
 * @throws ConfigError
 */
export async function resolveCredential(
  input: CredentialInput,
): Promise<{ secret: Secret | undefined; ignored: IgnoredSecret[] }> {
  const { kind, env } = { kind: input.kind, env: input.ctx.env }
  if (input.file)
    return {
      secret: { value: readSecretFile(input.file, kind), source: `--${kind}-file ${input.file}` },
      ignored: [],
    }
  if (input.stdin) {
    if (!input.readStdin)
      throw new ConfigError('SECRET_FILE_UNREADABLE', `--${kind}-stdin is not available here`, {
        remedy: `use --${kind}-file`,
      })
    const value = (await input.readStdin()).replace(/\r?\n$/, '').trim()
    if (!value)
      throw new ConfigError('SECRET_FILE_EMPTY', `no ${kind} on stdin`, {
        remedy: `pipe the ${kind} into stdin`,
      })
    return { secret: { value, source: 'stdin' }, ignored: [] }
  }
  const allowed = candidates(kind, input.origin)
  let secret: Secret | undefined
  for (const c of allowed) {
    if (c.kind === 'env') {
      const name = GATEWAY_SECRET_ENV[kind].find((n) => env[n])
      if (name) {
        secret = { value: env[name] as string, source: name }
        break
      }
      continue
    }
    const raw = pick(input.ctx.config, c.key)
    if (!isSecretConfigured(raw)) continue
    const value = resolveSecretInput(raw, c.key, input.ctx)
    if (value !== undefined) {
      secret = { value, source: `${c.key} in openclaw.json` }
      break
    }
  }
  return { secret, ignored: ignoredFor(input, allowed) }
}

function ignoredFor(input: CredentialInput, allowed: Candidate[]): IgnoredSecret[] {
  const { kind, origin, url } = input
  if (origin !== 'flag' && origin !== 'env') return []
  const ignored: IgnoredSecret[] = []
  const fix = `pass --${kind}-file (or --${kind}-stdin) for that gateway`
  const target = origin === 'flag' ? `--url ${url}` : `OPENCLAW_GATEWAY_URL ${url}`
  const envAllowed = allowed.some((c) => c.kind === 'env')
  for (const name of GATEWAY_SECRET_ENV[kind]) {
    if (input.ctx.env[name] && !envAllowed)
      ignored.push({ kind, source: name, reason: `${name} is not sent to ${target}; ${fix}` })
  }
  for (const key of [`gateway.auth.${kind}`, `gateway.remote.${kind}`]) {
    if (isSecretConfigured(pick(input.ctx.config, key)))
      ignored.push({
        kind,
        source: `${key} in openclaw.json`,
        reason: `${key} from openclaw.json is not sent to ${target}; ${origin === 'env' ? `set ${GATEWAY_SECRET_ENV[kind][0]} or ` : ''}${fix}`,
      })
  }
  return ignored
}

/** The shared secrets as their sources hold them now, and where the token (else the password) came from. */
export interface CurrentSecrets {
  token: string | undefined
  password: string | undefined
  source: string | undefined
}

/**
 * A re-reader of the shared secrets (a rotated token): every call reads `--token-file`/`--password-file`, the
 * environment and openclaw.json (SecretRefs too) again with the same rules as at start. A secret read from stdin
 * cannot be read twice and keeps its first value.
 */
export function credentialsReader(
  first: { token: Secret | undefined; password: Secret | undefined },
  input: Omit<CredentialInput, 'kind' | 'file' | 'stdin' | 'readStdin' | 'ctx'> & {
    tokenFile?: string | undefined
    passwordFile?: string | undefined
    readCtx: () => SecretContext
  },
): () => Promise<CurrentSecrets> {
  const again = async (kind: 'token' | 'password', ctx: SecretContext): Promise<Secret | undefined> => {
    const held = first[kind]
    if (held?.source === 'stdin') return held
    const file = kind === 'token' ? input.tokenFile : input.passwordFile
    const common = { origin: input.origin, url: input.url, ctx }
    return (await resolveCredential({ kind, file, ...common })).secret
  }
  return async () => {
    const ctx = input.readCtx()
    const token = await again('token', ctx)
    const password = await again('password', ctx)
    return { token: token?.value, password: password?.value, source: token?.source ?? password?.source }
  }
}
