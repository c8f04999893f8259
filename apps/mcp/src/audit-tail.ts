import { type AuditLink, AUDIT_GENESIS, nextAuditLink } from '@clawlink/config'
import { closeSync, constants, fstatSync, openSync, readSync, statSync, unlinkSync } from 'node:fs'

// The two things the chained audit writer (audit-log.ts) needs besides appending: a lock shared by every process
// writing the same file, and the end of the file as it is on disk (to link the next line to the last one).

const STALE_LOCK_MS = 10_000
const LOCK_WAIT_MS = 2_000
const FIRST_READ = 64 * 1024
/** A last line longer than this is not read back: the chain restarts (the writer says so). */
export const MAX_TAIL_BYTES = 1024 * 1024

const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Takes `${path}.lock` (O_EXCL), waiting up to 2 s for another writer; a lock older than 10 s (left by a crash)
 * is removed. Returns a release function, or undefined when the lock could not be had in time.
 */
export function lockLog(path: string): (() => void) | undefined {
  const lock = `${path}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      return () => {
        closeSync(fd)
        try {
          unlinkSync(lock)
        } catch {}
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock)
    } catch {}
    if (Date.now() > deadline) return undefined
    Atomics.wait(pause, 0, 0, 2)
  }
}

/** The last bytes of `path` (enough to hold its last line), and whether they are the whole file; none if absent. */
function readTail(path: string): { bytes: Buffer; whole: boolean } | undefined {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const size = fstatSync(fd).size
    for (let want = FIRST_READ; ; want *= 4) {
      const length = Math.min(size, want)
      const bytes = Buffer.alloc(length)
      const read = readSync(fd, bytes, 0, length, size - length)
      const tail = bytes.subarray(0, read)
      const whole = length === size
      // The last line is whole once a newline precedes it (a final "\n" is the line's own end).
      if (whole || tail.subarray(0, -1).includes(0x0a)) return { bytes: tail, whole }
      if (length >= MAX_TAIL_BYTES) throw new Error(`its last line is longer than ${MAX_TAIL_BYTES} bytes`)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * The link of the next line of `path`: after its last line; after the last line of `${path}.1` when `path` is
 * absent or empty (just rotated); from the genesis value when neither has a line. `unterminated`: `path` ends
 * inside a line, so "\n" must be written first. Throws when the end cannot be read.
 */
export function linkAfterTail(path: string): { link: AuditLink; unterminated: boolean } {
  const own = readTail(path)
  const here = own && nextAuditLink(own.bytes, own.whole)
  if (here) return here
  const rotated = readTail(`${path}.1`)
  const before = rotated && nextAuditLink(rotated.bytes, rotated.whole)
  // A rotated file ending inside a line is closed by nobody: the new file links to the cut line as it is.
  if (before) return { link: before.link, unterminated: false }
  return { link: { seq: 1, prev: AUDIT_GENESIS }, unterminated: false }
}
