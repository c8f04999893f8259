import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { ClawlinkError } from '@clawlink/protocol'
import { MIN_TASK_KEY_BYTES } from './task-handle.js'

export type TaskSecretCode = 'TASK_SECRET_FILE' | 'TASK_SECRET_WEAK'

/** A start-up refusal of `--task-secret-file`: the message names the flag and the file, never the key. */
export class TaskSecretError extends ClawlinkError<TaskSecretCode> {
  override name = 'TaskSecretError'
}

const MAX_SECRET_BYTES = 64 * 1024
const CREATE = (file: string) => `create one: (umask 077; openssl rand -hex 32 > ${file})`

/**
 * The key of `--task-secret-file FILE`: the file's bytes, trailing whitespace (a final newline) removed. The file
 * must be a regular file (not a symlink), readable by its owner only, and hold at least 32 bytes; every replica
 * behind one load balancer uses the same file. Throws {@link TaskSecretError} naming the flag and the fix.
 */
export function loadTaskSecret(file: string): Buffer {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new TaskSecretError(
      'TASK_SECRET_FILE',
      `--task-secret-file ${file}: cannot open it (${code === 'ELOOP' ? 'a symlink' : code})`,
      { remedy: code === 'ENOENT' ? CREATE(file) : 'pass the path of a regular file you can read' },
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile())
      throw new TaskSecretError('TASK_SECRET_FILE', `--task-secret-file ${file}: not a regular file`, {
        remedy: CREATE(file),
      })
    if ((st.mode & 0o077) !== 0)
      throw new TaskSecretError(
        'TASK_SECRET_FILE',
        `--task-secret-file ${file}: readable or writable by other users (mode ${(st.mode & 0o777).toString(8)})`,
        { remedy: `chmod 600 ${file}` },
      )
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1)
    const read = readSync(fd, buffer, 0, buffer.length, 0)
    if (read > MAX_SECRET_BYTES)
      throw new TaskSecretError(
        'TASK_SECRET_FILE',
        `--task-secret-file ${file}: larger than ${MAX_SECRET_BYTES} bytes, not a key file`,
        { remedy: CREATE(file) },
      )
    let end = read
    while (end > 0 && /\s/.test(String.fromCharCode(buffer[end - 1]!))) end--
    if (end < MIN_TASK_KEY_BYTES)
      throw new TaskSecretError(
        'TASK_SECRET_WEAK',
        `--task-secret-file ${file}: ${end} bytes of secret, at least ${MIN_TASK_KEY_BYTES} needed`,
        { remedy: `make a longer one: (umask 077; openssl rand -hex 32 > ${file})` },
      )
    const key = Buffer.from(buffer.subarray(0, end))
    buffer.fill(0)
    return key
  } finally {
    closeSync(fd)
  }
}
