/**
 * Agent-turn jobs end to end on real OpenClaw gateways whose model is the test kit's mock on loopback
 * (docs/testing.md "A model on loopback"): the harness's `start-all` starts the mock and configures every gateway
 * to use it. The versions run concurrently inside each test; the ≥ 90 s run goes on in the background while the
 * short ones run, so the file takes about as long as that one run.
 */
import { randomUUID } from 'node:crypto'
import {
  agentJobParams,
  type MockBehaviour,
  mockStats,
  type RunningGateway,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createGatewayClient,
  type GatewayClient,
  type RunOutcome,
  type RunProgress,
  runJob,
} from '../src/index.js'
import { createTestSigner } from './helpers.js'

/** The version and what the gateway said, for a failed expectation (its error text names the cause). */
const why = (version: string, outcome: unknown): string => {
  const o = outcome as { status?: string; error?: string; reason?: string }
  return `${version}: status ${o.status ?? '-'}${o.error ? `, error ${o.error}` : ''}${o.reason ? `, reason ${o.reason}` : ''}`
}

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents' })
const SLOW_SECONDS = 95
// Generous waits: on a loaded machine 5.7 was seen to spend 160 s setting an agent up before the model call.
const RUN_WAIT_MS = 300_000

interface Target {
  gw: RunningGateway
  client: GatewayClient
  slowJob: string
  slowRun?: Promise<RunOutcome>
  slowProgress: RunProgress[]
}

const targets: Target[] = []

afterAll(async () => {
  await Promise.all(targets.map((t) => t.client.close()))
})

/** Runs `fn` on every gateway at once. */
function eachGateway<T>(fn: (t: Target) => Promise<T>): Promise<T[]> {
  return Promise.all(targets.map(fn))
}

/** Adds an agent-turn job (behaviour `b`, a unique tag in its message) and returns its name and tag. */
async function addJob(t: Target, b: MockBehaviour, timeoutSeconds?: number) {
  const tag = `t-${randomUUID().slice(0, 8)}`
  const name = `clawlink-agent-${b.replace(':', '-')}-${tag}`
  await t.client.request(
    'cron.add',
    agentJobParams(name, { behaviour: b, note: `tag ${tag}`, ...(timeoutSeconds ? { timeoutSeconds } : {}) }),
  )
  return { name, tag }
}

async function runAgent(t: Target, b: MockBehaviour, timeoutSeconds?: number) {
  const { name, tag } = await addJob(t, b, timeoutSeconds)
  const outcome = await runJob(t.client, { ref: name, wait: true, timeoutMs: RUN_WAIT_MS })
  return { outcome, tag, name }
}

describe.skipIf(skipReason !== undefined)(`agent runs on real gateways ${skipReason ?? ''}`, () => {
  beforeAll(async () => {
    for (const gw of gateways) {
      if (!gw.model)
        throw new Error(`gateway ${gw.version} has no mock model: start it with the harness's start-all`)
      const client = createGatewayClient({
        url: gw.url,
        token: gw.token,
        signer: createTestSigner(),
        // Hang guards, not measurements: a gateway busy with agent turns on a loaded machine answers cron.add late.
        connectTimeoutMs: 60_000,
        requestTimeoutMs: 120_000,
      })
      targets.push({ gw, client, slowJob: '', slowProgress: [] })
    }
    await eachGateway(async (t) => {
      await t.client.connect()
      t.slowJob = (await addJob(t, `slow:${SLOW_SECONDS}`)).name
      // The long run goes on while the other tests run; the last test collects it.
      let enqueued: () => void = () => {}
      const started = new Promise<void>((resolve) => {
        enqueued = resolve
      })
      t.slowRun = runJob(t.client, {
        ref: t.slowJob,
        wait: true,
        timeoutMs: RUN_WAIT_MS + SLOW_SECONDS * 1000,
        onProgress: (p) => {
          t.slowProgress.push(p)
          if (p.kind === 'enqueued') enqueued()
        },
      })
      t.slowRun.catch(() => {}) // awaited (and judged) in its own test
      await Promise.race([started, t.slowRun])
    })
  }, 120_000)

  it('a second run of a job that is still running is refused: already-running', async () => {
    const outcomes = await eachGateway((t) =>
      runJob(t.client, { ref: t.slowJob, wait: true, timeoutMs: 60_000 }),
    )
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome, targets[i]!.gw.version).toMatchObject({ kind: 'not-run', reason: 'already-running' })
    }
  }, 90_000)

  it(
    'an agent turn that answers at once succeeds',
    async () => {
      const results = await eachGateway((t) => runAgent(t, 'ok'))
      for (const [i, { outcome }] of results.entries()) {
        expect(outcome, why(targets[i]!.gw.version, outcome)).toMatchObject({
          kind: 'finished',
          succeeded: true,
          status: 'ok',
        })
      }
    },
    RUN_WAIT_MS + 30_000,
  )

  it(
    'a tool call: the model asks for a tool, gets its result, answers; the run succeeds',
    async () => {
      const results = await eachGateway((t) => runAgent(t, 'tool'))
      for (const [i, { outcome, tag }] of results.entries()) {
        const t = targets[i]!
        expect(outcome, why(t.gw.version, outcome)).toMatchObject({ kind: 'finished', succeeded: true })
        const mine = (await mockStats(t.gw.model!)).recent.filter((r) => r.text.includes(tag))
        // First round: the mock asked for a tool; second round: the tool's result came back to it.
        expect(
          mine.some((r) => r.toolCall !== undefined && !r.toolResult),
          t.gw.version,
        ).toBe(true)
        expect(
          mine.some((r) => r.toolResult),
          t.gw.version,
        ).toBe(true)
      }
    },
    RUN_WAIT_MS + 30_000,
  )

  it(
    'a model that answers HTTP 400: the run finishes, not succeeded, with the error',
    async () => {
      const results = await eachGateway((t) => runAgent(t, 'http:400'))
      for (const [i, { outcome }] of results.entries()) {
        expect(outcome, targets[i]!.gw.version).toMatchObject({ kind: 'finished', succeeded: false })
        if (outcome.kind === 'finished') expect(outcome.error, targets[i]!.gw.version).toBeTruthy()
      }
    },
    RUN_WAIT_MS + 30_000,
  )

  it(
    'a payload timeoutSeconds shorter than the model: status error, the error says timeout',
    async () => {
      const results = await eachGateway((t) => runAgent(t, 'slow:30', 5))
      for (const [i, { outcome }] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(outcome, v).toMatchObject({ kind: 'finished', succeeded: false, status: 'error' })
        if (outcome.kind === 'finished') expect(outcome.error, v).toMatch(/time(d)?[ -]?out/i)
      }
    },
    RUN_WAIT_MS + 30_000,
  )

  it(
    `a ${SLOW_SECONDS} s streaming run succeeds, with its duration`,
    async () => {
      const outcomes = await eachGateway((t) => t.slowRun!)
      for (const [i, outcome] of outcomes.entries()) {
        const v = targets[i]!.gw.version
        expect(outcome, why(v, outcome)).toMatchObject({ kind: 'finished', succeeded: true, status: 'ok' })
        if (outcome.kind === 'finished') expect(outcome.durationMs, v).toBeGreaterThanOrEqual(90_000)
      }
    },
    RUN_WAIT_MS + SLOW_SECONDS * 1000 + 30_000,
  )
})
