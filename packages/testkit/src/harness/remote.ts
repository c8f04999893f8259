import { execFileSync, spawn } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deriveDeviceId } from '@clawlink/protocol'
import { type RunningGateway, startGateway } from './gateway.js'
import { stopGateway } from './stop.js'
import { peerCacheDir } from './install.js'
import type { NetnsRpcAnswer, NetnsRpcRequest } from './netns-rpc.js'
import { createNetns, deleteNetns, ipBinary, NETNS_PREFIX, type Netns, sweepStaleNetns } from './netns.js'
import { createEphemeralSigner, HarnessRpcError, type RpcCall } from './rpc.js'

/** A device pairing request as `device.pair.list` shows it (fields vary by version, REMOTE-FACTS.md). */
export interface PendingPairing {
  requestId: string
  deviceId: string
  remoteIp?: string
  clientId?: string
  displayName?: string
  platform?: string
  role?: string
  scopes?: string[]
  [field: string]: unknown
}

/** A paired device as `device.pair.list` shows it (tokens summarised, no secrets). */
export interface PairedDevice {
  deviceId: string
  scopes?: string[]
  approvedScopes?: string[]
  remoteIp?: string
  [field: string]: unknown
}

/** The operator's side of a remote gateway, run on the gateway's own loopback inside its namespace. */
export interface RemoteOperator {
  /** The operator's own device (paired silently on loopback by its first call). */
  deviceId: string
  listPending(): Promise<PendingPairing[]>
  listPaired(): Promise<PairedDevice[]>
  approve(requestId: string): Promise<unknown>
  reject(requestId: string): Promise<unknown>
  removeDevice(deviceId: string): Promise<unknown>
  /** Any gateway method, with the operator's scopes. */
  call(method: string, params?: unknown): Promise<unknown>
}

/** A real gateway that sees clients on the host as remote (docs/testing.md §12). */
export interface RemoteGateway {
  version: string
  /** `ws://<namespace veth address>:<port>`. */
  url: string
  token: string
  /** The host's address on the veth pair: the `remoteIp` the gateway records for host clients. */
  hostAddress: string
  namespace: Netns
  port: number
  pid: number
  dir: string
  protocol?: number
  operator: RemoteOperator
  /** Stops the gateway (its whole process group) and deletes the namespace and veth pair. */
  stop(): Promise<void>
}

/** Options of {@link startRemoteGateway}. */
export interface StartRemoteGatewayOptions {
  version: string
  /** Extra config merged into openclaw.json. */
  config?: Record<string, unknown>
  /** @default 180000 */
  readyTimeoutMs?: number
}

const OPERATOR_SCOPES = [
  'operator.admin',
  'operator.read',
  'operator.write',
  'operator.approvals',
  'operator.pairing',
]

// Cleanup of everything still up when the process exits (tests that crash before stop()).
const live = new Map<string, { pid?: number; ns: Netns }>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const { pid, ns } of live.values()) {
      if (pid !== undefined) killGroup(pid, 'SIGKILL')
      try {
        deleteNetns(ns)
      } catch {}
    }
  })
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {}
}

/** The compiled in-namespace script (tests run from src, so fall back to dist). */
function netnsScript(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [
    join(here, 'netns-rpc.js'),
    join(here, '..', '..', 'dist', 'harness', 'netns-rpc.js'),
  ]) {
    if (existsSync(candidate)) return candidate
  }
  throw new Error('dist/harness/netns-rpc.js is missing (run `pnpm build` in packages/testkit)')
}

/** Runs one request through the in-namespace script; the token goes on stdin. */
export async function runInNetns(ns: string, request: NetnsRpcRequest): Promise<NetnsRpcAnswer> {
  const child = spawn(ipBinary(), ['netns', 'exec', ns, process.execPath, netnsScript()], {
    stdio: ['pipe', 'pipe', 'pipe'],
    signal: AbortSignal.timeout(request.timeoutMs + 15_000),
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  child.stdin.end(JSON.stringify(request))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  const line = stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as NetnsRpcAnswer
  } catch {
    throw new Error(`in-namespace helper exited ${code} without an answer: ${stderr.trim().slice(-500)}`)
  }
}

function operatorFor(ns: string, port: number, token: string): RemoteOperator {
  const seed = randomBytes(32)
  const deviceId = deriveDeviceId(createEphemeralSigner(seed).publicKey)
  const call = async (method: string, params: unknown = {}): Promise<unknown> => {
    const calls: RpcCall[] = [{ method, params }]
    const answer = await runInNetns(ns, {
      op: 'rpc',
      url: `ws://127.0.0.1:${port}`,
      token,
      timeoutMs: 30_000,
      seed: seed.toString('hex'),
      scopes: OPERATOR_SCOPES,
      calls,
    })
    if (!answer.ok) {
      const e = answer.error
      throw new HarnessRpcError(e.message, e.kind, e.gatewayCode, e.closeCode, e.wire)
    }
    return answer.results?.[0]
  }
  const list = async () =>
    (await call('device.pair.list')) as { pending?: PendingPairing[]; paired?: PairedDevice[] }
  return {
    deviceId,
    call,
    listPending: async () => (await list()).pending ?? [],
    listPaired: async () => (await list()).paired ?? [],
    approve: (requestId) => call('device.pair.approve', { requestId }),
    reject: (requestId) => call('device.pair.reject', { requestId }),
    removeDevice: (deviceId) => call('device.pair.remove', { deviceId }),
  }
}

/** Resolves when a TCP connect from the host to `host:port` succeeds (the veth address really listens). */
function tcpReachable(host: string, port: number, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => {
      socket.destroy()
      reject(new Error(`no TCP answer from ${host}:${port} in ${timeoutMs} ms`))
    })
    socket.once('error', (error) => reject(error))
  })
}

/**
 * Starts a real gateway inside a new network namespace, bound (`lan`) to the namespace's veth address, so this
 * process is a remote client of it; ready once a connect inside the namespace gets hello-ok.
 * @throws NetnsError NETNS_UNAVAILABLE when no namespace can be made here.
 */
export async function startRemoteGateway(options: StartRemoteGatewayOptions): Promise<RemoteGateway> {
  sweepStaleNetns()
  installExitHook()
  const ns = createNetns()
  const entry: { pid?: number; ns: Netns } = { ns }
  live.set(ns.name, entry)
  const token = randomBytes(16).toString('hex')
  const port = 20_000 + randomInt(20_000)
  const dir = join(peerCacheDir(), 'instances', `remote-${options.version}-${ns.name}`)
  let gw: RunningGateway
  try {
    gw = await startGateway({
      version: options.version,
      port,
      token,
      dir,
      bind: 'lan',
      host: ns.nsAddress,
      commandPrefix: [ipBinary(), 'netns', 'exec', ns.name],
      ...(options.config ? { config: options.config } : {}),
      ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      waitReady: async (_url, tok, timeoutMs, pid) => {
        entry.pid = pid
        const answer = await runInNetns(ns.name, {
          op: 'ready',
          url: `ws://127.0.0.1:${port}`,
          token: tok,
          timeoutMs,
          pid,
        })
        if (!answer.ok) throw new Error(`not ready inside ${ns.name}: ${answer.error.message}`)
        await tcpReachable(ns.nsAddress, port)
        return answer.protocol ?? 0
      },
    })
  } catch (error) {
    if (entry.pid !== undefined) killGroup(entry.pid, 'SIGKILL')
    deleteNetns(ns)
    live.delete(ns.name)
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  entry.pid = gw.pid
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= stopAll()
    return stopped
  }
  const stopAll = async () => {
    await stopGateway(gw)
    killGroup(gw.pid, 'SIGKILL')
    deleteNetns(ns)
    live.delete(ns.name)
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    version: options.version,
    url: gw.url,
    token,
    hostAddress: ns.hostAddress,
    namespace: ns,
    port,
    pid: gw.pid,
    dir,
    ...(gw.protocol !== undefined ? { protocol: gw.protocol } : {}),
    operator: operatorFor(ns.name, port, token),
    stop,
  }
}

/** True when this process can make network namespaces (tried for real: add, then delete, a probe one). */
export function netnsAvailable(): boolean {
  const probe = `${NETNS_PREFIX}${process.pid}-fff`
  try {
    execFileSync(ipBinary(), ['netns', 'add', probe], { stdio: 'ignore' })
    execFileSync(ipBinary(), ['netns', 'del', probe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
