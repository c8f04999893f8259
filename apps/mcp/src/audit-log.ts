import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { AUDIT_GENESIS, type AuditLink, auditLineHash, chainAuditLine } from '@clawlink/config'
import { linkAfterTail, lockLog } from './audit-tail.js'

/** What a write tool changed (or would have, when refused): the action and the changed fields' paths. */
export interface AuditChange {
  action: 'create' | 'update' | 'enable' | 'disable' | 'remove'
  fields: string[]
}

/**
 * One line of the audit log (apps/mcp/README.md "Reading the audit log"). On disk each line also starts with the
 * hash-chain fields `seq` and `prev` (@clawlink/config audit-chain.ts, docs/audit-chain.md).
 */
export interface AuditEntry {
  /** ISO time the call arrived. */
  time: string
  tool: string
  /** The call's arguments as the client sent them; keys named like a secret are redacted, long strings cut. */
  arguments: unknown
  /** The job the call resolved, when it resolved one. */
  job: { id: string; name: string | null } | null
  /** clientInfo from the MCP `initialize` of this session. */
  client: { name: string; version: string } | null
  transport: 'stdio' | 'http'
  outcome: 'ok' | 'refused' | 'error'
  /** The stable error code of a refused or failed call (NOT_ALLOWED, DECLINED, JOB_NOT_FOUND, RUN_FAILED, …). */
  code: string | null
  /** Why an OAuth refusal happened, in a word: the token's defect (`expired`, `audience`, …) or the scope missing. */
  reason?: string
  runId: string | null
  /** The gateway the call went to: its context (null without --context) and URL; absent when none was asked. */
  gateway?: AuditGateway
  /** The task id of a task-augmented call (its result comes later, through tasks/result). */
  taskId?: string
  /** A write tool's change: action and field paths, never values. */
  change?: AuditChange
  /** The W3C trace context of the request (`traceparent` in its `_meta`), when it had one. */
  traceparent?: string
  /** The authenticated subject (an OAuth access token's `sub`), when the request carried one. */
  subject?: string
  /** The OAuth client id of the access token, when there was one. */
  clientId?: string
  durationMs: number
}

/** The gateway of an audit line. */
export interface AuditGateway {
  context: string | null
  url: string
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  path: string
  /** Rotate when the file passes this size (default 10 MiB). */
  maxBytes?: number
  /** Rotated files kept: audit.jsonl.1 … .N (default 5). */
  keep?: number
  /** Where a write failure is reported (once per failing stretch); default stderr. */
  warn?: (message: string) => void
}

/** An append-only JSON-lines file. */
export interface AuditLog {
  readonly path: string
  /** Appends one line; never throws (a failure is reported through `warn`). */
  record(entry: AuditEntry): void
  close(): void
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024

/** Opens the log for appending: a 0600 regular file (never a symlink) in a 0700 folder. */
function openLogFile(path: string): number {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0)
  const opened = openSync(path, flags, 0o600)
  const st = fstatSync(opened)
  if (!st.isFile()) {
    closeSync(opened)
    throw new Error(`${path} is not a regular file`)
  }
  if ((st.mode & 0o077) !== 0) fchmodSync(opened, 0o600)
  return opened
}

/** Shifts `path` to `.1` (… `.keep`); the caller holds the lock. */
function rotateLog(path: string, held: number, maxBytes: number, keep: number): void {
  const st = statSync(path)
  const mine = fstatSync(held)
  if (st.ino !== mine.ino || st.size <= maxBytes) return // rotated meanwhile
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${path}.${i}`, `${path}.${i + 1}`)
    } catch {}
  }
  renameSync(path, `${path}.1`)
}

/** What a writer knows of the line it wrote last: enough to link the next one without reading the file. */
interface LastLine {
  ino: number
  dev: number
  /** With ino and dev: the same file, not a new one that reuses a rotated-away file's inode. */
  birth: number
  size: number
  link: AuditLink
  hash: string
}

/**
 * Opens (lazily) an audit log: each entry is one write(2) on an O_APPEND descriptor of a 0600 file in a 0700
 * folder, made under `${path}.lock`, which every writer of the file takes, so lines from several servers sharing
 * a profile never interleave and form one hash chain (docs/audit-chain.md): a writer links to the line it wrote
 * last while the file is as it left it, else reads the file's end (or the rotated file's end). Past `maxBytes`
 * the file is shifted to `.1` (… `.keep`) under the same lock; the next line links to the last one of `.1`.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { path } = options
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const keep = Math.max(1, options.keep ?? 5)
  const warn = options.warn ?? ((m: string) => process.stderr.write(`[clawlink-mcp] ${m}\n`))
  let fd: number | undefined
  let failing = false
  let last: LastLine | undefined
  let tailWarned = false

  /** The descriptor for `path` as it is now: another process may have rotated the file we hold. */
  const current = (): number => {
    if (fd !== undefined) {
      const held = fstatSync(fd)
      let onDisk: ReturnType<typeof statSync> | undefined
      try {
        onDisk = statSync(path)
      } catch {
        onDisk = undefined
      }
      if (onDisk && onDisk.ino === held.ino && onDisk.dev === held.dev) return fd
      closeSync(fd)
      fd = undefined
    }
    fd = openLogFile(path)
    return fd
  }

  /** The chain fields of the next line (and whether the file ends inside a line that needs its "\n"). */
  const nextLink = (target: number): { link: AuditLink; unterminated: boolean } => {
    const st = fstatSync(target)
    const mine =
      last && last.ino === st.ino && last.dev === st.dev && last.birth === st.birthtimeMs ? last : undefined
    if (mine && st.size === mine.size)
      return { link: { seq: mine.link.seq + 1, prev: mine.hash }, unterminated: false }
    if (mine && st.size < mine.size) {
      // Someone cut the file below the line we wrote: link to what we wrote, so the gap shows in `audit verify`.
      warn(
        `audit log ${path}: it shrank from ${mine.size} to ${st.size} bytes since our last line (lines removed?); the chain records the gap`,
      )
      return { link: { seq: mine.link.seq + 1, prev: mine.hash }, unterminated: false }
    }
    try {
      const next = linkAfterTail(path)
      tailWarned = false
      return next
    } catch (error) {
      if (!tailWarned)
        warn(
          `audit log ${path}: cannot read its end to continue the hash chain (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the next line starts a new chain, which \`clawlink audit verify\` reports`,
        )
      tailWarned = true
      return { link: { seq: 1, prev: AUDIT_GENESIS }, unterminated: false }
    }
  }

  const append = (entry: AuditEntry): void => {
    const target = current()
    const { link, unterminated } = nextLink(target)
    const line = chainAuditLine(entry, link)
    writeSync(target, `${unterminated ? '\n' : ''}${line}\n`)
    const st = fstatSync(target)
    last = { ino: st.ino, dev: st.dev, birth: st.birthtimeMs, size: st.size, link, hash: auditLineHash(line) }
  }

  return {
    path,
    record(entry) {
      let unlock: (() => void) | undefined
      try {
        if (fd === undefined) mkdirSync(dirname(path), { recursive: true, mode: 0o700 }) // the lock lives there
        unlock = lockLog(path)
        append(entry)
        // Without the lock (another writer held it for 2 s) the line is still written, but never rotated.
        if (unlock && fd !== undefined && fstatSync(fd).size > maxBytes) rotateLog(path, fd, maxBytes, keep)
        if (failing) warn(`audit log ${path}: writing again`)
        failing = false
      } catch (error) {
        if (!failing)
          warn(
            `audit log ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); tool calls go on, unlogged, until it can`,
          )
        failing = true
        if (fd !== undefined) {
          try {
            closeSync(fd)
          } catch {}
          fd = undefined
        }
      } finally {
        unlock?.()
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
