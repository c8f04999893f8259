import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { ConfigError } from './errors.js'
import type { SignerSpec } from './signer-spec.js'

type Env = Record<string, string | undefined>

/** Files of one clawlink profile; CLI and MCP server share them, so one pairing serves both. */
export interface ProfilePaths {
  dir: string
  identityFile: string
  deviceTokensFile: string
  settingsFile: string
}

/** `--profile-dir`, `CLAWLINK_HOME`, else `$XDG_CONFIG_HOME/clawlink` or `~/.config/clawlink`. */
export function defaultProfileDir(env: Env): string {
  if (env.CLAWLINK_HOME) return env.CLAWLINK_HOME
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(base, 'clawlink')
}

/** The paths of profile `profile` under `profileDir`. @throws ConfigError INVALID_PROFILE */
export function profilePaths(profileDir: string, profile = 'default'): ProfilePaths {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)) {
    throw new ConfigError(
      'INVALID_PROFILE',
      `invalid profile name "${profile}"`,
      'use letters, digits, ".", "_" or "-"',
    )
  }
  const dir = join(profileDir, profile)
  return {
    dir,
    identityFile: join(dir, 'device-key.json'),
    deviceTokensFile: join(dir, 'device-tokens.json'),
    settingsFile: join(dir, 'settings.json'),
  }
}

/** What `clawlink device init` records in the profile (no secrets). */
export interface ProfileSettings {
  version: 1
  signer: SignerSpec
  createdAtMs?: number
}

/** Reads the profile's settings.json; undefined when absent. @throws ConfigError PROFILE_CORRUPT */
export function loadProfileSettings(paths: ProfilePaths): ProfileSettings | undefined {
  let text: string
  try {
    text = readFileSync(paths.settingsFile, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(
      'PROFILE_CORRUPT',
      `cannot read ${paths.settingsFile}: ${(cause as Error).message}`,
      'check its permissions',
      {
        cause,
      },
    )
  }
  try {
    const data = JSON.parse(text) as ProfileSettings
    if (data?.version !== 1 || typeof data.signer?.kind !== 'string') throw new Error('unexpected shape')
    return data
  } catch (cause) {
    throw new ConfigError(
      'PROFILE_CORRUPT',
      `profile settings ${paths.settingsFile} are unreadable (${(cause as Error).message}); the file was left untouched`,
      `fix it, or move it away and run "clawlink device init" again`,
      { cause },
    )
  }
}

/** Writes settings.json atomically (temp + rename), mode 0600, folder 0700. */
export function saveProfileSettings(paths: ProfilePaths, settings: ProfileSettings): void {
  mkdirSync(dirname(paths.settingsFile), { recursive: true, mode: 0o700 })
  const tmp = `${paths.settingsFile}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(tmp, 0o600)
    renameSync(tmp, paths.settingsFile)
  } finally {
    rmSync(tmp, { force: true })
  }
}
