import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

type Env = Record<string, string | undefined>

/** The home directory `~` stands for: `$HOME`, else the OS account's home. */
export function homeDir(env: Env): string {
  const home = env.HOME?.trim()
  return home ? home : homedir()
}

/**
 * `~` and `~/…` expanded to the home directory, as a shell would for an unquoted word; `~user` and every other
 * string are returned as given. Used for every path a user types (flags, env, openclaw.json, MCP client JSON).
 */
export function expandHome(path: string, env: Env): string {
  if (path === '~') return homeDir(env)
  if (path.startsWith('~/')) return join(homeDir(env), path.slice(2))
  return path
}

/** {@link expandHome}, then made absolute against `base` (the cwd for flags, the file's folder for config). */
export function resolvePath(path: string, env: Env, base: string): string {
  const expanded = expandHome(path, env)
  return isAbsolute(expanded) ? expanded : resolve(base, expanded)
}
