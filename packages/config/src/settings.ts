import { X509Certificate } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from './errors.js'
import { openclawConfigPath, openclawStateDir, pick, readOpenClawConfig } from './openclaw-config.js'
import { defaultProfileDir, loadProfileSettings, type ProfilePaths, profilePaths } from './profile.js'
import { type SignerFlags, type SignerSpec, signerSpecFromFlags } from './signer-spec.js'

type Env = Record<string, string | undefined>

/** Settings flags shared by the CLI and the MCP server. Secrets only by file or stdin, never a value on argv. */
export interface SettingsFlags extends SignerFlags {
  url?: string
  tokenFile?: string
  tokenStdin?: boolean
  passwordFile?: string
  passwordStdin?: boolean
  tlsFingerprint?: string[]
  profile?: string
  profileDir?: string
  allowInsecureWs?: boolean
}

/** Where a setting came from, for `clawlink doctor` and error messages. */
export type SettingSource = string

/** Everything a command needs to connect. */
export interface ResolvedSettings {
  url: string
  urlSource: SettingSource
  token: string | undefined
  tokenSource: SettingSource | undefined
  password: string | undefined
  passwordSource: SettingSource | undefined
  tlsFingerprints: string[]
  tlsSource: SettingSource | undefined
  allowInsecurePlaintext: boolean
  profile: string
  profileDir: string
  paths: ProfilePaths
  signer: SignerSpec
  signerSource: SettingSource
  openclawConfigPath: string
  openclawConfigFound: boolean
}

/** Input of {@link resolveSettings}. */
export interface ResolveInput {
  flags: SettingsFlags
  env: Env
  /** Reads one secret from stdin (for `--token-stdin`/`--password-stdin`). */
  readStdinSecret?: () => Promise<string>
  cwd?: string
}

function readSecretFile(path: string, what: string): string {
  let text: string
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(
      'SECRET_FILE_UNREADABLE',
      `cannot read the ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      `check the path and its permissions`,
      { cause },
    )
  }
  const secret = text.replace(/\r?\n$/, '').trim()
  if (secret.length === 0)
    throw new ConfigError(
      'SECRET_FILE_EMPTY',
      `the ${what} file ${path} is empty`,
      `write the ${what} into it`,
    )
  return secret
}

/** A config value: a string, or a SecretRef `{source: env|file|exec, …}` (PROTOCOL.md §6.2). */
function secretFromConfig(value: unknown, key: string, env: Env): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined
  if (typeof value !== 'object' || value === null) return undefined
  const ref = value as { source?: string; id?: string; path?: string; provider?: string }
  if (ref.source === 'env') {
    const name = ref.id ?? ref.provider
    return name ? env[name] || undefined : undefined
  }
  if (ref.source === 'file') {
    const path = ref.path ?? ref.id
    return path ? readSecretFile(path, key) : undefined
  }
  throw new ConfigError(
    'SECRET_REF_UNSUPPORTED',
    `${key} in openclaw.json is a SecretRef with source "${String(ref.source)}", which clawlink does not run`,
    'pass the secret with --token-file/--password-file or OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD instead',
  )
}

interface Secret {
  value: string
  source: string
}

async function resolveSecret(
  kind: 'token' | 'password',
  flags: { file?: string; stdin?: boolean },
  env: Env,
  envNames: string[],
  config: Record<string, unknown> | undefined,
  remote: boolean,
  readStdin: (() => Promise<string>) | undefined,
): Promise<Secret | undefined> {
  if (flags.file) return { value: readSecretFile(flags.file, kind), source: `--${kind}-file ${flags.file}` }
  if (flags.stdin) {
    if (!readStdin)
      throw new ConfigError(
        'SECRET_FILE_UNREADABLE',
        `--${kind}-stdin is not available here`,
        `use --${kind}-file`,
      )
    const value = (await readStdin()).replace(/\r?\n$/, '').trim()
    if (!value)
      throw new ConfigError('SECRET_FILE_EMPTY', `no ${kind} on stdin`, `pipe the ${kind} into stdin`)
    return { value, source: 'stdin' }
  }
  const fromEnv = () => {
    for (const n of envNames) if (env[n]) return { value: env[n] as string, source: n }
    return undefined
  }
  const fromConfig = (key: string) => {
    const value = secretFromConfig(pick(config, key), key, env)
    return value ? { value, source: `${key} in openclaw.json` } : undefined
  }
  // Local mode: env first; remote mode: gateway.remote.* first (PROTOCOL.md §6.3).
  if (remote) return fromConfig(`gateway.remote.${kind}`) ?? fromEnv() ?? fromConfig(`gateway.auth.${kind}`)
  return fromEnv() ?? fromConfig(`gateway.auth.${kind}`)
}

function localCertPin(config: Record<string, unknown> | undefined, stateDir: string): string | undefined {
  const certPath =
    (pick(config, 'gateway.tls.certPath') as string | undefined) ??
    join(stateDir, 'gateway', 'tls', 'gateway-cert.pem')
  try {
    return new X509Certificate(readFileSync(certPath)).fingerprint256
  } catch {
    return undefined
  }
}

/**
 * Resolves URL, credentials, TLS pins, profile and signer from flags, env and `openclaw.json`, with the names
 * OpenClaw users already have (PROTOCOL.md §6). Records where each came from; never logs a secret.
 * @throws ConfigError
 */
export async function resolveSettings(input: ResolveInput): Promise<ResolvedSettings> {
  const { flags, env } = input
  const configPath = openclawConfigPath(env)
  const config = readOpenClawConfig(configPath)
  const remote = pick(config, 'gateway.mode') === 'remote'

  let url: string
  let urlSource: string
  const envUrl = env.OPENCLAW_GATEWAY_URL || env.CLAWDBOT_GATEWAY_URL
  const remoteUrl = pick(config, 'gateway.remote.url')
  const tlsEnabled = pick(config, 'gateway.tls.enabled') === true
  if (flags.url) [url, urlSource] = [flags.url, '--url']
  else if (envUrl)
    [url, urlSource] = [envUrl, env.OPENCLAW_GATEWAY_URL ? 'OPENCLAW_GATEWAY_URL' : 'CLAWDBOT_GATEWAY_URL']
  else if (remote && typeof remoteUrl === 'string' && remoteUrl)
    [url, urlSource] = [remoteUrl, 'gateway.remote.url in openclaw.json']
  else {
    const port = env.OPENCLAW_GATEWAY_PORT || pick(config, 'gateway.port') || 18789
    url = `${tlsEnabled ? 'wss' : 'ws'}://127.0.0.1:${port}`
    urlSource = env.OPENCLAW_GATEWAY_PORT
      ? 'OPENCLAW_GATEWAY_PORT'
      : pick(config, 'gateway.port')
        ? 'gateway.port in openclaw.json'
        : 'default'
  }
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new Error('not ws')
  } catch {
    throw new ConfigError(
      'INVALID_URL',
      `gateway URL "${url}" (from ${urlSource}) is not a ws:// or wss:// URL`,
      'e.g. --url ws://127.0.0.1:18789',
    )
  }

  const token = await resolveSecret(
    'token',
    { file: flags.tokenFile, stdin: flags.tokenStdin },
    env,
    ['OPENCLAW_GATEWAY_TOKEN', 'CLAWDBOT_GATEWAY_TOKEN'],
    config,
    remote,
    input.readStdinSecret,
  )
  const password = await resolveSecret(
    'password',
    { file: flags.passwordFile, stdin: flags.passwordStdin },
    env,
    ['OPENCLAW_GATEWAY_PASSWORD', 'CLAWDBOT_GATEWAY_PASSWORD'],
    config,
    remote,
    input.readStdinSecret,
  )

  // Pin source order (PROTOCOL.md §10): explicit, then remote.tlsFingerprint, then a local gateway's own cert.
  let tlsFingerprints = flags.tlsFingerprint ?? []
  let tlsSource: string | undefined = tlsFingerprints.length > 0 ? '--tls-fingerprint' : undefined
  const overridden = Boolean(flags.url || envUrl)
  if (tlsFingerprints.length === 0 && !overridden && url.startsWith('wss:')) {
    const remotePin = pick(config, 'gateway.remote.tlsFingerprint')
    if (remote && typeof remotePin === 'string')
      [tlsFingerprints, tlsSource] = [[remotePin], 'gateway.remote.tlsFingerprint in openclaw.json']
    else if (!remote && tlsEnabled) {
      const pin = localCertPin(config, openclawStateDir(env))
      if (pin) [tlsFingerprints, tlsSource] = [[pin], 'the local gateway certificate']
    }
  }

  const profileDir = flags.profileDir ?? defaultProfileDir(env)
  const profile = flags.profile ?? env.CLAWLINK_PROFILE ?? 'default'
  const paths = profilePaths(profileDir, profile)
  const fromFlags = signerSpecFromFlags(flags, input.cwd)
  let signer: SignerSpec
  let signerSource: string
  if (fromFlags) [signer, signerSource] = [fromFlags, '--signer']
  else {
    const saved = loadProfileSettings(paths)
    if (saved) [signer, signerSource] = [saved.signer, paths.settingsFile]
    else [signer, signerSource] = [{ kind: 'file' }, 'default']
  }

  return {
    url,
    urlSource,
    token: token?.value,
    tokenSource: token?.source,
    password: password?.value,
    passwordSource: password?.source,
    tlsFingerprints,
    tlsSource,
    allowInsecurePlaintext: flags.allowInsecureWs === true || env.OPENCLAW_ALLOW_INSECURE_PRIVATE_WS === '1',
    profile,
    profileDir,
    paths,
    signer,
    signerSource,
    openclawConfigPath: configPath,
    openclawConfigFound: config !== undefined,
  }
}

/** A printable view of settings: sources and lengths, never secret values. */
export function describeSettings(s: ResolvedSettings): Record<string, string> {
  const secret = (value: string | undefined, source: string | undefined) =>
    value ? `set (from ${source}, ${value.length} chars)` : 'not set'
  return {
    url: `${s.url} (from ${s.urlSource})`,
    token: secret(s.token, s.tokenSource),
    password: secret(s.password, s.passwordSource),
    tls: s.tlsFingerprints.length > 0 ? `${s.tlsFingerprints.length} pin(s) (from ${s.tlsSource})` : 'no pin',
    openclawConfig: `${s.openclawConfigPath}${s.openclawConfigFound ? '' : ' (not found)'}`,
    profile: `${s.profile} (${s.paths.dir})`,
  }
}
