/**
 * run_cron_job with agent-turn jobs on real OpenClaw gateways whose model is the test kit's mock on loopback
 * (the harness's `start-all` starts it), through the official SDK client with its DEFAULT 60 s request timeout and
 * `resetTimeoutOnProgress`. The versions run concurrently; the ≥ 90 s run goes on while the short ones run.
 */
import { randomUUID } from 'node:crypto'
import { createGatewayClient, type GatewayClient } from '@clawlink/client'
import {
  agentJobParams,
  createEphemeralSigner,
  type MockBehaviour,
  type RunningGateway,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents' })
const SLOW_SECONDS = 95

type Server = Awaited<ReturnType<typeof connectServer>>
type Called = {
  isError: boolean
  text: string
  content: Record<string, unknown>
  /** When each progress notification arrived (ms since the call), and what it said. */
  notes: { at: number; message: string }[]
}

interface Target {
  gw: RunningGateway
  mcp: Server
  /** A session of its own that adds the jobs (one connection, generous timeouts for a loaded machine). */
  admin: GatewayClient
  slowJob: string
  slowRun?: Promise<Called>
}
const targets: Target[] = []

afterAll(async () => {
  await Promise.all(targets.flatMap((t) => [t.mcp.close(), t.admin.close()]))
})

const eachGateway = <T>(fn: (t: Target) => Promise<T>): Promise<T[]> => Promise.all(targets.map(fn))

/** run_cron_job through the SDK client: default request timeout, reset on every progress notification. */
async function run(
  t: Target,
  args: Record<string, unknown>,
  onNote?: (message: string) => void,
): Promise<Called> {
  const started = Date.now()
  const notes: Called['notes'] = []
  const r = await t.mcp.client.callTool({ name: 'run_cron_job', arguments: args }, undefined, {
    resetTimeoutOnProgress: true,
    onprogress: (p) => {
      notes.push({ at: Date.now() - started, message: p.message ?? '' })
      onNote?.(p.message ?? '')
    },
  })
  return {
    isError: r.isError === true,
    text: text(r),
    content: (r.structuredContent ?? {}) as Record<string, unknown>,
    notes,
  }
}

async function addJob(t: Target, behaviour: MockBehaviour, timeoutSeconds?: number): Promise<string> {
  const tag = randomUUID().slice(0, 8)
  const name = `mcp-agent-${behaviour.replace(':', '-')}-${tag}`
  const params = agentJobParams(name, {
    behaviour,
    note: `tag ${tag}`,
    ...(timeoutSeconds ? { timeoutSeconds } : {}),
  })
  await t.admin.request('cron.add', params)
  return name
}

async function runAgent(t: Target, behaviour: MockBehaviour, timeoutSeconds?: number): Promise<Called> {
  const job = await addJob(t, behaviour, timeoutSeconds)
  return run(t, { job, wait: true, timeoutSeconds: 150 })
}

/** Starts the long run (judged in the last test); resolves once it is enqueued. */
async function startSlowRun(t: Target): Promise<void> {
  t.slowJob = await addJob(t, `slow:${SLOW_SECONDS}`)
  let enqueued: () => void = () => {}
  const started = new Promise<void>((resolve) => {
    enqueued = resolve
  })
  t.slowRun = run(t, { job: t.slowJob, wait: true, timeoutSeconds: 240 }, (m) => {
    if (/enqueued/.test(m)) enqueued()
  })
  t.slowRun.catch(() => {}) // judged in its own test
  await Promise.race([started, t.slowRun])
}

const maxGap = (notes: Called['notes']): number =>
  Math.max(...notes.map((n, i) => n.at - (i === 0 ? 0 : notes[i - 1]!.at)))

describe.skipIf(skipReason !== undefined)(
  `run_cron_job with agent turns on real gateways ${skipReason ?? ''}`,
  () => {
    beforeAll(async () => {
      for (const gw of gateways) {
        if (!gw.model)
          throw new Error(`gateway ${gw.version} has no mock model: start it with the harness's start-all`)
        const mcp = await connectServer({ token: gw.token, args: ['--url', gw.url] })
        await mcp.client.listTools() // the SDK now checks every structuredContent against the output schema
        const admin = createGatewayClient({
          url: gw.url,
          token: gw.token,
          signer: createEphemeralSigner(),
          connectTimeoutMs: 60_000,
          requestTimeoutMs: 60_000,
        })
        targets.push({ gw, mcp, admin, slowJob: '' })
      }
      await eachGateway((t) => t.admin.connect())
    }, 90_000)

    it('an agent turn that answers at once: finished ok', async () => {
      const results = await eachGateway((t) => runAgent(t, 'ok'))
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(r.isError, `${v}: ${r.text}`).toBe(false)
        expect(r.content, v).toMatchObject({
          ok: true,
          outcome: 'finished',
          succeeded: true,
          status: 'ok',
          code: null,
        })
        expect(r.content.runId, v).toEqual(expect.any(String))
      }
    }, 180_000)

    it('a tool call, then an answer: finished ok', async () => {
      const results = await eachGateway((t) => runAgent(t, 'tool'))
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(r.isError, `${v}: ${r.text}`).toBe(false)
        expect(r.content, v).toMatchObject({ ok: true, outcome: 'finished', succeeded: true })
      }
    }, 180_000)

    it('a model that answers HTTP 400: RUN_FAILED, the run facts and its error in structuredContent', async () => {
      const results = await eachGateway((t) => runAgent(t, 'http:400'))
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(r.isError, v).toBe(true)
        expect(r.text, v).toMatch(/\[RUN_FAILED\]$/)
        expect(r.text, v).not.toMatch(/\.\./)
        expect(r.content, v).toMatchObject({
          ok: false,
          code: 'RUN_FAILED',
          outcome: 'finished',
          succeeded: false,
        })
        expect(r.content.runId, v).toEqual(expect.any(String))
        expect(r.content.error, v).toEqual(expect.any(String))
      }
    }, 180_000)

    it('a payload timeoutSeconds shorter than the model: RUN_FAILED, status error, the error says timeout', async () => {
      const results = await eachGateway((t) => runAgent(t, 'slow:30', 5))
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(r.isError, v).toBe(true)
        expect(r.content, v).toMatchObject({
          ok: false,
          code: 'RUN_FAILED',
          status: 'error',
          succeeded: false,
        })
        expect(String(r.content.error), v).toMatch(/time(d)?[ -]?out/i)
      }
    }, 180_000)

    // The long run goes last: a gateway may run one cron job at a time, so short runs would queue behind it.
    it('a second run of the job still running: ALREADY_RUNNING, with the facts', async () => {
      await eachGateway(startSlowRun)
      const results = await eachGateway((t) => run(t, { job: t.slowJob, wait: true }))
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        expect(r.isError, v).toBe(true)
        expect(r.text, v).toMatch(/\[ALREADY_RUNNING\]$/)
        expect(r.content, v).toMatchObject({
          ok: false,
          code: 'ALREADY_RUNNING',
          outcome: 'not-run',
          reason: 'already-running',
          job: { name: targets[i]!.slowJob },
        })
      }
    }, 90_000)

    it(`a ${SLOW_SECONDS} s run succeeds past the SDK's 60 s timeout; notifications never 10 s apart`, async () => {
      const results = await eachGateway((t) => t.slowRun!)
      for (const [i, r] of results.entries()) {
        const v = targets[i]!.gw.version
        console.log(
          `${v}: ${r.notes.length} notifications over ${r.notes.at(-1)?.at} ms, longest gap ${maxGap(r.notes)} ms; at ${r.notes.map((n) => Math.round(n.at / 1000)).join(' ')} s; last "${r.notes.at(-1)?.message}"`,
        )
        expect(r.isError, `${v}: ${r.text}`).toBe(false)
        expect(r.content, v).toMatchObject({ ok: true, outcome: 'finished', succeeded: true, status: 'ok' })
        expect(Number(r.content.durationMs), v).toBeGreaterThanOrEqual(90_000)
        expect(maxGap(r.notes), v).toBeLessThan(10_000)
        // The run's live stream reaches the caller: the streamed text (all versions), the model call (9.x only).
        expect(
          r.notes.some((n) => /characters written$/.test(n.message)),
          v,
        ).toBe(true)
        if (v.startsWith('2026.9'))
          expect(
            r.notes.some((n) => n.message === 'calling mock/mock-1'),
            v,
          ).toBe(true)
      }
    }, 240_000)
  },
)
