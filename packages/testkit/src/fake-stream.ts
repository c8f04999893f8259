import { randomUUID } from 'node:crypto'

/** What one step of a played agent run does (shapes as real 2026.9.6 / 5.7 / 3.13 gateways send them). */
type FakeAgentStepKind =
  /** Assistant text: `chunks` as deltas spread evenly over `overMs`. */
  | { kind: 'text'; chunks: string[]; overMs?: number }
  /** A tool call: item start, `durationMs` later item end (9.6 and 5.7; 3.13 sends no tool events). */
  | { kind: 'tool'; name: string; durationMs?: number; ok?: boolean }
  /** A failed model attempt and the retry (9.6: a `run_status` notice; 3.13/5.7: lifecycle error, a new start). */
  | { kind: 'retry'; attempt: number; max: number; delayMs: number; reason?: string }
  /** Nothing at all for `ms`. */
  | { kind: 'silence'; ms: number }
  | { kind: 'usage'; input?: number; output?: number }
  /** Any event, as is, to every client (hostile input: huge deltas, control bytes, bad shapes). */
  | { kind: 'event'; event: string; payload: unknown }
  /** `count` text deltas of `deltaChars` characters each, at once (in batches, so the socket keeps up). */
  | { kind: 'flood'; count: number; deltaChars?: number; text?: string }
  /** Text events of ANOTHER job's run (a session of `jobId`, default a fresh one), interleaved with ours. */
  | { kind: 'foreign'; chunks: string[]; jobId?: string }

/**
 * One step of a played agent run (docs/protocol.md §7.7); it starts `afterMs` (default 0) after the previous
 * one ended.
 */
export type FakeAgentStep = { afterMs?: number } & FakeAgentStepKind

/** An agent turn the fake plays for a job's run instead of finishing it after `runDurationMs`. */
export type FakeAgentRun = {
  /** Before the agent session exists (9.6 spends 1–3 s here). @default 10 */
  setupMs?: number
  /** @default 'mock' */
  provider?: string
  /** @default 'mock-1' */
  model?: string
  steps: FakeAgentStep[]
  /** End the run failed with this error (like a model 4xx or a payload timeout); else it succeeds. */
  error?: string
}

/** What a played run needs from the fake around it. */
export interface FakeStreamDeps {
  flavor: '3.13' | '5.7' | '9.6'
  now: () => number
  later: (ms: number, fn: () => void) => void
  broadcast: (event: string, payload: unknown) => void
}

/** How a played run ended, for the cron `finished` event and the run log. */
export type FakeAgentResult = {
  ok: boolean
  summary: string | undefined
  error: string | undefined
  sessionKey: string
  extra: Record<string, unknown>
}

type Ctx = {
  deps: FakeStreamDeps
  jobId: string
  sessionId: string
  agentRunId: string
  sessionKey: string
  seq: number
  text: string
}

/** 9.6 announces each model call; 3.13/5.7 do not. */
function modelNotice(ctx: Ctx, run: FakeAgentRun): void {
  if (ctx.deps.flavor === '9.6')
    agentEvent(ctx, 'lifecycle', {
      phase: 'model',
      provider: run.provider ?? 'mock',
      model: run.model ?? 'mock-1',
    })
}

/** A run's agent context: 9.6 and 5.7 key the session by run from the start, 3.13 by job until a retry. */
function newCtx(deps: FakeStreamDeps, jobId: string): Ctx {
  const sessionId = randomUUID()
  const sessionKey =
    deps.flavor === '3.13' ? `agent:main:cron:${jobId}` : `agent:main:cron:${jobId}:run:${sessionId}`
  return { deps, jobId, sessionId, agentRunId: randomUUID(), sessionKey, seq: 0, text: '' }
}

const sleep = (deps: FakeStreamDeps, ms: number) =>
  new Promise<void>((resolve) => deps.later(Math.max(0, ms), resolve))

function agentEvent(ctx: Ctx, stream: string, data: Record<string, unknown>): void {
  ctx.deps.broadcast('agent', {
    runId: ctx.agentRunId,
    sessionKey: ctx.sessionKey,
    agentId: 'main',
    stream,
    data,
    seq: ++ctx.seq,
    ts: ctx.deps.now(),
  })
}

function textDelta(ctx: Ctx, delta: string): void {
  // Real gateways repeat the whole text so far in `text`; the fake keeps only a bounded tail of it.
  ctx.text = (ctx.text + delta).slice(-2000)
  agentEvent(ctx, 'assistant', { text: ctx.text, delta, itemId: `${ctx.agentRunId}:1` })
}

function taskEvent(ctx: Ctx, jobId: string, cronRunId: string, status: string, child: boolean): void {
  if (ctx.deps.flavor !== '9.6') return
  const at = ctx.deps.now()
  ctx.deps.broadcast('task', {
    action: 'upserted',
    task: {
      id: `task-${cronRunId}`,
      kind: 'automation_run',
      runtime: 'cron',
      status,
      agentId: 'main',
      sessionKey: '',
      ...(child ? { childSessionKey: ctx.sessionKey } : {}),
      runId: `cron:${jobId}:${at}:${randomUUID()}:${cronRunId}`,
      sourceId: jobId,
      progressSummary: 'Running automation.',
    },
  })
}

/** A failed model attempt and the gateway's retry, as each version shows it. */
async function playRetry(
  ctx: Ctx,
  step: Extract<FakeAgentStep, { kind: 'retry' }>,
  run: FakeAgentRun,
): Promise<void> {
  const { deps } = ctx
  const reason = step.reason ?? 'server_error'
  if (deps.flavor === '9.6') {
    agentEvent(ctx, 'lifecycle', { phase: 'finishing', error: 'HTTP 500', livenessState: 'blocked' })
    const message = `Provider temporarily unavailable. Retrying in ${Math.ceil(step.delayMs / 1000)}s (${step.attempt}/${step.max}).`
    agentEvent(ctx, 'run_status', {
      phase: 'retrying',
      message,
      retryAttempt: step.attempt,
      maxRetries: step.max,
      delayMs: step.delayMs,
      attempt: step.attempt + 1,
      maxAttempts: step.max + 1,
      reason,
    })
  } else {
    // 3.13/5.7: the attempt fails, then a new start; 3.13 also sends a chat error, re-keys the session
    // `cron:<job>:run:<id>` and sends a seq-gap notice before the new start.
    agentEvent(ctx, 'lifecycle', { phase: 'error', error: `500 ${reason}` })
    if (deps.flavor === '3.13') {
      const chat = { runId: ctx.sessionId, sessionKey: ctx.sessionKey, state: 'error' }
      deps.broadcast('chat', { ...chat, errorMessage: `500 ${reason}` })
      ctx.sessionKey = `cron:${ctx.jobId}:run:${ctx.sessionId}`
    }
  }
  await sleep(deps, step.delayMs)
  if (deps.flavor === '3.13')
    agentEvent(ctx, 'error', { reason: 'seq gap', expected: 1, received: ctx.seq + 1 })
  agentEvent(ctx, 'lifecycle', { phase: 'start', startedAt: deps.now() })
  modelNotice(ctx, run)
}

async function playStep(ctx: Ctx, step: FakeAgentStep, run: FakeAgentRun): Promise<void> {
  const { deps } = ctx
  switch (step.kind) {
    case 'text': {
      const gap = (step.overMs ?? 0) / Math.max(1, step.chunks.length)
      for (const chunk of step.chunks) {
        if (gap > 0) await sleep(deps, gap)
        textDelta(ctx, chunk)
      }
      return
    }
    case 'tool': {
      if (deps.flavor === '3.13') return sleep(deps, step.durationMs ?? 0)
      const item = { itemId: `tool:${step.name}`, name: step.name, kind: 'tool', title: step.name }
      agentEvent(ctx, 'item', { ...item, phase: 'start', status: 'running' })
      await sleep(deps, step.durationMs ?? 0)
      agentEvent(ctx, 'item', { ...item, phase: 'end', status: step.ok === false ? 'failed' : 'completed' })
      modelNotice(ctx, run)
      return
    }
    case 'retry':
      return playRetry(ctx, step, run)
    case 'silence':
      return sleep(deps, step.ms)
    case 'usage':
      agentEvent(ctx, 'usage', { inputTokens: step.input, outputTokens: step.output })
      return
    case 'event':
      deps.broadcast(step.event, step.payload)
      return
    case 'flood': {
      const delta = step.text ?? 'x'.repeat(step.deltaChars ?? 16)
      for (let i = 0; i < step.count; i++) {
        agentEvent(ctx, 'assistant', { delta, itemId: `${ctx.agentRunId}:1` })
        if (i % 500 === 499) await sleep(deps, 1)
      }
      return
    }
    case 'foreign': {
      const other = newCtx(deps, step.jobId ?? randomUUID())
      agentEvent(other, 'lifecycle', { phase: 'model', provider: 'other', model: 'other-1' })
      for (const chunk of step.chunks) {
        textDelta(other, chunk)
        deps.broadcast('chat', {
          runId: other.agentRunId,
          sessionKey: other.sessionKey,
          state: 'delta',
          deltaText: chunk,
        })
      }
      return
    }
  }
}

/**
 * Plays an agent turn for a cron run the way a real gateway streams it: (9.6) `task` events linking the cron
 * run to its agent session, then `agent` lifecycle/assistant/item/run_status/usage events and `chat` events;
 * resolves with how the run ended (the caller broadcasts cron `finished`).
 */
export async function playAgentRun(
  deps: FakeStreamDeps,
  run: FakeAgentRun,
  ids: { jobId: string; cronRunId: string },
): Promise<FakeAgentResult> {
  const ctx = newCtx(deps, ids.jobId)
  taskEvent(ctx, ids.jobId, ids.cronRunId, 'running', false)
  await sleep(deps, run.setupMs ?? 10)
  taskEvent(ctx, ids.jobId, ids.cronRunId, 'running', true)
  const provider = run.provider ?? 'mock'
  const model = run.model ?? 'mock-1'
  agentEvent(ctx, 'lifecycle', { phase: 'start', startedAt: deps.now() })
  modelNotice(ctx, run)
  for (const step of run.steps) {
    if (step.afterMs) await sleep(deps, step.afterMs)
    await playStep(ctx, step, run)
  }
  if (run.error) {
    agentEvent(ctx, 'lifecycle', { phase: 'error', error: run.error, aborted: false })
    deps.broadcast('chat', {
      runId: ctx.agentRunId,
      sessionKey: ctx.sessionKey,
      state: 'error',
      errorMessage: run.error,
    })
  } else {
    if (deps.flavor === '9.6') {
      agentEvent(ctx, 'lifecycle', { phase: 'finishing', stopReason: 'stop', aborted: false })
      agentEvent(ctx, 'lifecycle', { phase: 'model', provider: null, model: null })
    }
    agentEvent(ctx, 'lifecycle', { phase: 'end', stopReason: 'stop', aborted: false })
    deps.broadcast('chat', {
      runId: ctx.agentRunId,
      sessionKey: ctx.sessionKey,
      state: 'final',
      stopReason: 'stop',
    })
  }
  taskEvent(ctx, ids.jobId, ids.cronRunId, run.error ? 'failed' : 'succeeded', true)
  return {
    ok: !run.error,
    summary: run.error ? undefined : ctx.text.slice(-500) || 'ok',
    error: run.error,
    // The finished event names the run's session the 9.x way on every version.
    sessionKey: `agent:main:cron:${ids.jobId}:run:${ctx.sessionId}`,
    extra: { sessionId: ctx.sessionId, provider, model },
  }
}
