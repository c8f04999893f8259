import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import {
  ensureOpenClaw,
  GATEWAY_VERSIONS,
  nodeMajorFor,
  type OpenClawInstall,
  peerCacheDir,
} from './install.js'
import type { RunningModel } from '../model/process.js'
import { mergeConfig, mockModelConfig } from './model-config.js'
import { gatewayRpc, type HarnessRpcError } from './rpc.js'
import { alive, stopGateway } from './stop.js'

/** A running real gateway, as the tests see it (the `CLAWLINK_GATEWAYS` file holds a list of these). */
export interface RunningGateway {
  version: string
  url: string
  token: string
  port: number
  dir: string
  pid: number
  /** Milliseconds from launch to the first hello-ok. */
  readyMs?: number
  protocol?: number
  /** libfaketime offset of the gateway's clock (e.g. `-30s`), when it was started skewed. */
  clockOffset?: string
  /**
   * `agents`: a gateway kept for agent-turn tests. An agent turn keeps a gateway's event loop busy for seconds while
   * it sets up (5.7 froze up to ~28 s under load), which must not time out other suites' connects.
   */
  pool?: GatewayPool
  /** The mock model this gateway's agent turns call (one process shared by all gateways of a `start-all`). */
  model?: RunningModel
}

/** Options of {@link startGateway}. */
export interface StartGatewayOptions {
  version: string
  /** @default a free loopback port */
  port?: number
  /** @default a random 32-hex-char token */
  token?: string
  /** @default a new folder under the cache's `instances/` */
  dir?: string
  /** @default 180000 (docs/testing.md §1.7) */
  readyTimeoutMs?: number
  /** Extra config merged into openclaw.json (keys every version accepts only). */
  config?: Record<string, unknown>
  /** Configure agent turns to call this mock model ({@link mockModelConfig}); recorded on the result. */
  model?: RunningModel
  /** Run the gateway with its clock off by this much (libfaketime, docs/testing.md §9), e.g. `-30s`, `+45s`. */
  clockOffset?: string
  /** Recorded on the result: which tests use this gateway ({@link RunningGateway.pool}). */
  pool?: GatewayPool
  /** `gateway.bind`; `lan` only ever inside a network namespace of the test's own (docs/testing.md §12). @default 'loopback' */
  bind?: GatewayBind
  /** The address clients use in the URL. @default '127.0.0.1' */
  host?: string
  /** Argv put before the gateway's own, e.g. `['ip', 'netns', 'exec', ns]`; the port is then not checked on the host. */
  commandPrefix?: readonly string[]
  /** Readiness check in place of {@link waitForReady} (e.g. one run from inside a namespace). */
  waitReady?: (url: string, token: string, timeoutMs: number, pid: number) => Promise<number>
}

const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1'

/** The environment that skews only the gateway's clock (docs/testing.md §9); monotonic time stays real. */
export function faketimeEnv(offset: string): NodeJS.ProcessEnv {
  if (!/^[+-]\d+[smhd]?$/.test(offset)) throw new Error(`invalid clock offset "${offset}" (e.g. -30s, +45s)`)
  if (!existsSync(FAKETIME_LIB))
    throw new Error(
      `libfaketime is not installed (${FAKETIME_LIB}): apt-get install faketime (scripts/setup.sh does)`,
    )
  return { LD_PRELOAD: FAKETIME_LIB, FAKETIME: offset, DONT_FAKE_MONOTONIC: '1' }
}

/**
 * Gateways kept apart for one kind of test: `agents` for agent-turn suites, `drops` for the connection-drop suites
 * (their slow runs must not queue behind the agent suites' 95 s runs: 3.13 runs cron jobs one at a time).
 */
export const GATEWAY_POOLS = ['agents', 'drops'] as const
export type GatewayPool = (typeof GATEWAY_POOLS)[number]

/** Where the gateway listens: its loopback, or every address it has (`lan`). */
export type GatewayBind = 'loopback' | 'lan'

function log(message: string): void {
  process.stderr.write(`[harness] ${message}\n`)
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** A loopback port that is free, with PORT+2 and PORT+3 free too (3.13/5.7 listen there, docs/testing.md §1.6). */
export async function pickPort(from = 19000 + Math.floor(Math.random() * 20000)): Promise<number> {
  for (let port = from; port < from + 400; port += 4) {
    if ((await portFree(port)) && (await portFree(port + 2)) && (await portFree(port + 3))) return port
  }
  throw new Error(`no free loopback port near ${from}`)
}

/** The isolating environment of a gateway instance (docs/testing.md §1.4); also right for its official CLI. */
export function gatewayEnv(install: OpenClawInstall, dir: string): NodeJS.ProcessEnv {
  return {
    PATH: `${install.nodeBinDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: join(dir, 'home'),
    OPENCLAW_HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    OPENCLAW_CONFIG_PATH: join(dir, 'state', 'openclaw.json'),
    TMPDIR: join(dir, 'tmp'),
    OPENCLAW_NO_AUTO_UPDATE: '1',
    DO_NOT_TRACK: '1',
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_SKIP_CHANNELS: '1',
    OPENCLAW_NO_RESPAWN: '1',
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
  }
}

/** The config file (docs/testing.md §1.5, §13): only keys every version accepts; the token lives here, not on argv. */
export function gatewayConfig(
  version: string,
  port: number,
  token: string,
  dir: string,
  extra: Record<string, unknown> = {},
  bind: GatewayBind = 'loopback',
) {
  const base: Record<string, unknown> = {
    gateway: { mode: 'local', port, bind, auth: { mode: 'token', token } },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: 'off' } },
    logging: { file: join(dir, 'logs', 'openclaw.log') },
    // With no model every heartbeat is a failing agent turn; on 5.7 it stalls the gateway (docs/testing.md §1.13).
    agents: { defaults: { heartbeat: { every: '0m' } } },
  }
  if (nodeMajorFor(version) === 24) base.models = { catalogRefresh: { enabled: false } }
  return mergeConfig(base, extra)
}

/**
 * Waits until a real `connect` gets hello-ok: an open port is not enough, 5.7 and 9.6 answer 1013
 * "gateway starting" for a few seconds (docs/testing.md §1.7).
 */
export async function waitForReady(
  url: string,
  token: string,
  timeoutMs: number,
  pid?: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const { hello } = await gatewayRpc({ url, token, scopes: ['operator.read'], timeoutMs: 10_000 }, [])
      return Number(hello.protocol)
    } catch (error) {
      const e = error as HarnessRpcError
      const retry =
        e.kind === 'refused' || e.kind === 'closed' || e.kind === 'timeout' || e.gatewayCode === 'UNAVAILABLE'
      if (!retry) throw error
      if (pid !== undefined && !alive(pid))
        throw new Error(`gateway process ${pid} exited before it was ready`)
      if (Date.now() > deadline)
        throw new Error(`gateway at ${url} not ready after ${timeoutMs} ms (last: ${e.message})`)
      await new Promise((r) => setTimeout(r, 150))
    }
  }
}

/**
 * Installs (if needed) and starts a real OpenClaw gateway on loopback, isolated in its own folder, and waits
 * for a real hello-ok. Stop it with {@link stopGateway}.
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const install = await ensureOpenClaw(options.version)
  const port = options.port ?? (await pickPort())
  const bind = options.bind ?? 'loopback'
  if (!options.commandPrefix && !(await portFree(port)))
    throw new Error(`port ${port} is already in use; refusing to start a gateway there`)
  const token = options.token ?? randomBytes(16).toString('hex')
  const dir = options.dir ?? join(peerCacheDir(), 'instances', `${options.version}-${port}-${process.pid}`)
  for (const sub of ['home', 'state', 'logs', 'run'])
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 })
  // Keep TMPDIR between runs of the same version: it holds transpile caches (33 s cold vs 5 s warm on 3.13).
  const tmp = join(peerCacheDir(), `tmp-${options.version}`)
  mkdirSync(tmp, { recursive: true })
  if (!existsSync(join(dir, 'tmp'))) {
    try {
      symlinkSync(tmp, join(dir, 'tmp'))
    } catch {
      mkdirSync(join(dir, 'tmp'), { recursive: true })
    }
  }
  const extra = options.model
    ? mergeConfig(mockModelConfig(options.version, options.model.url), options.config ?? {})
    : options.config
  const config = gatewayConfig(options.version, port, token, dir, extra, bind)
  writeFileSync(join(dir, 'state', 'openclaw.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  const out = openSync(join(dir, 'logs', 'gateway.log'), 'a')
  const started = Date.now()
  // `detached` = setsid: the gateway gets its own session, so our signals reach it only by its PID.
  // `ip netns exec` execs in place, so the PID is the gateway's own even with a prefix.
  const argv = [
    ...(options.commandPrefix ?? []),
    install.node,
    install.openclaw,
    'gateway',
    '--port',
    String(port),
    '--bind',
    bind,
    '--allow-unconfigured',
  ]
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: dir,
    env: { ...gatewayEnv(install, dir), ...(options.clockOffset ? faketimeEnv(options.clockOffset) : {}) },
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start openclaw@${options.version}`)
  writeFileSync(join(dir, 'run', 'gateway.pid'), `${pid}\n`)
  const url = `ws://${options.host ?? '127.0.0.1'}:${port}`
  log(`started openclaw@${options.version} (pid ${pid}) on ${url}, waiting for hello-ok`)
  try {
    const ready = options.waitReady ?? waitForReady
    const protocol = await ready(url, token, options.readyTimeoutMs ?? 180_000, pid)
    const gw: RunningGateway = {
      version: options.version,
      url,
      token,
      port,
      dir,
      pid,
      readyMs: Date.now() - started,
      protocol,
      ...(options.clockOffset ? { clockOffset: options.clockOffset } : {}),
      ...(options.pool ? { pool: options.pool } : {}),
      ...(options.model ? { model: options.model } : {}),
    }
    writeFileSync(join(dir, 'run', 'gateway.json'), `${JSON.stringify(gw)}\n`, { mode: 0o600 })
    log(`openclaw@${options.version} ready in ${(gw.readyMs! / 1000).toFixed(1)} s (protocol ${protocol})`)
    return gw
  } catch (error) {
    const tail = readFileSync(join(dir, 'logs', 'gateway.log'), 'utf8')
      .split('\n')
      .slice(-15)
      .join('\n')
    await stopGateway({ dir, pid })
    throw new Error(`${(error as Error).message}\n--- gateway log (last lines) ---\n${tail}`)
  }
}

/** Reads the running gateways listed in the JSON file named by `CLAWLINK_GATEWAYS` ([] when unset). */
export function readRunningGateways(env: NodeJS.ProcessEnv = process.env): RunningGateway[] {
  const file = env.CLAWLINK_GATEWAYS
  if (!file) return []
  const list = JSON.parse(readFileSync(file, 'utf8')) as RunningGateway[]
  if (!Array.isArray(list)) throw new Error(`${file} must hold a JSON array of gateways`)
  return list
}

/**
 * For tests that need real gateways: the listed ones at their true time (`gateways`) and the skewed ones
 * (`skewed`), or a reason to skip. `pool: 'agents'` picks the gateways kept for agent-turn tests (start-all's
 * `VERSION#agents`; without any, outside CI, the plain ones). With `CLAWLINK_REQUIRE_REAL=1` (CI) a missing
 * gateway — any pinned version absent from the pool asked for — is an error instead of a skip, so the suite cannot
 * pass by not running.
 */
export function realGatewaysOrSkip(
  env: NodeJS.ProcessEnv = process.env,
  options: { pool?: GatewayPool; versions?: readonly string[] } = {},
): {
  gateways: RunningGateway[]
  skewed: RunningGateway[]
  skipReason?: string
} {
  const all = readRunningGateways(env)
  const plain = all.filter((g) => !g.clockOffset && !g.pool)
  const pooled = all.filter((g) => !g.clockOffset && g.pool === options.pool)
  const require = env.CLAWLINK_REQUIRE_REAL === '1'
  const gateways = options.pool && (pooled.length > 0 || require) ? pooled : plain
  const skewed = all.filter((g) => g.clockOffset)
  const missing = (options.versions ?? GATEWAY_VERSIONS).filter((v) => !gateways.some((g) => g.version === v))
  if (require && missing.length > 0) {
    const where = options.pool ? ` (pool ${options.pool}: VERSION#${options.pool})` : ''
    throw new Error(
      `CLAWLINK_REQUIRE_REAL=1 but no running gateway for ${missing.join(', ')}${where} in CLAWLINK_GATEWAYS (run the tests via scripts/with-gateways.sh)`,
    )
  }
  if (all.length > 0) return { gateways, skewed }
  return {
    gateways,
    skewed,
    skipReason: 'no real gateway: set CLAWLINK_GATEWAYS (scripts/with-gateways.sh does)',
  }
}
