import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { normalizeFingerprint } from '@clawlink/protocol'
import { ConfigError } from './errors.js'
import { resolvePath } from './home.js'
import { defaultProfileDir } from './profile.js'
import { assertTrusted } from './trust.js'
import { writePrivateFile } from '@clawlink/signer-kit'

type Env = Record<string, string | undefined>

/** One named gateway: where it is and how clawlink reaches it. No secret is stored, only a token file's path. */
export interface GatewayContext {
  name: string
  url: string
  tlsFingerprints: string[]
  tokenFile?: string
  profile?: string
  /** Line of its `[name]` header (for errors about it). */
  line?: number
}

/** The contexts file: every context and the one `clawlink context use` chose. */
export interface ContextsFile {
  path: string
  current?: string
  contexts: GatewayContext[]
}

/** A context name (and the file's section header): the profile name grammar. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The keys of a context section, named like the flags they stand for. */
const KEYS = ['url', 'tls-fingerprint', 'token-file', 'profile'] as const

/** `<clawlink config dir>/contexts.conf`: next to the profiles (`CLAWLINK_HOME`, else ~/.config/clawlink). */
export function contextsFilePath(env: Env): string {
  return join(defaultProfileDir(env), 'contexts.conf')
}

function invalid(path: string, line: number, what: string, fix: string): ConfigError {
  return new ConfigError('CONTEXT_INVALID', `${path} line ${line}: ${what}`, { remedy: fix })
}

/** Edit distance counting a swap of neighbours as one edit (`ulr` → `url`). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[]
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(
        (d[i - 1] as number[])[j]! + 1,
        row[j - 1]! + 1,
        (d[i - 1] as number[])[j - 1]! + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1)
    }
  return (d[a.length] as number[])[b.length]!
}

/** The known key a typo most likely meant (`tls-fingerprnt`, `tokenfile`, `ulr`), if any is close. */
function guessKey(key: string): string | undefined {
  const plain = (k: string) => k.toLowerCase().replace(/[^a-z]/g, '')
  const scored = KEYS.map((k) => ({ k, d: distance(plain(k), plain(key)) })).sort((x, y) => x.d - y.d)
  const best = scored[0]
  return best && best.d <= Math.max(1, Math.floor(plain(best.k).length / 4)) ? best.k : undefined
}

function checkValue(
  ctx: GatewayContext,
  key: string,
  value: string,
  at: (w: string, f: string) => never,
): void {
  if (key === 'url') {
    let protocol = ''
    try {
      protocol = new URL(value).protocol
    } catch {}
    if (protocol !== 'ws:' && protocol !== 'wss:')
      at(`url "${value}" is not a ws:// or wss:// URL`, 'e.g. url = wss://gateway.example:18789')
    ctx.url = value
  } else if (key === 'tls-fingerprint') {
    if (normalizeFingerprint(value).length !== 64)
      at(
        `tls-fingerprint "${value}" is not a SHA-256 fingerprint`,
        'write the 64 hex digits, e.g. AB:CD:… as openssl prints it',
      )
    ctx.tlsFingerprints.push(value)
  } else if (key === 'profile') {
    if (!CONTEXT_NAME.test(value))
      at(`invalid profile name "${value}"`, 'use letters, digits, ".", "_" or "-"')
    ctx.profile = value
  } else ctx.tokenFile = value
}

/**
 * Parses a contexts file: `current = NAME`, then `[NAME]` sections of `key = value` lines (`url`,
 * `tls-fingerprint` (repeatable), `token-file`, `profile`); `#` starts a comment line. Relative token files are
 * relative to the file's folder. @throws ConfigError CONTEXT_INVALID naming the file and line
 */
export function parseContexts(text: string, path: string, env: Env): ContextsFile {
  const file: ContextsFile = { path, contexts: [] }
  let ctx: GatewayContext | undefined
  let currentLine = 0
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const n = index + 1
    const at = (what: string, fix: string): never => {
      throw invalid(path, n, what, fix)
    }
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const header = /^\[(.*)\]$/.exec(line)
    if (header) {
      const name = (header[1] ?? '').trim()
      if (!CONTEXT_NAME.test(name))
        at(`invalid context name "${name}"`, 'use letters, digits, ".", "_" or "-"')
      const before = file.contexts.find((c) => c.name === name)
      if (before)
        at(`context "${name}" is defined twice (first on line ${before.line})`, 'remove one of them')
      ctx = { name, url: '', tlsFingerprints: [], line: n }
      file.contexts.push(ctx)
      return
    }
    const kv = /^([^=\s]+)\s*=\s*(.*)$/.exec(line)
    if (!kv) at(`cannot read "${line}"`, 'write key = value, [name] or a # comment')
    const [, key = '', value = ''] = kv as RegExpExecArray
    if (!ctx) {
      if (key !== 'current')
        at(`"${key}" outside a [context] section`, 'only "current = NAME" comes before the first [name]')
      file.current = value
      currentLine = n
      return
    }
    if (!(KEYS as readonly string[]).includes(key)) {
      const guess = guessKey(key)
      at(
        `unknown key "${key}" in [${ctx.name}]${guess ? `: did you mean "${guess}"?` : ''}`,
        `keys: ${KEYS.join(', ')}`,
      )
    }
    if (!value) at(`${key} has no value`, `write ${key} = …`)
    checkValue(ctx, key, key === 'token-file' ? resolvePath(value, env, dirname(path)) : value, at)
  })
  for (const c of file.contexts)
    if (!c.url) throw invalid(path, c.line ?? 0, `context "${c.name}" has no url`, 'add a line url = wss://…')
  if (file.current !== undefined && !file.contexts.some((c) => c.name === file.current))
    throw invalid(
      path,
      currentLine,
      `current context "${file.current}" is not defined`,
      'fix the name, or remove the line',
    )
  return file
}

/** The file's text: what `parseContexts` reads back unchanged. */
export function formatContexts(file: ContextsFile): string {
  const out = ['# clawlink contexts: clawlink context add|use|rm edit this file; hand edits are fine.']
  if (file.current) out.push(`current = ${file.current}`)
  for (const c of file.contexts) {
    out.push('', `[${c.name}]`, `url = ${c.url}`)
    for (const pin of c.tlsFingerprints) out.push(`tls-fingerprint = ${pin}`)
    if (c.tokenFile) out.push(`token-file = ${c.tokenFile}`)
    if (c.profile) out.push(`profile = ${c.profile}`)
  }
  return `${out.join('\n')}\n`
}

/**
 * Reads the contexts file (none: no contexts). It names URLs a token file is sent to, so like the profile
 * settings it must be the user's own and not writable by others. @throws ConfigError CONTEXT_INVALID, PROFILE_INSECURE
 */
export function loadContexts(env: Env, path = contextsFilePath(env)): ContextsFile {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { path, contexts: [] }
    throw new ConfigError(
      'CONTEXT_INVALID',
      `cannot read ${path}: ${code === 'ELOOP' ? 'it is a symlink' : (cause as Error).message}`,
      {
        remedy: code === 'ELOOP' ? 'replace the symlink with the file itself' : 'check its permissions',
        cause,
      },
    )
  }
  try {
    assertTrusted(dirname(path), statSync(dirname(path)), 'the clawlink config folder')
    assertTrusted(path, fstatSync(fd), 'the contexts file')
    return parseContexts(readFileSync(fd, 'utf8'), path, env)
  } finally {
    closeSync(fd)
  }
}

/** Writes the contexts file atomically (temp + rename), mode 0600, folder 0700. */
export function saveContexts(file: ContextsFile): void {
  writePrivateFile(file.path, formatContexts(file), { replace: true })
}
