import {
  type AgentStreamItem,
  cronJobOfSession,
  MAX_STREAM_DELTA_CHARS,
  parseAgentEvent,
  parseChatEvent,
  parseTaskEvent,
  taskNamesCronRun,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import type { RunPhase, RunProgress } from './cron-run.js'

/** Options of {@link followRun}. */
export type FollowRunOptions = {
  jobId: string
  onProgress: (event: RunProgress) => void
  /** A `heartbeat` after this long without any other progress. @default 5000 */
  heartbeatMs?: number | undefined
  /** Longest text delta reported; longer ones are cut (the count stays true). @default 4096 */
  maxDeltaChars?: number
  /** The local clock (tests). */
  now?: () => number
}

/** The live side of a waited run: what it knows, and the calls that tell it about the cron run. */
export interface RunFollower {
  /** The runId `cron.run` answered: a 9.x `task` event naming it links the agent session. */
  setRunId(runId: string | undefined): void
  /**
   * Our cron run's `started` event arrived: from now on (3.13/5.7, which send no `task` events) the first agent
   * session of this job is ours — the gateway never runs one job twice at once.
   */
  markStarted(): void
  /** Whether the run is known to have started (its `started` event, or its agent session). */
  readonly started: boolean
  /** The agent session, once linked. */
  readonly sessionKey: string | undefined
  /** Passes a wait's own progress through, so heartbeats count it. */
  report(event: RunProgress): void
  stop(): void
}

// Agent/chat events of this job's sessions kept until the run is linked (a fast run can outpace cron.run's answer).
const MAX_PENDING = 256

type Pending = { sessionKey: string; item: AgentStreamItem | undefined }

/**
 * Follows a cron run's live stream (docs/protocol.md §7.7): links it to its agent session and turns `agent`
 * events of that session into {@link RunProgress}; events of any other job, run or session are dropped. Keeps
 * counters only (never the run's text), a bounded queue before linking, and one heartbeat timer.
 */
export function followRun(client: GatewayClient, options: FollowRunOptions): RunFollower {
  return new StreamFollower(client, options)
}

class StreamFollower implements RunFollower {
  started = false
  sessionKey: string | undefined
  private readonly now: () => number
  private readonly heartbeatMs: number
  private readonly maxDelta: number
  private readonly begun: number
  private lastEventAt: number
  private phase: RunPhase = 'queued'
  private runId: string | undefined
  // 9.x: linked by the task naming our run (that session only); 3.13/5.7: by the job (its session changes key
  // on a retry, `agent:main:cron:<job>` → `cron:<job>:run:<id>`, and only one run of a job runs at a time).
  private linkedBy: 'task' | 'job' = 'job'
  private failed: string | undefined
  private retries = 0
  private totalChars = 0
  private lost = false
  private stopped = false
  private readonly pending: Pending[] = []
  private readonly tasks: Array<{ runId: string; childSessionKey: string }> = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly off: Array<() => void>

  constructor(
    client: GatewayClient,
    private readonly options: FollowRunOptions,
  ) {
    this.now = options.now ?? Date.now
    this.heartbeatMs = Math.max(50, options.heartbeatMs ?? 5000)
    this.maxDelta = Math.min(options.maxDeltaChars ?? MAX_STREAM_DELTA_CHARS, MAX_STREAM_DELTA_CHARS)
    this.begun = this.now()
    this.lastEventAt = this.begun
    this.off = [
      client.on('agent', (frame) => {
        const event = parseAgentEvent(frame.payload)
        if (event) this.onSession(event.sessionKey, event.item)
      }),
      // Chat repeats the agent's text: it only proves the session alive (and can link it).
      client.on('chat', (frame) => this.onSession(parseChatEvent(frame.payload)?.sessionKey, undefined)),
      client.on('task', (frame) => this.onTask(frame.payload)),
      client.onConnectionChange((change) => {
        if (change.kind === 'disconnected') this.lost = true
        else if (this.lost) {
          this.lost = false
          this.emit({ kind: 'reconnected', missed: true })
        }
      }),
    ]
    this.arm()
  }

  setRunId(id: string | undefined): void {
    this.runId = id
    if (id === undefined) return
    const named = this.tasks.find((t) => taskNamesCronRun(t, id))
    this.tasks.length = 0
    if (named) this.link(named.childSessionKey, 'task')
  }

  markStarted(): void {
    if (this.started) return
    this.started = true
    this.lastEventAt = this.now()
    if (this.phase === 'queued') this.phase = 'started'
    // Events of this job's session that beat our `started` (it is replayed after cron.run's answer) are ours.
    const first = this.pending[0]
    if (first && this.sessionKey === undefined) this.link(first.sessionKey, 'job')
  }

  report(event: RunProgress): void {
    if (event.kind === 'started') this.markStarted()
    // A poll of the run history says nothing about the run: it does not stand in for a heartbeat.
    this.emit(event, event.kind !== 'polling')
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.pending.length = 0
    for (const off of this.off.splice(0)) off()
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      const at = this.now()
      this.emit({
        kind: 'heartbeat',
        elapsedMs: at - this.begun,
        quietMs: at - this.lastEventAt,
        phase: this.phase,
      })
    }, this.heartbeatMs)
    this.timer.unref?.()
  }

  private emit(event: RunProgress, rearm = true): void {
    if (this.stopped) return
    try {
      this.options.onProgress(event)
    } finally {
      if (rearm) this.arm()
    }
  }

  private onTask(payload: unknown): void {
    const task = parseTaskEvent(payload)
    if (!task?.childSessionKey || (task.jobId !== undefined && task.jobId !== this.options.jobId)) return
    if (this.runId === undefined) {
      // The task can beat cron.run's answer: keep the last few of this job until the runId is known.
      if (this.tasks.length >= 16) this.tasks.shift()
      this.tasks.push({ runId: task.runId, childSessionKey: task.childSessionKey })
    } else if (taskNamesCronRun(task, this.runId)) {
      this.lastEventAt = this.now()
      this.link(task.childSessionKey, 'task')
    }
  }

  private onSession(key: string | undefined, item: AgentStreamItem | undefined): void {
    if (key === undefined) return
    if (this.sessionKey !== undefined) {
      if (this.ours(key)) this.apply(item)
      return
    }
    if (cronJobOfSession(key) !== this.options.jobId) return // another job's run: never ours
    if (this.started) {
      this.link(key, 'job')
      this.apply(item)
    } else if (this.pending.length < MAX_PENDING) this.pending.push({ sessionKey: key, item })
  }

  private ours(key: string): boolean {
    return this.linkedBy === 'task' ? key === this.sessionKey : cronJobOfSession(key) === this.options.jobId
  }

  private link(key: string, by: 'task' | 'job'): void {
    if (this.sessionKey !== undefined) return
    this.sessionKey = key
    this.linkedBy = by
    this.started = true // a run with an agent session has started
    if (this.phase === 'queued') this.phase = 'started'
    this.emit({ kind: 'linked', sessionKey: key })
    for (const p of this.pending.splice(0)) if (this.ours(p.sessionKey)) this.apply(p.item)
  }

  private apply(item: AgentStreamItem | undefined): void {
    this.lastEventAt = this.now()
    if (item?.kind === 'error') this.failed = item.message ?? 'error'
    if (item?.kind === 'start') {
      // 3.13/5.7 announce a retry only as a failed attempt followed by a new start (9.x sends run_status).
      const reason = this.failed
      this.failed = undefined
      if (reason !== undefined)
        this.emit({ kind: 'retrying', attempt: ++this.retries, max: undefined, delayMs: undefined, reason })
      this.phase = 'model' // an attempt begins with a model call (3.13/5.7 send no `model` phase)
    }
    const event = progressOf(item, this.totalChars, this.maxDelta)
    if (!event) return
    if (event.kind === 'text') this.totalChars = event.totalChars
    this.phase = phaseAfter(event, this.phase)
    this.emit(event)
  }
}

/** The progress event an agent stream item means, or undefined (start, end, errors: the cron event tells those). */
function progressOf(
  item: AgentStreamItem | undefined,
  totalChars: number,
  maxDelta: number,
): RunProgress | undefined {
  switch (item?.kind) {
    case 'model':
      // 9.6 repeats a `model` notice with neither field after `finishing`: not a new call.
      if (item.provider === undefined && item.model === undefined) return undefined
      return { kind: 'model', provider: item.provider, model: item.model }
    case 'tool':
      return { kind: 'tool', phase: item.phase, name: item.name, ok: item.ok }
    case 'retrying':
      return {
        kind: 'retrying',
        attempt: item.attempt,
        max: item.max,
        delayMs: item.delayMs,
        reason: item.reason ?? item.message,
      }
    case 'text':
      return { kind: 'text', delta: item.delta.slice(0, maxDelta), totalChars: totalChars + item.chars }
    case 'usage':
      return { kind: 'usage', input: item.input, output: item.output, total: item.total }
    case 'finishing':
      return { kind: 'finishing' }
    default:
      return undefined
  }
}

function phaseAfter(event: RunProgress, phase: RunPhase): RunPhase {
  switch (event.kind) {
    case 'model':
      return 'model'
    case 'tool':
      return event.phase === 'start' ? 'tool' : 'model'
    case 'retrying':
      return 'retrying'
    case 'text':
      return 'writing'
    case 'finishing':
      return 'finishing'
    default:
      return phase
  }
}
