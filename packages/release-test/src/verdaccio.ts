import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isolatedEnv, runOk } from './run.js'

/** Verdaccio 6.8.0 is the last that runs on Node 20, with node-fetch pinned (docs/testing.md §10). */
export const VERDACCIO_VERSION = '6.8.0'

/** A Verdaccio on loopback and the private npm settings that point at it. */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` */
  url: string
  /** A private npmrc: `registry=` this one and a dummy token, which a loopback Verdaccio accepts. */
  npmrc: string
  /** Environment for npm/npx/pnpm children: private npmrc and cache, nothing from the user's npm config. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv
  stop(): Promise<void>
}

function cacheDir(): string {
  return join(homedir(), '.cache', 'clawlink', 'verdaccio')
}

function installedVersion(dir: string): string | undefined {
  const file = join(dir, 'node_modules', 'verdaccio', 'package.json')
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
    : undefined
}

/**
 * Installs Verdaccio into ~/.cache/clawlink/verdaccio once (from the registry npm already uses) and returns the
 * path of its bin. A half-finished install is never seen: it happens in a side folder renamed at the end.
 */
export async function ensureVerdaccio(): Promise<string> {
  const dir = cacheDir()
  const bin = join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio')
  if (installedVersion(dir) === VERDACCIO_VERSION) return bin
  const side = `${dir}.install-${process.pid}`
  rmSync(side, { recursive: true, force: true })
  mkdirSync(side, { recursive: true })
  writeFileSync(
    join(side, 'package.json'),
    `${JSON.stringify(
      { private: true, dependencies: { verdaccio: VERDACCIO_VERSION }, overrides: { 'node-fetch': '2.7.0' } },
      null,
      2,
    )}\n`,
  )
  process.stderr.write(`[release-test] installing verdaccio ${VERDACCIO_VERSION} into ${dir}\n`)
  await runOk('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: side,
    env: isolatedEnv({ NPM_CONFIG_CACHE: join(side, '.npm-cache'), NPM_CONFIG_UPDATE_NOTIFIER: 'false' }),
    timeoutMs: 300_000,
  })
  rmSync(join(side, '.npm-cache'), { recursive: true, force: true })
  if (installedVersion(dir) !== VERDACCIO_VERSION) {
    rmSync(dir, { recursive: true, force: true })
    renameSync(side, dir)
  } else {
    rmSync(side, { recursive: true, force: true })
  }
  return bin
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()))
    })
  })
}

function verdaccioConfig(uplink: string): string {
  // Our scopes are served only from here (never proxied); everything else comes through the uplink.
  return [
    'storage: ./storage',
    `uplinks: { public: { url: ${JSON.stringify(uplink)}, timeout: 60s } }`,
    'packages:',
    "  '@clawlink/*': { access: $all, publish: $all }",
    "  '@clawlink-test/*': { access: $all, publish: $all }",
    "  '**': { access: $all, publish: $all, proxy: public }",
    'max_body_size: 50mb',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n')
}

async function waitForPing(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`verdaccio exited ${child.exitCode}: ${readFileSync(log, 'utf8').slice(-2000)}`)
    }
    try {
      const res = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2_000) })
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  throw new Error(
    `verdaccio did not answer ${url}-/ping within 60 s: ${readFileSync(log, 'utf8').slice(-2000)}`,
  )
}

/**
 * Starts Verdaccio on a free loopback port with its storage, config, npmrc and npm cache under `work`. The uplink
 * is whatever `npm config get registry` says now; nothing is written outside `work`.
 */
export async function startLocalRegistry(work: string): Promise<LocalRegistry> {
  const bin = await ensureVerdaccio()
  const uplink = (await runOk('npm', ['config', 'get', 'registry'], { env: isolatedEnv() })).stdout.trim()
  const dir = join(work, 'verdaccio')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.yaml'), verdaccioConfig(uplink))
  const log = join(dir, 'verdaccio.log')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const out = openSync(log, 'a')
  const child = spawn(process.execPath, [bin, '-c', join(dir, 'config.yaml'), '-l', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', out, out],
    env: isolatedEnv(),
  })
  const npmrc = join(work, 'npmrc')
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=local-verdaccio\n`, { mode: 0o600 })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitForPing(url, child, log)
  } catch (error) {
    await stop()
    throw error
  }
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    isolatedEnv({
      NPM_CONFIG_USERCONFIG: npmrc,
      NPM_CONFIG_CACHE: join(work, 'npm-cache'),
      NPM_CONFIG_REGISTRY: url,
      NPM_CONFIG_UPDATE_NOTIFIER: 'false',
      NPM_CONFIG_FUND: 'false',
      NPM_CONFIG_AUDIT: 'false',
      // keytar (optional) compiles with node-gyp: use this Node's headers instead of downloading them (setup.sh).
      NPM_CONFIG_NODEDIR: resolve(process.execPath, '..', '..'),
      ...extra,
    })
  return { url, npmrc, env, stop }
}
