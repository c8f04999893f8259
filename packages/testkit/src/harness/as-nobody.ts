import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

/**
 * Runs an ES module script with this Node as the user `nobody` (setpriv, util-linux): root reads any file, so a
 * permission check is only tested honestly from an unprivileged process. Returns what the script printed.
 * The script imports this checkout's code through {@link moduleForNobody}.
 */
export function runNodeAsNobody(script: string, env: Record<string, string> = {}): string {
  const args = ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups']
  return execFileSync('setpriv', [...args, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  })
}

/** A bundle made by {@link moduleForNobody}: its path, and its removal. */
export interface NobodyModule {
  path: string
  remove(): void
}

/**
 * A built module of this checkout, with everything it imports, as one file `nobody` can read: a checkout in a
 * private directory (a `mktemp -d` clone, a home of mode 0700) is out of that user's reach. Native add-ons
 * (keytar, pkcs11js) stay outside and load only if called. The caller removes it.
 */
export async function moduleForNobody(entry: string): Promise<NobodyModule> {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-as-nobody-'))
  const remove = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    chmodSync(dir, 0o755)
    const path = join(dir, basename(entry).replace(/\.[cm]?js$/, '.mjs'))
    const { build } = await import('esbuild')
    await build({
      entryPoints: [entry],
      outfile: path,
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['keytar', 'pkcs11js'],
      // CommonJS dependencies (ws, json5) require Node's built-ins: give the ES module a `require`.
      banner: {
        js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
      },
      logLevel: 'error',
    })
    chmodSync(path, 0o644)
    return { path, remove }
  } catch (error) {
    remove()
    throw error
  }
}
