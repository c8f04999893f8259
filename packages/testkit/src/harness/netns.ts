import { execFileSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync } from 'node:fs'
import { alive } from './stop.js'

/** Every namespace this harness makes is named `clawlink-<owner pid>-<3 hex>`; nothing else is ever touched. */
export const NETNS_PREFIX = 'clawlink-'
const NS_NAME = /^clawlink-(\d+)-([0-9a-f]{3})$/
// Host-side veth: `clw` + owner pid in base 36 (5 chars) + the namespace's 3 hex + `h` (12 chars < IFNAMSIZ).
const VETH_NAME = /^clw([0-9a-z]{5})([0-9a-f]{3})[hn]$/

/** A private network namespace joined to the host by a veth pair on a /30 of its own. */
export interface Netns {
  name: string
  /** The veth end on the host. */
  hostIf: string
  /** The veth end inside the namespace. */
  nsIf: string
  /** The host's address on the pair (what a gateway inside sees as the client's address). */
  hostAddress: string
  /** The namespace's address on the pair. */
  nsAddress: string
}

/** Failure to build or use a namespace, with a stable code and a remedy. */
export class NetnsError extends Error {
  override name = 'NetnsError'
  constructor(
    readonly code: 'NETNS_UNAVAILABLE' | 'NETNS_NO_SUBNET',
    message: string,
    readonly remedy: string,
  ) {
    super(`${message} (${remedy})`)
  }
}

/** The `ip` binary (iproute2), by absolute path when it is in a usual place. */
export function ipBinary(): string {
  if (ipPath) return ipPath
  ipPath = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((path) => existsSync(path)) ?? 'ip'
  return ipPath
}
let ipPath: string | undefined

function ip(args: string[]): string {
  return execFileSync(ipBinary(), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  })
}

function tryIp(args: string[]): boolean {
  try {
    ip(args)
    return true
  } catch {
    return false
  }
}

/** Names of the namespaces that exist now. */
export function listNetns(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean)
}

/** Names of the network interfaces on the host. */
export function listLinks(): string[] {
  return ip(['-o', 'link', 'show'])
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter(Boolean)
}

function toInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** Every IPv4 range the host already routes or owns (so a new /30 can avoid them). */
function usedRanges(): { start: number; end: number }[] {
  const text = `${ip(['-4', '-o', 'addr', 'show'])}\n${ip(['-4', 'route', 'show', 'table', 'all'])}`
  const ranges: { start: number; end: number }[] = []
  for (const m of text.matchAll(/(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) {
    const bits = Number(m[2] ?? 32)
    const size = 2 ** (32 - bits)
    const start = Math.floor(toInt(m[1]!) / size) * size
    ranges.push({ start, end: start + size - 1 })
  }
  return ranges
}

/** A random 10.x.y.z/30 that overlaps nothing the host knows. */
export function pickSubnet(): { hostAddress: string; nsAddress: string } {
  const used = usedRanges()
  for (let attempt = 0; attempt < 64; attempt++) {
    const base = toInt(`10.${randomInt(256)}.${randomInt(256)}.0`) + randomInt(64) * 4
    if (used.some((r) => r.start <= base + 3 && base <= r.end)) continue
    return { hostAddress: toAddress(base + 1), nsAddress: toAddress(base + 2) }
  }
  throw new NetnsError('NETNS_NO_SUBNET', 'no free 10.x.y.z/30 found', 'check `ip -4 route` on this host')
}

function names(pid: number): { name: string; hostIf: string; nsIf: string } {
  const tag = randomBytes(2).toString('hex').slice(0, 3)
  const owner = pid.toString(36).padStart(5, '0').slice(-5)
  return { name: `${NETNS_PREFIX}${pid}-${tag}`, hostIf: `clw${owner}${tag}h`, nsIf: `clw${owner}${tag}n` }
}

/**
 * Creates a namespace (loopback up) joined to the host by a veth pair on a random /30 (docs/testing.md §12).
 * @throws NetnsError NETNS_UNAVAILABLE when `ip netns` cannot be used here (not root, no iproute2).
 */
export function createNetns(): Netns {
  const { name, hostIf, nsIf } = names(process.pid)
  const { hostAddress, nsAddress } = pickSubnet()
  const steps = [
    ['netns', 'add', name],
    ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf],
    ['link', 'set', nsIf, 'netns', name],
    ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf],
    ['link', 'set', hostIf, 'up'],
    ['netns', 'exec', name, ipBinary(), 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf],
    ['netns', 'exec', name, ipBinary(), 'link', 'set', nsIf, 'up'],
    ['netns', 'exec', name, ipBinary(), 'link', 'set', 'lo', 'up'],
  ]
  const ns: Netns = { name, hostIf, nsIf, hostAddress, nsAddress }
  for (const step of steps) {
    try {
      ip(step)
    } catch (error) {
      deleteNetns(ns)
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()
      throw new NetnsError(
        'NETNS_UNAVAILABLE',
        `could not build network namespace ${name}: \`ip ${step.join(' ')}\` failed: ${stderr}`,
        'run the tests as root on Linux with iproute2 installed (CI does)',
      )
    }
  }
  return ns
}

/** Kills whatever still runs inside the namespace, deletes it (which removes the veth pair), and the host end if left. */
export function deleteNetns(ns: Pick<Netns, 'name' | 'hostIf'>): void {
  if (!NS_NAME.test(ns.name)) throw new Error(`refusing to delete namespace ${ns.name}: not one of ours`)
  let pids: number[] = []
  try {
    pids = ip(['netns', 'pids', ns.name]).split(/\s+/).filter(Boolean).map(Number)
  } catch {}
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  tryIp(['netns', 'del', ns.name])
  if (VETH_NAME.test(ns.hostIf) && listLinks().includes(ns.hostIf)) tryIp(['link', 'del', ns.hostIf])
}

/**
 * Deletes namespaces (and stray host veth ends) that earlier runs made and whose owner process is gone.
 * Returns the names removed; namespaces of live processes (parallel tests) are left alone.
 */
export function sweepStaleNetns(): string[] {
  const removed: string[] = []
  let namespaces: string[]
  try {
    namespaces = listNetns()
  } catch {
    return removed
  }
  for (const name of namespaces) {
    const m = NS_NAME.exec(name)
    if (!m || alive(Number(m[1]))) continue
    const owner = Number(m[1]).toString(36).padStart(5, '0').slice(-5)
    deleteNetns({ name, hostIf: `clw${owner}${m[2]}h` })
    removed.push(name)
  }
  for (const link of listLinks()) {
    const m = VETH_NAME.exec(link)
    if (!m || !link.endsWith('h') || alive(Number.parseInt(m[1]!, 36))) continue
    if (tryIp(['link', 'del', link])) removed.push(link)
  }
  return removed
}
