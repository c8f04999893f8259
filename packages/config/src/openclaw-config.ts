import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ConfigError } from './errors.js'
import { expandHome, homeDir } from './home.js'

type Env = Record<string, string | undefined>

function first(env: Env, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n]
    if (v !== undefined && v !== '') return v
  }
  return undefined
}

/** OpenClaw's state dir, first match wins (docs/protocol.md §6.1); `~` expanded as OpenClaw does. */
export function openclawStateDir(env: Env): string {
  const explicit = first(env, 'OPENCLAW_STATE_DIR', 'CLAWDBOT_STATE_DIR')
  if (explicit) return expandHome(explicit, env)
  const openclawHome = first(env, 'OPENCLAW_HOME')
  const home = openclawHome ? expandHome(openclawHome, env) : homeDir(env)
  const preferred = join(home, '.openclaw')
  if (existsSync(preferred)) return preferred
  for (const legacy of ['.clawdbot', '.moldbot', '.moltbot']) {
    if (existsSync(join(home, legacy))) return join(home, legacy)
  }
  return preferred
}

/** OpenClaw's config file: `OPENCLAW_CONFIG_PATH`, else `<stateDir>/openclaw.json` or a legacy name (docs/protocol.md §6.2). */
export function openclawConfigPath(env: Env): string {
  const explicit = first(env, 'OPENCLAW_CONFIG_PATH', 'CLAWDBOT_CONFIG_PATH')
  if (explicit) return expandHome(explicit, env)
  const dir = openclawStateDir(env)
  for (const name of ['openclaw.json', 'clawdbot.json', 'moldbot.json', 'moltbot.json']) {
    if (existsSync(join(dir, name))) return join(dir, name)
  }
  return join(dir, 'openclaw.json')
}

/**
 * Reads `openclaw.json` (JSON5, comments allowed) if it exists; never writes it. json5 is loaded only here,
 * so commands that need no config file do not pay for it.
 * @throws ConfigError CONFIG_PARSE (with line:column) or CONFIG_UNREADABLE
 */
export function readOpenClawConfig(path: string): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read OpenClaw config ${path}: ${code ?? (cause as Error).message}`,
      { remedy: `check its permissions, or point OPENCLAW_CONFIG_PATH at a readable file`, cause },
    )
  }
  const JSON5 = createRequire(import.meta.url)('json5') as { parse(text: string): unknown }
  let data: unknown
  try {
    data = JSON5.parse(text)
  } catch (cause) {
    const e = cause as { lineNumber?: number; columnNumber?: number; message: string }
    const where = e.lineNumber ? `${path}:${e.lineNumber}:${e.columnNumber ?? 1}` : path
    const what = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')
    throw new ConfigError('CONFIG_PARSE', `OpenClaw config ${where} is not valid JSON5: ${what}`, {
      remedy: `fix the file, or point OPENCLAW_CONFIG_PATH at another one`,
      cause,
    })
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError('CONFIG_PARSE', `OpenClaw config ${path} must hold a JSON object`, {
      remedy: 'fix the file',
    })
  }
  return data as Record<string, unknown>
}

/** `get(obj, 'gateway.remote.url')` for plain JSON. */
export function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}
