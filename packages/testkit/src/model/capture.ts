#!/usr/bin/env node
/**
 * Records what a real gateway sends on an operator connection while it runs agent-turn jobs against the mock
 * model: `node dist/model/capture.js GATEWAYS_FILE VERSION [BEHAVIOUR…]` writes
 * `fixtures/run-stream/<version>/<name>.jsonl`, one `{event, payload, seq?}` per line, from just before
 * `cron.run` until 2 s after the job's `cron` finished event. The gateway token never lands in a file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunningGateway } from '../harness/gateway.js'
import { type AgentJobOptions, agentJobParams } from '../harness/jobs.js'
import { createEphemeralSigner, gatewayRpc } from '../harness/rpc.js'

/** One capture: the fixture's name and the job that produces it. */
export interface CaptureCase {
  name: string
  job: AgentJobOptions
}

/** The captures of the brief, in the order they run; `http-500` last (9.6 retries it for ~87 s). */
export const CAPTURE_CASES: CaptureCase[] = [
  { name: 'ok', job: { behaviour: 'ok' } },
  { name: 'slow-8', job: { behaviour: 'slow:8' } },
  { name: 'tool', job: { behaviour: 'tool' } },
  { name: 'http-400', job: { behaviour: 'http:400' } },
  { name: 'timeout-5', job: { behaviour: 'slow:30', timeoutSeconds: 5 } },
  { name: 'http-500', job: { behaviour: 'http:500' } },
]

interface Frame {
  event: string
  payload: unknown
  seq?: number
}

const FIXTURES = fileURLToPath(new URL('../../fixtures/run-stream/', import.meta.url))

function isFinishedOf(frame: Frame, jobId: string): boolean {
  const p = frame.payload as { jobId?: string; action?: string } | undefined
  return frame.event === 'cron' && p?.jobId === jobId && p.action === 'finished'
}

/** Runs one case on a connection of its own and returns its frames (token-free) and the run's cron.runs entry. */
export async function captureOne(
  gw: RunningGateway,
  c: CaptureCase,
): Promise<{ frames: Frame[]; runs: unknown; jobId: string }> {
  const frames: Frame[] = []
  let recording = false
  let jobId = ''
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const name = `capture-${c.name}-${Date.now()}`
  const { results } = await gatewayRpc(
    {
      url: gw.url,
      token: gw.token,
      signer: createEphemeralSigner(),
      timeoutMs: 240_000,
      holdOpenMs: 2_000,
      holdUntil: () => finished,
      onEvent: (event, payload, seq) => {
        if (!recording) return
        const frame: Frame = { event, payload, ...(seq !== undefined ? { seq } : {}) }
        frames.push(frame)
        if (isFinishedOf(frame, jobId)) done()
      },
    },
    [
      { method: 'cron.add', params: agentJobParams(name, { ...c.job, note: `capture ${c.name}` }) },
      {
        method: 'cron.run',
        params: (r: unknown[]) => {
          const job = r[0] as { id?: string; job?: { id?: string } }
          jobId = job.id ?? job.job?.id ?? ''
          recording = true
          return { id: jobId, mode: 'force' }
        },
      },
    ],
  )
  const { results: after } = await gatewayRpc(
    { url: gw.url, token: gw.token, signer: createEphemeralSigner() },
    [
      { method: 'cron.runs', params: { id: jobId, limit: 5, sortDir: 'desc' } },
      { method: 'cron.remove', params: { id: jobId } },
    ],
  )
  void results
  const scrub = (text: string) => text.split(gw.token).join('<token>')
  return {
    frames: frames.map((f) => JSON.parse(scrub(JSON.stringify(f))) as Frame),
    runs: JSON.parse(scrub(JSON.stringify(after[0]))),
    jobId,
  }
}

function summary(frames: Frame[]): string {
  const parts = frames.map((f) => {
    const p = f.payload as { stream?: string; action?: string; state?: string; data?: { phase?: string } }
    return [f.event, p?.action ?? p?.stream ?? p?.state, p?.data?.phase].filter(Boolean).join(':')
  })
  return parts.filter((s, i) => s !== parts[i - 1]).join(' → ')
}

async function main(argv: string[]): Promise<number> {
  const [file, version, ...names] = argv
  if (!file || !version) {
    process.stderr.write('usage: capture GATEWAYS_FILE VERSION [CASE…]\n')
    return 2
  }
  const gw = (JSON.parse(readFileSync(file, 'utf8')) as RunningGateway[]).find(
    (g) => g.version === version && !g.clockOffset,
  )
  if (!gw) throw new Error(`no gateway ${version} in ${file}`)
  const dir = join(FIXTURES, version)
  mkdirSync(dir, { recursive: true })
  const cases = names.length > 0 ? CAPTURE_CASES.filter((c) => names.includes(c.name)) : CAPTURE_CASES
  for (const c of cases) {
    const started = Date.now()
    const { frames, runs } = await captureOne(gw, c)
    writeFileSync(join(dir, `${c.name}.jsonl`), frames.map((f) => `${JSON.stringify(f)}\n`).join(''))
    const entry = (runs as { entries?: { status?: string; error?: string }[] }).entries?.[0]
    process.stderr.write(
      `[capture] ${version} ${c.name}: ${frames.length} frames in ${((Date.now() - started) / 1000).toFixed(1)} s, run ${entry?.status ?? '?'}${entry?.error ? ` (${entry.error.slice(0, 80)})` : ''}\n  ${summary(frames)}\n`,
    )
  }
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: Error) => {
      process.stderr.write(`[capture] ${error.message}\n`)
      process.exitCode = 1
    },
  )
}
