import type { Stats } from 'node:fs'
import { ConfigError } from './errors.js'

/**
 * Refuses a profile file or folder others could have written (like ssh does for ~/.ssh/config): it must be
 * owned by the current user (or root) and not group- or world-writable. No-op where POSIX owners do not exist.
 * @throws ConfigError PROFILE_INSECURE, with the chmod/chown that fixes it
 */
export function assertTrusted(path: string, st: Stats, what: string, uid = process.getuid?.()): void {
  if (uid === undefined) return
  if (st.uid !== uid && st.uid !== 0) {
    throw new ConfigError(
      'PROFILE_INSECURE',
      `${what} ${path} is owned by uid ${st.uid}, not by you (uid ${uid}); clawlink does not trust it`,
      {
        remedy: `if it is yours: chown ${uid} ${path}; otherwise move it away and run "clawlink device init"`,
      },
    )
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8)
    throw new ConfigError(
      'PROFILE_INSECURE',
      `${what} ${path} is writable by other users (mode ${mode}); clawlink does not trust it`,
      { remedy: `chmod go-w ${path}` },
    )
  }
}
