import {
  buildCronGetParams,
  buildCronListParams,
  buildCronRunParams,
  buildCronRunsParams,
  buildCronStatusParams,
} from './cron.js'
import { parseCronJob, parseCronJobs, parseCronRuns, parseCronStatus } from './cron-results.js'
import {
  buildCronAddParams,
  buildCronRemoveParams,
  buildCronUpdateParams,
  parseCronJobAnswer,
  parseCronRemoveAnswer,
} from './cron-write.js'
import {
  buildDeviceTokenParams,
  buildPairRequestParams,
  parseDevicePairing,
  parseDeviceTokenRotation,
} from './device.js'
import { METHOD_SCOPES, scopeSatisfies } from './scopes.js'
import { V4_METHODS } from './v4-scopes.js'

/** The gateway releases clawlink is tested against (docs/protocol.md §1). */
export const GATEWAY_VERSIONS = ['2026.3.13', '2026.5.7', '2026.9.6'] as const
export type GatewayVersion = (typeof GATEWAY_VERSIONS)[number]

/** A scope a method needs: an operator scope, null (none), `dynamic` (decided per call) or `node` (node role). */
export type MethodScope = string | null

/**
 * One gateway method: its name, the scope it needs per protocol (v3: the 3.13/5.7 table; v4: the official
 * schema), the releases that have it, and — for the methods clawlink calls — how to build its params and read
 * its answer. {@link methodRecord} gives one for any name; {@link METHODS} are the ones clawlink calls.
 */
export interface MethodRecord {
  readonly name: string
  readonly scopes: { readonly v3: MethodScope; readonly v4: MethodScope }
  /** Releases whose hello-ok lists the method (checked against the real gateways by a test). */
  readonly versions: readonly GatewayVersion[]
  /**
   * The gateway answers it whatever the socket's scopes, whatever the table says: `health` (the schema says
   * operator.read for v4, but real 2026.9.6 answers a connection holding no scope, as 3.13 and 5.7 do).
   */
  readonly unscoped?: true
  /** Release of its arrival per the schema (`since`), when the schema has it. */
  readonly since?: string
  // biome-ignore lint/suspicious/noExplicitAny: each record's builder takes its own options
  readonly build?: (...args: any[]) => unknown
  // biome-ignore lint/suspicious/noExplicitAny: each record's parser takes its own extra arguments
  readonly parse?: (answer: unknown, ...rest: any[]) => unknown
}

function v3Scope(name: string): MethodScope {
  if (name === 'health') return null
  return METHOD_SCOPES[name] ?? 'operator.admin'
}

function v4Scope(name: string): MethodScope {
  return V4_METHODS[name]?.[0] ?? 'operator.admin'
}

const ALL: readonly GatewayVersion[] = GATEWAY_VERSIONS
const V4_ONLY: readonly GatewayVersion[] = ['2026.9.6']

function record(
  name: string,
  versions: readonly GatewayVersion[],
  build?: MethodRecord['build'],
  parse?: MethodRecord['parse'],
): MethodRecord {
  const since = V4_METHODS[name]?.[1]
  return {
    name,
    scopes: { v3: v3Scope(name), v4: v4Scope(name) },
    versions,
    ...(since ? { since } : {}),
    ...(build ? { build } : {}),
    ...(parse ? { parse } : {}),
  }
}

/** The methods clawlink calls, each with its builder and parser (docs/protocol.md §7). */
export const METHODS = {
  health: { ...record('health', ALL, () => ({})), unscoped: true },
  'cron.list': record('cron.list', ALL, buildCronListParams, parseCronJobs),
  'cron.get': record('cron.get', V4_ONLY, buildCronGetParams, parseCronJob),
  'cron.status': record('cron.status', ALL, buildCronStatusParams, parseCronStatus),
  'cron.runs': record('cron.runs', ALL, buildCronRunsParams, parseCronRuns),
  'cron.run': record('cron.run', ALL, buildCronRunParams),
  'cron.add': record('cron.add', ALL, buildCronAddParams, parseCronJobAnswer),
  'cron.update': record('cron.update', ALL, buildCronUpdateParams, parseCronJobAnswer),
  'cron.remove': record('cron.remove', ALL, buildCronRemoveParams, parseCronRemoveAnswer),
  'device.pair.list': record('device.pair.list', ALL, () => ({}), parseDevicePairing),
  'device.pair.approve': record('device.pair.approve', ALL, buildPairRequestParams),
  'device.pair.reject': record('device.pair.reject', ALL, buildPairRequestParams),
  'device.token.rotate': record('device.token.rotate', ALL, buildDeviceTokenParams, parseDeviceTokenRotation),
  'device.token.revoke': record('device.token.revoke', ALL, buildDeviceTokenParams),
} as const satisfies Record<string, MethodRecord>

/** The record of any method: one of {@link METHODS}, else its scopes alone (versions unknown: empty). */
export function methodRecord(name: string): MethodRecord {
  return (METHODS as Record<string, MethodRecord>)[name] ?? record(name, [])
}

/**
 * Method → scope for one protocol, derived from the records: every method of the v3 table or of the v4 schema.
 * A method in neither needs `operator.admin`.
 */
export function methodScopes(protocol: number): Readonly<Record<string, MethodScope>> {
  const names = new Set([...Object.keys(METHOD_SCOPES), ...Object.keys(V4_METHODS), ...Object.keys(METHODS)])
  const table: Record<string, MethodScope> = Object.create(null)
  for (const name of names) table[name] = scopeOf(methodRecord(name), protocol)
  return table
}

function scopeOf(rec: MethodRecord, protocol: number): MethodScope {
  return protocol >= 4 ? rec.scopes.v4 : rec.scopes.v3
}

/**
 * The scope a method needs on a gateway of this protocol (default 3, the 3.13/5.7 table), or undefined when none
 * is checked (`health`, see {@link MethodRecord.unscoped}) or the client cannot tell (a v4 method whose scope is
 * `dynamic`): then the gateway decides.
 */
export function requiredScope(method: string, protocol = 3): string | undefined {
  const rec = methodRecord(method)
  if (rec.unscoped) return undefined
  const scope = scopeOf(rec, protocol)
  return scope === null || scope === 'dynamic' ? undefined : scope
}

/** The scope missing for `method` on a gateway of this protocol, or undefined when `scopes` allow the call. */
export function missingScope(scopes: readonly string[], method: string, protocol = 3): string | undefined {
  const needed = requiredScope(method, protocol)
  if (needed === undefined) return undefined
  return scopeSatisfies(scopes, needed) ? undefined : needed
}

/** True when a socket holding `scopes` may call `method` on a gateway of this protocol. */
export function canCall(scopes: readonly string[], method: string, protocol = 3): boolean {
  return missingScope(scopes, method, protocol) === undefined
}
