import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'

/** What a write tool changed (or would have, when refused): the action and the changed fields' paths. */
export interface AuditChange {
  action: 'create' | 'update' | 'enable' | 'disable' | 'remove'
  fields: string[]
}

/** One line of the audit log (apps/mcp/README.md "Reading the audit log"). */
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
  runId: string | null
  /** The task id of a task-augmented call (its result comes later, through tasks/result). */
  taskId?: string
  /** A write tool's change: action and field paths, never values. */
  change?: AuditChange
  /** The W3C trace context of the request (`_meta.traceparent`), when the client sent one. */
  traceparent?: string
  durationMs: number
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
const STALE_LOCK_MS = 10_000

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

/** Shifts `path` to `.1` (… `.keep`) under a lock file, unless another writer did so meanwhile. */
function rotateLog(path: string, held: number, maxBytes: number, keep: number): void {
  const lock = `${path}.lock`
  let lockFd: number
  try {
    lockFd = openSync(lock, 'wx', 0o600)
  } catch {
    // Another writer is rotating; a lock left by a crash is removed so the next write can rotate.
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock)
    } catch {}
    return
  }
  try {
    const st = statSync(path)
    const mine = fstatSync(held)
    if (st.ino !== mine.ino || st.size <= maxBytes) return // rotated meanwhile
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`)
      } catch {}
    }
    renameSync(path, `${path}.1`)
  } finally {
    closeSync(lockFd)
    unlinkSync(lock)
  }
}

/**
 * Opens (lazily) an audit log: each entry is one write(2) on an O_APPEND descriptor of a 0600 file in a 0700
 * folder, so lines from several servers sharing a profile never interleave. Past `maxBytes` the file is shifted
 * to `.1` (… `.keep`) under a lock file; a writer whose file was rotated by another process reopens the path.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { path } = options
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const keep = Math.max(1, options.keep ?? 5)
  const warn = options.warn ?? ((m: string) => process.stderr.write(`[clawlink-mcp] ${m}\n`))
  let fd: number | undefined
  let failing = false

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

  return {
    path,
    record(entry) {
      try {
        const target = current()
        writeSync(target, `${JSON.stringify(entry)}\n`)
        if (fstatSync(target).size > maxBytes) rotateLog(path, target, maxBytes, keep)
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
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
