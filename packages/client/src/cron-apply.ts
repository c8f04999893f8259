import type { CronPlan, PlanStep } from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { addJob, cronTarget, removeJob } from './cron-manage.js'
import { buildCronUpdateParams, parseCronJobAnswer } from '@clawlink/protocol'

/** A clock the pacer waits on (a fake one in tests). */
export interface PaceClock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const realClock: PaceClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, { once: true })
    }),
}

/** 2026.9.x allows 30 cron writes per 60 s per method per caller (docs/protocol.md §7.5). */
export const CRON_WRITE_LIMIT = { max: 30, windowMs: 60_000 }
// Our send time and the gateway's arrival time differ by the trip: wait a little longer than the window.
const MARGIN_MS = 250

/**
 * Keeps at most `max` writes per method in any `windowMs` (a sliding window of our own send times), so a
 * gateway counting per fixed or sliding window never refuses one.
 */
export class WritePacer {
  private readonly sent = new Map<string, number[]>()
  constructor(
    readonly limit: { max: number; windowMs: number } = CRON_WRITE_LIMIT,
    readonly clock: PaceClock = realClock,
  ) {}

  /** How long the next write of `method` must wait (0: now). */
  delayFor(method: string): number {
    const now = this.clock.now()
    const recent = (this.sent.get(method) ?? []).filter((t) => now - t < this.limit.windowMs + MARGIN_MS)
    this.sent.set(method, recent)
    if (recent.length < this.limit.max) return 0
    return recent[recent.length - this.limit.max]! + this.limit.windowMs + MARGIN_MS - now
  }

  /** Waits until a write of `method` may go, then counts it. */
  async take(method: string, signal?: AbortSignal): Promise<void> {
    for (let wait = this.delayFor(method); wait > 0; wait = this.delayFor(method)) {
      await this.clock.sleep(wait, signal)
      if (signal?.aborted) return
    }
    this.sent.set(method, [...(this.sent.get(method) ?? []), this.clock.now()])
  }

  /** The least time `counts` more writes (per method) take from now under the limit. */
  etaMs(counts: Record<string, number>): number {
    let eta = 0
    for (const [method, n] of Object.entries(counts)) {
      if (n <= 0) continue
      const free = Math.max(0, this.limit.max - (this.sent.get(method) ?? []).length)
      if (n <= free) continue
      const rounds = Math.ceil((n - free) / this.limit.max)
      eta = Math.max(eta, this.delayFor(method) + (rounds - 1) * (this.limit.windowMs + MARGIN_MS))
    }
    return eta
  }
}

const METHOD: Record<Exclude<PlanStep['action'], 'unchanged'>, string> = {
  create: 'cron.add',
  update: 'cron.update',
  delete: 'cron.remove',
}

/** Progress of an apply: done of total writes, the step just done, and the time the rest takes at least. */
export interface ApplyProgress {
  done: number
  total: number
  step: PlanStep
  etaMs: number
}

export interface ApplyOptions {
  /** Pace writes (default: on gateways of protocol 4+, which limit them). */
  pacer?: WritePacer | undefined
  onProgress?: (progress: ApplyProgress) => void
  /** Stops before the next write (the one in flight finishes). */
  stop?: AbortSignal
}

/** What an apply did: the steps applied, the ones not applied, and the failure that stopped it. */
export interface ApplyResult {
  applied: PlanStep[]
  notApplied: PlanStep[]
  error: unknown
  stopped: boolean
}

async function write(client: GatewayClient, step: PlanStep): Promise<void> {
  if (step.action === 'create') await addJob(client, step.job)
  else if (step.action === 'delete') await removeJob(client, step.id)
  else if (step.action === 'update') {
    const params = buildCronUpdateParams(step.id, step.patch, await cronTarget(client))
    parseCronJobAnswer(await client.request('cron.update', params))
  }
}

/**
 * Applies a plan's writes one at a time, paced under the 9.x write limit. A refused write stops it: nothing is
 * retried (3.13/5.7 writes are not idempotent); the result says what was applied and what was not.
 */
export async function applyCronPlan(
  client: GatewayClient,
  plan: CronPlan,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const steps = plan.steps.filter((s) => s.action !== 'unchanged')
  const limited = (await cronTarget(client)).protocol >= 4
  const pacer = options.pacer ?? (limited ? new WritePacer() : undefined)
  const applied: PlanStep[] = []
  const left = (i: number) => {
    const counts: Record<string, number> = {}
    for (const s of steps.slice(i))
      counts[METHOD[s.action as 'create']] = (counts[METHOD[s.action as 'create']] ?? 0) + 1
    return counts
  }
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!
    const method = METHOD[step.action as 'create']
    if (options.stop?.aborted) return { applied, notApplied: steps.slice(i), error: undefined, stopped: true }
    await pacer?.take(method, options.stop)
    if (options.stop?.aborted) return { applied, notApplied: steps.slice(i), error: undefined, stopped: true }
    try {
      await write(client, step)
    } catch (error) {
      return { applied, notApplied: steps.slice(i), error, stopped: false }
    }
    applied.push(step)
    const etaMs = pacer ? pacer.etaMs(left(i + 1)) : 0
    options.onProgress?.({ done: i + 1, total: steps.length, step, etaMs })
  }
  return { applied, notApplied: [], error: undefined, stopped: false }
}
