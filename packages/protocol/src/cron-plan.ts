import type { CronJob } from './cron-results.js'
import { type CronTarget, cronJobFields } from './cron-write.js'
import type { FieldTree } from './field-tree.js'

/** A job as a file declares it: the fields `cron.add` takes, nothing the gateway sets itself. */
export type DeclaredJob = Record<string, unknown>

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Keeps only the fields the tree allows (what `cron.add` takes); drops what the gateway sets itself. */
function keepKnown(value: unknown, tree: FieldTree): unknown {
  if (tree === 1 || !isObject(value)) return value
  if ('kinds' in tree) {
    const sub = typeof value.kind === 'string' ? tree.kinds[value.kind] : undefined
    return sub === undefined ? value : keepKnown(value, sub) // an unknown kind is kept whole, never guessed
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value))
    if (Object.hasOwn(tree.fields, k) && v !== undefined) out[k] = keepKnown(v, tree.fields[k]!)
  return out
}

// The order an exported job's fields are written in: who and when first, then what; the rest alphabetically.
const TOP_ORDER = [
  'name',
  'declarationKey',
  'displayName',
  'description',
  'enabled',
  'agentId',
  'sessionKey',
  'schedule',
  'sessionTarget',
  'wakeMode',
  'payload',
  'delivery',
  'failureAlert',
  'deleteAfterRun',
]

function rank(key: string, order: string[]): number {
  const i = order.indexOf(key)
  return i < 0 ? order.length : i
}

/** A copy with keys in a stable order (`kind` first in nested objects), so exports diff cleanly. */
export function sortJobKeys(value: unknown, order: string[] = TOP_ORDER): unknown {
  if (Array.isArray(value)) return value.map((v) => sortJobKeys(v, ['kind']))
  if (!isObject(value)) return value
  const keys = Object.keys(value).sort(
    (a, b) => rank(a, order) - rank(b, order) || (a < b ? -1 : a > b ? 1 : 0),
  )
  return Object.fromEntries(keys.map((k) => [k, sortJobKeys(value[k], ['kind'])]))
}

/** A gateway job as a file would declare it: only the fields `cron.add` takes on this gateway, in stable order. */
export function declaredJob(raw: Record<string, unknown>, target: CronTarget): DeclaredJob {
  return sortJobKeys(keepKnown(raw, cronJobFields(target, 'add'))) as DeclaredJob
}

// 2026.9.x creates these itself (a fresh 9.6 lists them): agent heartbeat, memory-core dreaming, skill review.
const OWNED_KEY_PREFIXES = ['heartbeat:', 'memory-core:', 'skill-collection-review:']

/**
 * Whether the gateway owns this job (9.x built-ins: `heartbeat:main`, memory-core's dreaming job, the skill
 * collection review): apply and prune never touch it, export leaves it out.
 */
export function isGatewayOwnedJob(raw: Record<string, unknown>): boolean {
  const key = typeof raw.declarationKey === 'string' ? raw.declarationKey : ''
  if (OWNED_KEY_PREFIXES.some((p) => key.startsWith(p))) return true
  if (isObject(raw.payload) && raw.payload.kind === 'heartbeat') return true
  return typeof raw.description === 'string' && raw.description.startsWith('[managed-by=')
}

/** How a job is identified: its `declarationKey` where it has one (9.x), else its name. */
export function jobIdentity(job: Record<string, unknown>): string {
  if (typeof job.declarationKey === 'string' && job.declarationKey !== '') return `key:${job.declarationKey}`
  return `name:${typeof job.name === 'string' ? job.name : ''}`
}

/** One field that differs: its path, the gateway's value (absent: undefined) and the file's. */
export interface FieldChange {
  path: string
  before: unknown
  after: unknown
}

const same = (a: unknown, b: unknown) => JSON.stringify(sortJobKeys(a)) === JSON.stringify(sortJobKeys(b))

/**
 * The fields the file sets to another value than the gateway has, recursively into objects (arrays and values
 * compare whole). A field the file leaves out is left as the gateway has it.
 */
export function diffJob(current: unknown, wanted: unknown, path = ''): FieldChange[] {
  if (isObject(current) && isObject(wanted) && current.kind === wanted.kind) {
    const out: FieldChange[] = []
    for (const [k, v] of Object.entries(wanted))
      out.push(...diffJob(current[k], v, path ? `${path}.${k}` : k))
    return out
  }
  return same(current, wanted) ? [] : [{ path, before: current, after: wanted }]
}

/** One step of a plan. */
export type PlanStep =
  | { action: 'create'; key: string; name: string; job: DeclaredJob }
  | {
      action: 'update'
      key: string
      name: string
      id: string
      patch: DeclaredJob
      changes: FieldChange[]
    }
  | { action: 'unchanged'; key: string; name: string; id: string }
  | { action: 'delete'; key: string; name: string; id: string }

/** Why a plan cannot be made (duplicates on the gateway, a file job naming a gateway-owned job). */
export interface PlanConflict {
  message: string
}

export interface CronPlan {
  steps: PlanStep[]
  conflicts: PlanConflict[]
  /** Gateway jobs left alone because the gateway owns them. */
  owned: number
}

/** Options of {@link planCronApply}. */
export interface PlanOptions {
  prune?: boolean
  /** Only gateway jobs whose name starts with this are managed (matched, pruned, checked for duplicates). */
  scope?: string
}

/**
 * The plan that makes the gateway hold the file's jobs: create, update (only the top-level fields whose value
 * differs, with field-level changes), unchanged, and, with `prune`, delete the gateway's other jobs except the
 * ones it owns. Pure: the caller lists the jobs and applies the steps.
 */
export function planCronApply(
  wanted: readonly DeclaredJob[],
  gateway: readonly CronJob[],
  target: CronTarget,
  options: PlanOptions = {},
): CronPlan {
  const conflicts: PlanConflict[] = []
  const managed = gateway.filter((j) => !options.scope || j.name.startsWith(options.scope))
  const owned = managed.filter((j) => isGatewayOwnedJob(j.raw))
  const byKey = new Map<string, CronJob[]>()
  for (const job of managed) {
    for (const key of new Set([jobIdentity(job.raw), `name:${job.name}`]))
      byKey.set(key, [...(byKey.get(key) ?? []), job])
  }
  const matched = new Set<string>()
  const steps: PlanStep[] = []
  for (const job of wanted) {
    const key = jobIdentity(job)
    const name = typeof job.name === 'string' ? job.name : ''
    const found = byKey.get(key) ?? []
    if (found.length > 1) {
      conflicts.push({
        message: `${found.length} jobs on the gateway are named "${name}" (${found.map((j) => j.id).join(', ')}): rename or remove all but one`,
      })
      continue
    }
    const current = found[0]
    if (!current) {
      steps.push({ action: 'create', key, name, job })
      continue
    }
    matched.add(current.id)
    if (isGatewayOwnedJob(current.raw)) {
      conflicts.push({
        message: `"${name}" is a job the gateway owns (${current.id}): remove it from the file`,
      })
      continue
    }
    const changes = diffJob(declaredJob(current.raw, target), job)
    if (changes.length === 0) {
      steps.push({ action: 'unchanged', key, name, id: current.id })
      continue
    }
    const fields = new Set(changes.map((c) => c.path.split('.')[0]!))
    const patch = Object.fromEntries([...fields].map((f) => [f, job[f]]))
    steps.push({ action: 'update', key, name, id: current.id, patch, changes })
  }
  if (options.prune)
    for (const job of managed)
      if (!matched.has(job.id) && !isGatewayOwnedJob(job.raw))
        steps.push({ action: 'delete', key: jobIdentity(job.raw), name: job.name, id: job.id })
  return { steps, conflicts, owned: owned.length }
}
