import { type FieldProblem, type FieldTree, unknownFields } from './field-tree.js'
import { type CronJob, parseCronJob } from './cron-results.js'
import { ProtocolError } from './errors.js'
import { V4_CRON_ADD_FIELDS, V4_CRON_PATCH_FIELDS } from './v4-scopes.js'

/** Which gateway a job is written to: its protocol and, on v3, its release (5.7 knows more payload fields). */
export interface CronTarget {
  protocol: number
  version?: string | undefined
}

function bad(message: string): never {
  throw new ProtocolError('INVALID_PARAMS', message)
}

const SCHEDULE_V3: FieldTree = {
  kinds: {
    at: { fields: { kind: 1, at: 1 } },
    every: { fields: { kind: 1, everyMs: 1, anchorMs: 1 } },
    cron: { fields: { kind: 1, expr: 1, tz: 1, staggerMs: 1 } },
  },
}
const AGENT_TURN_V3 = [
  'kind',
  'message',
  'model',
  'fallbacks',
  'thinking',
  'timeoutSeconds',
  'allowUnsafeExternalContent',
  'lightContext',
  'deliver',
  'channel',
  'to',
  'bestEffortDeliver',
]
const leaves = (names: string[]): { fields: Record<string, 1> } => ({
  fields: Object.fromEntries(names.map((n) => [n, 1 as const])),
})

/**
 * The v3 job shape (2026.3.13 `CronAddParams`; its patch adds only the gateway's `state`); 2026.5.7 adds
 * `payload.toolsAllow` (docs/protocol.md §7.8).
 */
function v3Fields(version: string | undefined): FieldTree {
  const tools = version !== undefined && compareRelease(version, '2026.5.0') >= 0 ? ['toolsAllow'] : []
  const payload: FieldTree = {
    kinds: {
      systemEvent: leaves(['kind', 'text', ...tools]),
      agentTurn: leaves([...AGENT_TURN_V3, ...tools]),
    },
  }
  const top = ['name', 'agentId', 'sessionKey', 'description', 'enabled', 'deleteAfterRun']
  const fields: Record<string, FieldTree> = Object.fromEntries(top.map((n) => [n, 1 as const]))
  Object.assign(fields, {
    schedule: SCHEDULE_V3,
    sessionTarget: 1,
    wakeMode: 1,
    payload,
    delivery: 1,
    failureAlert: 1,
  })
  return { fields }
}

/** Compares two `YYYY.M.D` releases (a suffix such as `-beta.1` is ignored). */
export function compareRelease(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split(/[-+]/)[0]!
      .split('.')
      .map((n) => Number(n) || 0)
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

/** The fields a job (`add`) or a patch (`patch`) may carry on this gateway: v4 from the official schema. */
export function cronJobFields(target: CronTarget, kind: 'add' | 'patch'): FieldTree {
  if (target.protocol >= 4) return kind === 'add' ? V4_CRON_ADD_FIELDS : V4_CRON_PATCH_FIELDS
  return v3Fields(target.version)
}

/** Fields the gateway sets itself: a job file that carries one is refused with this reason. */
const GATEWAY_OWNED = ['id', 'jobId', 'createdAtMs', 'updatedAtMs', 'state']

/**
 * Every field of a job or patch this gateway would not accept, by path; a gateway-owned field (`id`, `state`…)
 * is named as such. Nothing is dropped: the caller refuses the whole job.
 */
export function checkCronJobFields(job: unknown, target: CronTarget, kind: 'add' | 'patch'): FieldProblem[] {
  if (typeof job !== 'object' || job === null || Array.isArray(job))
    return [{ path: [], message: 'a job must be an object (field: value …)' }]
  const owned = Object.keys(job).filter((k) => GATEWAY_OWNED.includes(k))
  const problems: FieldProblem[] = owned.map((k) => ({
    path: [k],
    message: `field "${k}" is set by the gateway, not by a job file`,
  }))
  const rest = Object.fromEntries(Object.entries(job).filter(([k]) => !GATEWAY_OWNED.includes(k)))
  const release = `gateway protocol v${target.protocol >= 4 ? 4 : 3}${target.version ? `, ${target.version}` : ''}`
  for (const p of unknownFields(rest, cronJobFields(target, kind)))
    problems.push({ ...p, message: `${p.message} (${release})` })
  return problems
}

function refuse(problems: FieldProblem[], method: string): void {
  if (problems.length > 0) bad(`${method}: ${problems.map((p) => p.message).join('; ')}`)
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.trim() === '' || /[/\\]/.test(id))
    bad('a job id must be a non-empty string without "/" or "\\"')
  return id
}

/** `cron.add` params: the job itself, refused when it carries a field this gateway does not know. */
export function buildCronAddParams(
  job: Record<string, unknown>,
  target: CronTarget,
): Record<string, unknown> {
  refuse(checkCronJobFields(job, target, 'add'), 'cron.add')
  return { ...job }
}

/** `cron.update` params: `{id, patch}` on every version (docs/protocol.md §7.8). */
export function buildCronUpdateParams(
  id: string,
  patch: Record<string, unknown>,
  target: CronTarget,
): { id: string; patch: Record<string, unknown> } {
  refuse(checkCronJobFields(patch, target, 'patch'), 'cron.update')
  if (Object.keys(patch).length === 0) bad('cron.update needs at least one field to change')
  return { id: checkId(id), patch: { ...patch } }
}

/** `cron.remove` params: `{id}`. */
export function buildCronRemoveParams(id: string): { id: string } {
  return { id: checkId(id) }
}

/** The job in a `cron.add`/`cron.update` answer: the job itself, or `{job}` (9.x declarative add). */
export function parseCronJobAnswer(answer: unknown): CronJob | undefined {
  const inner =
    typeof answer === 'object' && answer !== null && 'job' in answer
      ? (answer as { job: unknown }).job
      : answer
  return parseCronJob(inner)
}

/** A `cron.remove` answer: whether a job was removed (`{removed}`; an answer without it counts as removed). */
export function parseCronRemoveAnswer(answer: unknown): { removed: boolean } {
  const removed =
    typeof answer === 'object' && answer !== null ? (answer as { removed?: unknown }).removed : true
  return { removed: removed !== false }
}
