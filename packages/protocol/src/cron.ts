import { ProtocolError } from './errors.js'

/** `cron.run` modes; `if-enabled` exists on v4 gateways only (docs/protocol.md §7.1). */
export const CRON_RUN_MODES = ['force', 'due', 'if-enabled'] as const
export type CronRunMode = (typeof CRON_RUN_MODES)[number]

function bad(message: string): never {
  throw new ProtocolError('INVALID_PARAMS', message)
}

// Ids match `^[^/\\]+$` on the gateway (docs/protocol.md §7.1, cron.runs); refuse the rest before sending.
function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) bad(`${field} must be a non-empty string`)
  if (/[/\\]/.test(value)) bad(`${field} must not contain "/" or "\\"`)
  return value
}

function idParams(options: Record<string, unknown>, method: string): { id: string } | { jobId: string } {
  if ('name' in options) bad(`${method} takes a job id, never a name: resolve the name with cron.list first`)
  const hasId = options.id !== undefined
  const hasJobId = options.jobId !== undefined
  if (hasId && hasJobId) bad(`${method} takes id or jobId, not both`)
  if (!hasId && !hasJobId) bad(`${method} needs a job id`)
  return hasId ? { id: checkId(options.id, 'id') } : { jobId: checkId(options.jobId, 'jobId') }
}

/** Options of {@link buildCronRunParams}. */
export interface CronRunOptions {
  id?: string
  jobId?: string
  /** @default 'force' (the gateway's default too) */
  mode?: CronRunMode
}

/**
 * `cron.run` params: `{id}` or `{jobId}` (never both, never a name) and an optional mode (docs/protocol.md §7.1, §12.2 #16).
 * @throws ProtocolError INVALID_PARAMS
 */
export function buildCronRunParams(options: CronRunOptions): {
  id?: string
  jobId?: string
  mode: CronRunMode
} {
  const params = idParams(options as Record<string, unknown>, 'cron.run')
  const mode = options.mode ?? 'force'
  if (!(CRON_RUN_MODES as readonly string[]).includes(mode)) {
    bad(`invalid cron.run mode "${String(mode)}"; allowed: ${CRON_RUN_MODES.join(', ')}`)
  }
  return { ...params, mode }
}

/** Options of {@link buildCronListParams} (docs/protocol.md §7.1). */
export interface CronListOptions {
  includeDisabled?: boolean
  limit?: number
  offset?: number
  query?: string
  enabled?: 'all' | 'enabled' | 'disabled'
  sortBy?: 'nextRunAtMs' | 'updatedAtMs' | 'name'
  sortDir?: 'asc' | 'desc'
}

function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${field} must be an integer from ${min} to ${max}`)
  }
  return value
}

/** `cron.list` params; limit 1..200 (docs/protocol.md §7.1). @throws ProtocolError INVALID_PARAMS */
export function buildCronListParams(options: CronListOptions = {}): CronListOptions {
  const out: CronListOptions = {}
  if (options.includeDisabled !== undefined) out.includeDisabled = options.includeDisabled === true
  if (options.limit !== undefined) out.limit = checkInt(options.limit, 'limit', 1, 200)
  if (options.offset !== undefined)
    out.offset = checkInt(options.offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (options.query !== undefined) out.query = String(options.query)
  if (options.enabled !== undefined) {
    if (!['all', 'enabled', 'disabled'].includes(options.enabled))
      bad('enabled must be all, enabled or disabled')
    out.enabled = options.enabled
  }
  if (options.sortBy !== undefined) {
    if (!['nextRunAtMs', 'updatedAtMs', 'name'].includes(options.sortBy))
      bad('sortBy must be nextRunAtMs, updatedAtMs or name')
    out.sortBy = options.sortBy
  }
  if (options.sortDir !== undefined) {
    if (options.sortDir !== 'asc' && options.sortDir !== 'desc') bad('sortDir must be asc or desc')
    out.sortDir = options.sortDir
  }
  return out
}

/** Options of {@link buildCronRunsParams} (docs/protocol.md §7.1). */
export interface CronRunsOptions {
  id?: string
  jobId?: string
  limit?: number
  offset?: number
  status?: 'all' | 'ok' | 'error' | 'skipped'
  sortDir?: 'asc' | 'desc'
}

/** `cron.runs` params for one job, or for all jobs when no id is given (docs/protocol.md §7.1). */
export function buildCronRunsParams(options: CronRunsOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> =
    options.id === undefined && options.jobId === undefined
      ? {}
      : idParams(options as Record<string, unknown>, 'cron.runs')
  if (options.limit !== undefined) out.limit = checkInt(options.limit, 'limit', 1, 200)
  if (options.offset !== undefined)
    out.offset = checkInt(options.offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (options.status !== undefined) {
    if (!['all', 'ok', 'error', 'skipped'].includes(options.status))
      bad('status must be all, ok, error or skipped')
    out.status = options.status
  }
  if (options.sortDir !== undefined) {
    if (options.sortDir !== 'asc' && options.sortDir !== 'desc') bad('sortDir must be asc or desc')
    out.sortDir = options.sortDir
  }
  return out
}

/** `cron.get` params (9.x, docs/protocol.md §7.1): `{id}`. @throws ProtocolError INVALID_PARAMS */
export function buildCronGetParams(id: string): { id: string } {
  return { id: checkId(id, 'id') }
}

/** `cron.status` takes an empty object (docs/protocol.md §7.1). */
export function buildCronStatusParams(): Record<string, never> {
  return {}
}
