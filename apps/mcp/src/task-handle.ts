import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Signed task handles: a task id that IS the run, so any replica holding the same key can answer for it by asking
 * the gateway, and no replica needs to remember it. Pure (node:crypto only); the key comes from
 * `--task-secret-file` (task-secret.ts).
 *
 * Format (URL-safe, no padding): `t1.<kid>.<payload>.<sig>`
 *   kid      8 base64url chars: SHA-256("clawlink task key id\0" ‖ key), first 6 bytes — names the key, reveals nothing
 *   payload  base64url(JSON [gateway, jobId, runId, issuedAt, expiresAt | null, context?]), times in ms since the
 *            epoch; `context` (the --context the run was started on) only when the server has contexts
 *   sig      base64url(HMAC-SHA256(key, "t1.<kid>.<payload>")), 43 chars
 * The payload is parsed only after the signature checks out (constant-time compare).
 */

/** The run a handle stands for. */
export interface TaskRun {
  /** The gateway: its URL or the context identity the replicas share. */
  gateway: string
  jobId: string
  runId: string
  /** When the handle was issued (ms since the epoch). */
  issuedAt: number
  /** After this (ms since the epoch) the handle is refused as expired. */
  expiresAt?: number
  /** The context (--context name) whose gateway ran it, when the server has contexts: tasks/get asks that one. */
  context?: string
}

/** Why a handle was refused; `message` is one line for the client and the audit log (never the key). */
export type TaskHandleRefusal =
  | { ok: false; reason: 'malformed'; message: string }
  | { ok: false; reason: 'forged'; message: string }
  | { ok: false; reason: 'other-key'; message: string; keyId: string }
  | { ok: false; reason: 'expired'; message: string; expiredAt: number }

export type TaskHandleResult = { ok: true; run: TaskRun } | TaskHandleRefusal

export interface TaskHandleCodec {
  /** The short id of this codec's key (also in every handle it issues). */
  readonly keyId: string
  /** The handle of `run`; throws RangeError for a field too long for a handle or a time that is not an integer. */
  encode(run: TaskRun): string
  /** The run of a handle this key signed, or why not. `now` defaults to Date.now(). */
  decode(id: unknown, now?: number): TaskHandleResult
}

/** Handles longer than this are refused unread (a handle of sane fields is ~200 characters). */
export const MAX_HANDLE_LENGTH = 2048
/** The least key length (bytes) the codec accepts. */
export const MIN_TASK_KEY_BYTES = 32

const VERSION = 't1'
const MAX_FIELD = 512
const B64URL = /^[A-Za-z0-9_-]+$/

/** The short, non-secret id of a key: 8 base64url characters. */
export function taskKeyId(key: Uint8Array): string {
  return createHash('sha256')
    .update('clawlink task key id\0')
    .update(key)
    .digest()
    .subarray(0, 6)
    .toString('base64url')
}

/** An integer number of ms a Date can hold. */
const isTime = (t: unknown): t is number => Number.isSafeInteger(t) && Math.abs(t as number) <= 8.64e15

function checkRun(run: TaskRun): void {
  for (const field of ['gateway', 'jobId', 'runId'] as const) {
    const value = run[field]
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD)
      throw new RangeError(`task handle: ${field} must be 1 to ${MAX_FIELD} characters`)
  }
  if (!isTime(run.issuedAt)) throw new RangeError('task handle: issuedAt must be a time in ms (an integer)')
  if (run.expiresAt !== undefined && !isTime(run.expiresAt))
    throw new RangeError('task handle: expiresAt must be a time in ms (an integer)')
  const { context } = run
  if (
    context !== undefined &&
    (typeof context !== 'string' || context.length === 0 || context.length > MAX_FIELD)
  )
    throw new RangeError(`task handle: context must be 1 to ${MAX_FIELD} characters`)
}

/** The run in a verified payload, or undefined when it is not the shape `encode` writes. */
function parsePayload(payload: string): TaskRun | undefined {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  // Five fields: a handle without a context (no --context, or issued before handles named it).
  if (!Array.isArray(value) || value.length < 5 || value.length > 6) return undefined
  const [gateway, jobId, runId, issuedAt, expiresAt, context] = value as unknown[]
  if (typeof gateway !== 'string' || typeof jobId !== 'string' || typeof runId !== 'string') return undefined
  if (!isTime(issuedAt)) return undefined
  if (expiresAt !== null && !isTime(expiresAt)) return undefined
  if (value.length === 6 && (typeof context !== 'string' || context.length === 0)) return undefined
  const run: TaskRun = { gateway, jobId, runId, issuedAt: issuedAt as number }
  if (expiresAt !== null) run.expiresAt = expiresAt as number
  if (typeof context === 'string') run.context = context
  return run
}

const malformed = (why: string): TaskHandleRefusal => ({
  ok: false,
  reason: 'malformed',
  message: `not a task handle of this server (${why})`,
})

/**
 * A codec signing with `key` (at least 32 bytes; load it with `loadTaskSecret`). `keyId` overrides the derived
 * key id (e.g. to name keys in a rotation); it must be 8 base64url characters.
 */
export function createTaskHandleCodec(key: Uint8Array, options: { keyId?: string } = {}): TaskHandleCodec {
  if (key.length < MIN_TASK_KEY_BYTES)
    throw new RangeError(`task handle key: ${key.length} bytes, at least ${MIN_TASK_KEY_BYTES} needed`)
  const secret = Buffer.from(key)
  const keyId = options.keyId ?? taskKeyId(secret)
  if (!/^[A-Za-z0-9_-]{8}$/.test(keyId)) throw new RangeError('task handle keyId: 8 base64url characters')
  const sign = (input: string): Buffer => createHmac('sha256', secret).update(input).digest()

  return {
    keyId,
    encode(run) {
      checkRun(run)
      const fields: unknown[] = [run.gateway, run.jobId, run.runId, run.issuedAt, run.expiresAt ?? null]
      if (run.context !== undefined) fields.push(run.context)
      const payload = Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url')
      const input = `${VERSION}.${keyId}.${payload}`
      const handle = `${input}.${sign(input).toString('base64url')}`
      if (handle.length > MAX_HANDLE_LENGTH)
        throw new RangeError('task handle: the run is too large for a handle')
      return handle
    },
    decode(id, now = Date.now()) {
      if (typeof id !== 'string') return malformed('not a string')
      if (id.length > MAX_HANDLE_LENGTH) return malformed(`longer than ${MAX_HANDLE_LENGTH} characters`)
      const parts = id.split('.')
      if (parts.length !== 4) return malformed('not four dot-separated parts')
      const [version, kid, payload, sig] = parts as [string, string, string, string]
      if (version !== VERSION) return malformed(`unknown version "${version.slice(0, 8)}"`)
      if (!/^[A-Za-z0-9_-]{8}$/.test(kid) || !B64URL.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(sig))
        return malformed('a part is not base64url of the right length')
      if (kid !== keyId)
        return {
          ok: false,
          reason: 'other-key',
          keyId: kid,
          message: `signed by another key (key id ${kid}, ours ${keyId}): this replica's --task-secret-file differs from the one that issued it`,
        }
      const expected = sign(`${version}.${kid}.${payload}`)
      const given = Buffer.from(sig, 'base64url')
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, reason: 'forged', message: 'bad signature: the handle was forged or altered' }
      const run = parsePayload(payload)
      if (!run) return malformed('signed, but its payload is not a run')
      if (run.expiresAt !== undefined && now >= run.expiresAt)
        return {
          ok: false,
          reason: 'expired',
          expiredAt: run.expiresAt,
          message: `expired at ${new Date(run.expiresAt).toISOString()}`,
        }
      return { ok: true, run }
    },
  }
}
