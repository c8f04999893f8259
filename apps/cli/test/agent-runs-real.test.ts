/**
 * `clawlink cron run` of agent-turn jobs on real OpenClaw gateways whose model is the test kit's mock on loopback
 * (the harness's `start-all` starts it and points every gateway at it). Every test runs on all versions at once;
 * the ≥ 90 s `--follow` run comes last (a gateway runs one cron job at a time: runs started meanwhile would wait
 * for it). The first agent turn of a cold gateway can take minutes on a loaded machine: the limits are generous.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import {
  type AgentJobOptions,
  agentJobParams,
  type RunningGateway,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { BIN, runCli, sandbox } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents' })
const SLOW_SECONDS = 95

/** A fresh profile and the flags to reach `gw`. */
function connect(gw: RunningGateway) {
  const box = sandbox(gw.token)
  return { home: box.home, env: box.env, conn: ['--url', gw.url, '--token-file', box.tokenFile] }
}

/** Adds an agent-turn job with `clawlink call cron.add` (a gateway busy starting its agent runtime answers late). */
async function agentJob(gw: RunningGateway, options: AgentJobOptions): Promise<{ id: string; name: string }> {
  const name = `cli-agent-${options.behaviour.replace(':', '-')}-${randomUUID().slice(0, 8)}`
  const { home, env, conn } = connect(gw)
  const file = `${home}/job.json`
  writeFileSync(file, JSON.stringify(agentJobParams(name, options)))
  const r = await runCli(
    ['call', 'cron.add', '--params', `@${file}`, '--timeout', '2m', '--json', ...conn],
    env,
  )
  if (r.code !== 0) throw new Error(`${gw.version}: cron.add failed: ${r.stdout}${r.stderr}`)
  const added = JSON.parse(r.stdout)
  const id = added.result?.id ?? added.result?.job?.id ?? added.id ?? added.job?.id
  if (typeof id !== 'string') throw new Error(`${gw.version}: cron.add gave no id: ${r.stdout}`)
  return { id, name }
}

/** What a `--follow` run printed, chunk by chunk as it came, and how it ended. */
type Followed = { code: number | null; chunks: string[]; stderr: string }

function follow(gw: RunningGateway, name: string): Promise<Followed> {
  const { env, conn } = connect(gw)
  const child = spawn(process.execPath, [BIN, 'cron', 'run', name, '--follow', '--timeout', '5m', ...conn], {
    env,
  })
  const chunks: string[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => chunks.push(d.toString()))
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, chunks, stderr })))
}

const each = <T>(fn: (gw: RunningGateway) => Promise<T>) => Promise.all(gateways.map(fn))

describe.skipIf(skipReason !== undefined)(
  `cron run of agent turns on real gateways ${skipReason ?? ''}`,
  () => {
    it('--wait: an agent turn that answers exits 0; a cron runs --follow --json feed shows it', {
      timeout: 420_000,
    }, async () => {
      await each(async (gw) => {
        const job = await agentJob(gw, { behaviour: 'ok' })
        const { env, conn } = connect(gw)
        const feed = spawn(process.execPath, [BIN, 'cron', 'runs', '--follow', job.id, '--json', ...conn], {
          env,
        })
        let lines = ''
        feed.stdout.on('data', (d: Buffer) => {
          lines += d.toString()
        })
        const feedEnd = new Promise<number | null>((resolve) => feed.once('exit', resolve))
        await new Promise((r) => setTimeout(r, 5000)) // the feed connects and subscribes (nothing to wait for)
        const r = await runCli(['cron', 'run', job.name, '--wait', '--timeout', '6m', ...conn], env, 400_000)
        expect(r.code, `${gw.version}: ${r.stderr}`).toBe(0)
        expect(r.stdout, gw.version).toContain(`✓ ${job.name} finished ok`)
        for (let i = 0; i < 100 && !lines.includes('"type": "finished"'); i++)
          await new Promise((w) => setTimeout(w, 100))
        feed.kill('SIGINT')
        expect(await feedEnd, gw.version).toBe(0)
        const types = lines
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l).type)
        expect(types, `${gw.version}: ${lines}`).toEqual(expect.arrayContaining(['started', 'finished']))
      })
    })

    it('--json, a model that answers HTTP 400: exit 10 with runId, status, error, durationMs', {
      timeout: 150_000,
    }, async () => {
      await each(async (gw) => {
        const job = await agentJob(gw, { behaviour: 'http:400' })
        const { env, conn } = connect(gw)
        const r = await runCli(['cron', 'run', job.name, '--wait', '--json', ...conn], env, 140_000)
        expect(r.code, `${gw.version}: ${r.stdout}${r.stderr}`).toBe(10)
        const doc = JSON.parse(r.stdout)
        expect(doc, gw.version).toMatchObject({
          ok: false,
          error: { code: 'RUN_FAILED' },
          job: { id: job.id, name: job.name },
          outcome: 'finished',
          succeeded: false,
        })
        expect(typeof doc.runId, gw.version).toBe('string')
        expect(typeof doc.status, gw.version).toBe('string')
        expect(typeof doc.durationMs, gw.version).toBe('number')
        expect(typeof doc.error.runError, gw.version).toBe('string')
      })
    })

    it('payload timeoutSeconds ends the run: exit 10', { timeout: 120_000 }, async () => {
      await each(async (gw) => {
        const job = await agentJob(gw, { behaviour: 'slow:60', timeoutSeconds: 5 })
        const { env, conn } = connect(gw)
        const r = await runCli(['cron', 'run', job.name, '--wait', '--json', ...conn], env, 110_000)
        expect(r.code, `${gw.version}: ${r.stdout}${r.stderr}`).toBe(10)
        expect(JSON.parse(r.stdout), gw.version).toMatchObject({ ok: false, outcome: 'finished' })
      })
    })

    it('our --timeout: exit 11 with the runId; then already running: exit 13', {
      timeout: 120_000,
    }, async () => {
      await each(async (gw) => {
        const job = await agentJob(gw, { behaviour: 'slow:40' })
        const { env, conn } = connect(gw)
        const r = await runCli(['cron', 'run', job.name, '--wait', '--timeout', '4s', '--json', ...conn], env)
        expect(r.code, `${gw.version}: ${r.stdout}${r.stderr}`).toBe(11)
        const doc = JSON.parse(r.stdout)
        expect(doc, gw.version).toMatchObject({
          ok: false,
          outcome: 'timeout',
          error: { code: 'WAIT_TIMEOUT' },
        })
        expect(typeof doc.runId, gw.version).toBe('string')
        // The run goes on on the gateway: a second one is refused.
        const again = await runCli(['cron', 'run', job.name, '--json', ...conn], env)
        expect(again.code, `${gw.version}: ${again.stdout}${again.stderr}`).toBe(13)
        expect(JSON.parse(again.stdout), gw.version).toMatchObject({ reason: 'already-running', runId: null })
      })
    })

    it(`--follow of a ${SLOW_SECONDS} s run: the text arrives while it runs, then the result, exit 0`, {
      timeout: 240_000,
    }, async () => {
      const slow = await each(async (gw) => {
        const job = await agentJob(gw, { behaviour: `slow:${SLOW_SECONDS}` })
        return { gw, job, run: await follow(gw, job.name) }
      })
      for (const { gw, job, run } of slow) {
        expect(run.code, `${gw.version}: ${run.stderr}`).toBe(0)
        const resultAt = run.chunks.findIndex((c) => c.includes(`✓ ${job.name} finished ok`))
        expect(resultAt, gw.version).toBeGreaterThan(0)
        // Text came in several pieces, before the result was known.
        const textChunks = run.chunks.slice(0, resultAt).filter((c) => c.trim() !== '')
        expect(textChunks.length, `${gw.version}: ${JSON.stringify(run.chunks.slice(0, 5))}`).toBeGreaterThan(
          3,
        )
      }
    })
  },
)
