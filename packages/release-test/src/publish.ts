import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalRegistry } from './verdaccio.js'
import { runOk } from './run.js'

/** A public workspace package as published: name, version, and its folder in the clone. */
export interface PublishedPackage {
  name: string
  version: string
  dir: string
}

/** The workspace's public packages (packages/* and apps/* without `private: true`). */
export function publicPackages(root: string): PublishedPackage[] {
  const found: PublishedPackage[] = []
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const dir = join(root, group, name)
      let pkg: { name: string; version: string; private?: boolean }
      try {
        pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      } catch {
        continue
      }
      if (!pkg.private) found.push({ name: pkg.name, version: pkg.version, dir })
    }
  }
  return found
}

/**
 * Publishes what is committed at `repoRoot`'s HEAD, as RELEASING.md says: a fresh `git clone`, an offline frozen
 * install, `changeset version` (when changesets are pending), then `scripts/release.sh <registry>`.
 * Uncommitted changes in the checkout are deliberately not part of it.
 */
export async function publishFromCleanClone(
  repoRoot: string,
  clone: string,
  registry: LocalRegistry,
): Promise<PublishedPackage[]> {
  const head = (await runOk('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })).stdout.trim()
  await runOk('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone])
  const cloned = (await runOk('git', ['rev-parse', 'HEAD'], { cwd: clone })).stdout.trim()
  if (cloned !== head) throw new Error(`git clone of ${repoRoot} gave ${cloned}, not its HEAD ${head}`)
  const env = registry.env({ TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' })
  const step = (what: string) => process.stderr.write(`[release-test] ${what}\n`)
  step(`clean clone of ${head.slice(0, 12)}: pnpm install --frozen-lockfile --offline`)
  await runOk('pnpm', ['install', '--frozen-lockfile', '--offline'], { cwd: clone, env, timeoutMs: 300_000 })
  const pending = readdirSync(join(clone, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')
  if (pending.length > 0) {
    step(`pnpm changeset version (${pending.length} pending)`)
    await runOk('pnpm', ['exec', 'changeset', 'version'], { cwd: clone, env, timeoutMs: 120_000 })
  }
  step(`scripts/release.sh ${registry.url}`)
  await runOk('bash', ['scripts/release.sh', registry.url], { cwd: clone, env, timeoutMs: 900_000 })
  return publicPackages(clone)
}
