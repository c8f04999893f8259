import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { clientDisplayName } from './client-name.js'
import { applyContext, type ChosenContext, chooseContext } from './contexts.js'
import {
  type CurrentSecrets,
  credentialsReader,
  type IgnoredSecret,
  resolveCredential,
  type UrlOrigin,
} from './credentials.js'
import { ConfigError } from './errors.js'
import { resolvePath } from './home.js'
import { openclawConfigPath, openclawStateDir, readOpenClawConfig } from './openclaw-config.js'
import { loadProfileSettings, type ProfilePaths, resolveProfile } from './profile.js'
import { configValue, type SecretContext } from './secret-ref.js'
import type { SettingsFlags } from './settings-flags.js'
import { type SignerSpec, signerSpecFromFlags } from './signer-spec.js'

export type { SettingsFlags }

type Env = Record<string, string | undefined>

/** Where a setting came from, for `clawlink doctor` and error messages. */
export type SettingSource = string

/** Everything a command needs to connect. */
export interface ResolvedSettings {
  url: string
  urlSource: SettingSource
  /** How the URL was chosen: `flag` (--url or a context) and `env` get only their own secrets (docs/remote-gateway.md). */
  urlOrigin: UrlOrigin
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
  /**
   * Configured secrets deliberately not sent because the URL was overridden (`--url`, `OPENCLAW_GATEWAY_URL`):
   * credentials go only to the gateway they are configured for. Commands show `reason` when auth then fails.
   */
  ignoredSecrets: IgnoredSecret[]
  /** `clawlink <profile> (<user>@<host>)`: the client display name, distinct per profile, user and host. */
  clientDisplayName: string
  /** The context the settings came from, when one applied. */
  context?: string
  /** Reads the shared secrets again from the same sources (a rotated token); the client calls it after a mismatch. */
  credentials: () => Promise<CurrentSecrets>
}

/** Input of {@link resolveSettings}. */
export interface ResolveInput {
  flags: SettingsFlags
  env: Env
  /** Reads one secret from stdin (for `--token-stdin`/`--password-stdin`). */
  readStdinSecret?: () => Promise<string>
  cwd?: string
  /**
   * Also take the context from `CLAWLINK_CONTEXT` and the contexts file's `current` (the CLI does; `--context`
   * applies whatever this says).
   */
  useContexts?: boolean
}

function localCertPin(ctx: SecretContext, stateDir: string): string | undefined {
  const configured = configValue(ctx.config, 'gateway.tls.certPath', ctx.env)
  const certPath =
    typeof configured === 'string' && configured
      ? resolvePath(configured, ctx.env, ctx.configDir)
      : join(stateDir, 'gateway', 'tls', 'gateway-cert.pem')
  try {
    return new X509Certificate(readFileSync(certPath)).fingerprint256
  } catch {
    return undefined
  }
}

interface Target {
  url: string
  urlSource: string
  origin: UrlOrigin
}

/** The gateway URL and which gateway it designates: flag › env › `gateway.remote.url` (remote mode) › local. */
function resolveTarget(
  flags: SettingsFlags,
  ctx: SecretContext,
  remote: boolean,
  tls: boolean,
  chosen: ChosenContext | undefined,
): Target {
  const { env, config } = ctx
  let target: Target
  const envUrl = env.OPENCLAW_GATEWAY_URL || env.CLAWDBOT_GATEWAY_URL
  const remoteUrl = remote ? configValue(config, 'gateway.remote.url', env) : undefined
  // A context's URL is as explicit as --url: only its own token file goes there (docs/remote-gateway.md).
  const viaContext = chosen && flags.url === chosen.context.url ? contextLabel(chosen) : undefined
  if (flags.url) target = { url: flags.url, urlSource: viaContext ?? '--url', origin: 'flag' }
  else if (envUrl) {
    const urlSource = env.OPENCLAW_GATEWAY_URL ? 'OPENCLAW_GATEWAY_URL' : 'CLAWDBOT_GATEWAY_URL'
    target = { url: envUrl, urlSource, origin: 'env' }
  } else if (typeof remoteUrl === 'string' && remoteUrl)
    target = { url: remoteUrl, urlSource: 'gateway.remote.url in openclaw.json', origin: 'remote' }
  else {
    const configPort = configValue(config, 'gateway.port', env)
    const port = env.OPENCLAW_GATEWAY_PORT || configPort || 18789
    const urlSource = env.OPENCLAW_GATEWAY_PORT
      ? 'OPENCLAW_GATEWAY_PORT'
      : configPort
        ? 'gateway.port in openclaw.json'
        : 'default'
    target = {
      url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${String(port)}`,
      urlSource,
      origin: remote ? 'remote' : 'local',
    }
  }
  try {
    const parsed = new URL(target.url)
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new Error('not ws')
  } catch {
    throw new ConfigError(
      'INVALID_URL',
      `gateway URL "${target.url}" (from ${target.urlSource}) is not a ws:// or wss:// URL`,
      { remedy: 'e.g. --url ws://127.0.0.1:18789' },
    )
  }
  return target
}

function contextLabel(chosen: ChosenContext): string {
  return `context "${chosen.context.name}", chosen by ${chosen.source}`
}

/** Pin source order (docs/protocol.md §10): explicit, then remote.tlsFingerprint, then a local gateway's own cert. */
function resolvePins(
  flags: SettingsFlags,
  target: Target,
  ctx: SecretContext,
  remote: boolean,
  tls: boolean,
): { tlsFingerprints: string[]; tlsSource: string | undefined } {
  const explicit = flags.tlsFingerprint ?? []
  if (explicit.length > 0) return { tlsFingerprints: explicit, tlsSource: '--tls-fingerprint' }
  const none = { tlsFingerprints: [], tlsSource: undefined }
  if (target.origin === 'flag' || target.origin === 'env' || !target.url.startsWith('wss:')) return none
  const remotePin = configValue(ctx.config, 'gateway.remote.tlsFingerprint', ctx.env)
  if (remote && typeof remotePin === 'string' && remotePin)
    return { tlsFingerprints: [remotePin], tlsSource: 'gateway.remote.tlsFingerprint in openclaw.json' }
  if (!remote && tls) {
    const pin = localCertPin(ctx, openclawStateDir(ctx.env))
    if (pin) return { tlsFingerprints: [pin], tlsSource: 'the local gateway certificate' }
  }
  return none
}

/**
 * Resolves URL, credentials, TLS pins, profile and signer from flags, env and `openclaw.json`, with OpenClaw's
 * names and rules (SecretRefs, `${VAR}`, `~`; credentials only to the gateway they are configured for).
 * Records where each came from; never logs a secret.
 * @throws ConfigError
 */
export async function resolveSettings(input: ResolveInput): Promise<ResolvedSettings> {
  const { env } = input
  const cwd = input.cwd ?? process.cwd()
  const path = (p: string | undefined) => (p ? resolvePath(p, env, cwd) : undefined)
  const chosen = chooseContext(input.flags, env, input.useContexts === true)
  const given = chosen ? applyContext(input.flags, chosen.context) : input.flags
  const flags: SettingsFlags = {
    ...given,
    tokenFile: path(given.tokenFile),
    passwordFile: path(given.passwordFile),
    profileDir: path(input.flags.profileDir),
  }
  const configPath = openclawConfigPath(env)
  const config = readOpenClawConfig(configPath)
  const ctx: SecretContext = { env, config, configDir: dirname(configPath) }
  const remote = configValue(config, 'gateway.mode', env) === 'remote'
  const tls = configValue(config, 'gateway.tls.enabled', env) === true
  const target = resolveTarget(flags, ctx, remote, tls, chosen)

  const common = { origin: target.origin, url: target.url, ctx, readStdin: input.readStdinSecret }
  const token = await resolveCredential({
    kind: 'token',
    file: flags.tokenFile,
    stdin: flags.tokenStdin,
    ...common,
  })
  const password = await resolveCredential({
    kind: 'password',
    file: flags.passwordFile,
    stdin: flags.passwordStdin,
    ...common,
  })
  const credentials = credentialsReader(
    { token: token.secret, password: password.secret },
    {
      origin: target.origin,
      url: target.url,
      tokenFile: flags.tokenFile,
      passwordFile: flags.passwordFile,
      readCtx: () => ({ env, config: readOpenClawConfig(configPath), configDir: dirname(configPath) }),
    },
  )
  const pins = resolvePins(flags, target, ctx, remote, tls)
  const { tlsFingerprints } = pins
  const fromContext = chosen && !input.flags.tlsFingerprint?.length && tlsFingerprints.length > 0
  const tlsSource = fromContext ? contextLabel(chosen) : pins.tlsSource

  const { profile, profileDir, paths } = resolveProfile(flags, env)
  const fromFlags = signerSpecFromFlags(flags, cwd, env)
  let signer: SignerSpec
  let signerSource: string
  if (fromFlags) [signer, signerSource] = [fromFlags, '--signer']
  else {
    const saved = loadProfileSettings(paths)
    if (saved) [signer, signerSource] = [saved.signer, paths.settingsFile]
    else [signer, signerSource] = [{ kind: 'file' }, 'default']
  }

  return {
    url: target.url,
    urlSource: target.urlSource,
    urlOrigin: target.origin,
    token: token.secret?.value,
    tokenSource: token.secret?.source,
    password: password.secret?.value,
    passwordSource: password.secret?.source,
    tlsFingerprints,
    tlsSource,
    // OPENCLAW_ALLOW_INSECURE_PRIVATE_WS only ever allows private hosts, which clawlink allows anyway (like 9.x):
    // it must not open plaintext to a public host. Only the explicit flag does that.
    allowInsecurePlaintext: flags.allowInsecureWs === true,
    profile,
    profileDir,
    paths,
    signer,
    signerSource,
    openclawConfigPath: configPath,
    openclawConfigFound: config !== undefined,
    ignoredSecrets: [...token.ignored, ...password.ignored],
    clientDisplayName: clientDisplayName(profile, env),
    ...(chosen ? { context: chosen.context.name } : {}),
    credentials,
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
    ...(s.context ? { context: s.context } : {}),
    profile: `${s.profile} (${s.paths.dir})`,
    clientName: s.clientDisplayName,
    ...(s.ignoredSecrets.length > 0
      ? { ignoredSecrets: s.ignoredSecrets.map((i) => i.reason).join('; ') }
      : {}),
  }
}
