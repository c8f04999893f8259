import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from './errors.js'
import { expandHome, homeDir, resolvePath } from './home.js'
import { type SignerSpec, validateSignerSpec } from './signer-spec.js'
import { assertTrusted } from './trust.js'
import { writePrivateFile } from '@clawlink/signer-kit'

type Env = Record<string, string | undefined>

/** Files of one clawlink profile; CLI and MCP server share them, so one pairing serves both. */
export interface ProfilePaths {
  dir: string
  identityFile: string
  deviceTokensFile: string
  settingsFile: string
}

/** `CLAWLINK_HOME` (`~` expanded), else `$XDG_CONFIG_HOME/clawlink` or `~/.config/clawlink`. */
export function defaultProfileDir(env: Env): string {
  if (env.CLAWLINK_HOME) return expandHome(env.CLAWLINK_HOME, env)
  const base = env.XDG_CONFIG_HOME ? expandHome(env.XDG_CONFIG_HOME, env) : join(homeDir(env), '.config')
  return join(base, 'clawlink')
}

/**
 * The profile a command means: `--profile-dir` (already resolved) else {@link defaultProfileDir}, and
 * `--profile` else `CLAWLINK_PROFILE` else "default". @throws ConfigError INVALID_PROFILE
 */
export function resolveProfile(
  flags: { profileDir?: string | undefined; profile?: string | undefined },
  env: Env,
): { profile: string; profileDir: string; paths: ProfilePaths } {
  const profileDir = flags.profileDir ?? defaultProfileDir(env)
  const profile = flags.profile ?? env.CLAWLINK_PROFILE ?? 'default'
  return { profile, profileDir, paths: profilePaths(profileDir, profile) }
}

/**
 * Where clawlink-mcp keeps its audit log, as both it and `clawlink audit` find it: `flag` (`--audit-log`), else
 * `CLAWLINK_MCP_AUDIT_LOG`, else `<profile dir>/audit.jsonl`; undefined when either says `off`.
 */
export function auditLogPath(
  flag: string | undefined,
  paths: ProfilePaths,
  env: Env,
  cwd: string,
): string | undefined {
  const chosen = flag ?? env.CLAWLINK_MCP_AUDIT_LOG
  if (chosen === 'off') return undefined
  return chosen ? resolvePath(chosen, env, cwd) : join(paths.dir, 'audit.jsonl')
}

/** The paths of profile `profile` under `profileDir`. @throws ConfigError INVALID_PROFILE */
export function profilePaths(profileDir: string, profile = 'default'): ProfilePaths {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)) {
    throw new ConfigError('INVALID_PROFILE', `invalid profile name "${profile}"`, {
      remedy: 'use letters, digits, ".", "_" or "-"',
    })
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

/** Opens settings.json without following a symlink; undefined when absent. Checks the profile folder first. */
function readTrusted(paths: ProfilePaths): string | undefined {
  try {
    assertTrusted(paths.dir, statSync(paths.dir), 'the profile folder')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw cause
  }
  let fd: number
  try {
    fd = openSync(paths.settingsFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new ConfigError(
      'PROFILE_CORRUPT',
      `cannot read ${paths.settingsFile}: ${code === 'ELOOP' ? 'it is a symlink' : (cause as Error).message}`,
      {
        remedy: code === 'ELOOP' ? 'replace the symlink with the file itself' : 'check its permissions',
        cause,
      },
    )
  }
  try {
    const st = fstatSync(fd)
    assertTrusted(paths.settingsFile, st, 'profile settings')
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads the profile's settings.json; undefined when absent. The file and its folder must be the user's own and
 * not writable by others (a signer recorded there is code clawlink runs), and the signer must be well-formed.
 * @throws ConfigError PROFILE_INSECURE, PROFILE_CORRUPT, SIGNER_PLUGIN_REFUSED
 */
export function loadProfileSettings(paths: ProfilePaths): ProfileSettings | undefined {
  const text = readTrusted(paths)
  if (text === undefined) return undefined
  let data: ProfileSettings
  try {
    data = JSON.parse(text) as ProfileSettings
    if (data?.version !== 1 || typeof data.signer?.kind !== 'string') throw new Error('unexpected shape')
  } catch (cause) {
    throw new ConfigError(
      'PROFILE_CORRUPT',
      `profile settings ${paths.settingsFile} are unreadable (${(cause as Error).message}); the file was left untouched`,
      { remedy: `fix it, or move it away and run "clawlink device init" again`, cause },
    )
  }
  validateSignerSpec(data.signer, paths.settingsFile)
  return data
}

/** Writes settings.json atomically (temp + rename), mode 0600, folder 0700. */
export function saveProfileSettings(paths: ProfilePaths, settings: ProfileSettings): void {
  writePrivateFile(paths.settingsFile, `${JSON.stringify(settings, null, 2)}\n`, { replace: true })
}
