import type { CronJob, FieldChange } from '@clawlink/protocol'

// One changed field of a job: protocol's shape (cron-plan.ts); here absent values are shown as null.
export type { FieldChange }

/** Fields the gateway keeps for itself: never part of what a write changes. */
const GATEWAY_KEPT = new Set(['id', 'jobId', 'state', 'createdAtMs', 'updatedAtMs'])

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** Every leaf where `before` and `after` differ (objects are walked, arrays compared whole). */
export function diffFields(before: unknown, after: unknown, path: string[] = []): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    return keys
      .filter((k) => path.length > 0 || !GATEWAY_KEPT.has(k))
      .flatMap((k) => diffFields(before[k], after[k], [...path, k]))
  }
  if (same(before, after)) return []
  return [{ path: path.join('.'), before: before ?? null, after: after ?? null }]
}

/**
 * What a patch will change on `job`: each leaf the patch names whose value differs. Fields the patch does not
 * name are left as they are (the answer of the write shows what the gateway really did).
 */
export function plannedChanges(job: CronJob, patch: Record<string, unknown>): FieldChange[] {
  const named = (value: unknown, current: unknown, path: string[]): FieldChange[] => {
    if (isObject(value))
      return Object.entries(value).flatMap(([k, v]) =>
        named(v, isObject(current) ? current[k] : undefined, [...path, k]),
      )
    return same(value, current)
      ? []
      : [{ path: path.join('.'), before: current ?? null, after: value ?? null }]
  }
  return named(patch, job.raw, [])
}

/** A created job as changes from nothing: each leaf of the job. */
export function creationChanges(job: Record<string, unknown>): FieldChange[] {
  return diffFields({}, job)
}

/** A few lines for a person: `path: before → after`, values cut to a line. */
export function describeChanges(changes: readonly FieldChange[], max = 12): string {
  const show = (v: unknown) => {
    const text = v === null ? '(none)' : JSON.stringify(v)
    return text.length > 80 ? `${text.slice(0, 77)}…` : text
  }
  const lines = changes.slice(0, max).map((c) => `${c.path}: ${show(c.before)} → ${show(c.after)}`)
  if (changes.length > max) lines.push(`… and ${changes.length - max} more`)
  return lines.length > 0 ? lines.join('\n') : '(no field changes)'
}
