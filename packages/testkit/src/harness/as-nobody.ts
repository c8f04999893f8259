import { execFileSync } from 'node:child_process'

/**
 * Runs an ES module script with this Node as the user `nobody` (setpriv, util-linux): root reads any file, so a
 * permission check is only tested honestly from an unprivileged process. Returns what the script printed.
 */
export function runNodeAsNobody(script: string, env: Record<string, string> = {}): string {
  const args = ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups']
  return execFileSync('setpriv', [...args, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  })
}
