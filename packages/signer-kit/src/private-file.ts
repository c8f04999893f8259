import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Options of {@link writePrivateFile}. */
export interface WritePrivateFileOptions {
  /**
   * `true`: replace an existing file (rename(2) over it: settings, contexts). `false`: create only, never touch an
   * existing file, even when another process creates it at the same moment (link(2): keys).
   */
  replace: boolean
}

/**
 * The one way clawlink writes a file that may hold a secret: a temp file (mode 0600, whatever the umask) in the
 * same folder, fsynced, then moved into place in one step, so a reader sees the old file or the whole new one and
 * never a truncated one. The folder is created 0700 when missing. The temp file never outlives the call.
 * @returns false when `replace` is false and the file already existed (it was left untouched); true otherwise
 */
export function writePrivateFile(path: string, content: string, options: WritePrivateFileOptions): boolean {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    try {
      fchmodSync(fd, 0o600)
      writeFileSync(fd, content)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    if (options.replace) {
      renameSync(tmp, path)
      return true
    }
    try {
      linkSync(tmp, path)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    }
  } finally {
    rmSync(tmp, { force: true })
  }
}
