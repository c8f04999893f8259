#!/usr/bin/env node
// Benchmark (not a test) of clawlink-mcp (issue 21, "Speed and size"), all in one run against one real gateway
// started with the testkit harness:
//   1. cold start over stdio (spawn → initialize → first tools/call list_cron_jobs answered) against
//      `clawlink cron list`, interleaved;
//   2. warm run_cron_job with wait (server already up) against a bare cron.run and the client's runJob with wait on
//      already-connected @clawlink/client sessions, interleaved;
//   3. 50 concurrent 2026-07-28 clients through nginx in front of two HTTP replicas, and the proxy hop's latency;
//   4. the installed size of @clawlink/mcp, packed and installed offline (scripts/bench-mcp-proxy.mjs).
// The stdio client here is a minimal raw JSON-RPC driver (newline-delimited JSON on the child's stdin/stdout): no
// SDK client in the measured path, so the numbers are the server's.
// Writes the "MCP" section of BENCHMARKS.md. Usage: node scripts/bench-mcp.mjs [--cold 20] [--calls 20]
//   [--clients 50] [--hops 50] [--version 2026.9.6] [--gateway-file FILE (of the harness's start-all)]
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createGatewayClient, runJob } from '../packages/client/dist/index.js'
import { startFakeGateway } from '../packages/testkit/dist/fake-gateway.js'
import {
  addModelFreeJob,
  createEphemeralSigner,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { installedSize, proxyBench } from './bench-mcp-proxy.mjs'
import {
  benchHome,
  gitRev,
  loadAverage,
  machine,
  procMemory,
  root,
  sleep,
  summarise,
  timedAsync,
  writeSection,
} from './bench-lib.mjs'

export const MCP_BIN = `${root}apps/mcp/dist/clawlink-mcp.cjs`
const CLI_BIN = `${root}apps/cli/dist/clawlink.cjs`

/**
 * The server over stdio, driven by raw JSON-RPC lines. `call(method, params)` resolves with the answer's result
 * (rejects with its error); `close()` ends stdin and waits for the exit. `nodeArgs` (e.g. --cpu-prof) go to node.
 */
export function stdioServer(args, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, MCP_BIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const pending = new Map()
  let next = 0
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line)
    const waiter = msg.id !== undefined && !msg.method ? pending.get(msg.id) : undefined
    if (!waiter) return // notifications (progress, logging) and server requests: not needed here
    pending.delete(msg.id)
    if (msg.error) waiter.reject(new Error(`${msg.error.message} (${msg.error.code})`))
    else waiter.resolve(msg.result)
  })
  const exited = new Promise((r) => child.once('exit', r))
  child.once('exit', (code) => {
    for (const w of pending.values())
      w.reject(new Error(`clawlink-mcp exited (${code}): ${stderr.slice(-400)}`))
  })
  const send = (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`)
  return {
    pid: child.pid,
    call(method, params) {
      const id = ++next
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        send({ id, method, params })
      })
    },
    notify: (method, params) => send({ method, params }),
    async close() {
      child.stdin.end()
      await exited
    },
  }
}

/** initialize + notifications/initialized, as any stdio client starts. */
export async function initialize(server) {
  await server.call('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'bench-raw', version: '0' },
  })
  server.notify('notifications/initialized', {})
}

/** A tools/call that must succeed; returns the structuredContent. */
export async function tool(server, name, args) {
  const r = await server.call('tools/call', { name, arguments: args })
  if (r.isError) throw new Error(`${name}: ${r.content?.[0]?.text}`)
  return r.structuredContent
}

/** Part 1: spawn → initialize → list_cron_jobs answered, against `clawlink cron list`, interleaved. */
async function coldStarts(rounds, bench) {
  const mcp = []
  const cli = []
  const coldOnce = async () => {
    const t = process.hrtime.bigint()
    const server = stdioServer(bench.conn, bench.env)
    await initialize(server)
    const { jobs } = await tool(server, 'list_cron_jobs', {})
    mcp.push(Number(process.hrtime.bigint() - t) / 1e6)
    if (!Array.isArray(jobs) || jobs.length === 0) throw new Error('list_cron_jobs: no jobs')
    await server.close() // not measured: an assistant keeps it running
  }
  const cliOnce = async () =>
    cli.push(
      (await timedAsync(process.execPath, [CLI_BIN, 'cron', 'list', ...bench.conn], { env: bench.env }))
        .wallMs,
    )
  await timedAsync(process.execPath, [CLI_BIN, 'cron', 'list', ...bench.conn], { env: bench.env }) // pairs once
  for (let i = 0; i < rounds; i++) {
    const [first, second] = i % 2 === 0 ? [coldOnce, cliOnce] : [cliOnce, coldOnce]
    await first()
    await second()
  }
  return { mcp: summarise(mcp), cli: summarise(cli) }
}

/**
 * Part 2: warm run_cron_job {job: id, wait: true} against a bare cron.run and runJob({wait: true}) on connected
 * sessions (each its own device: 9.x allows 30 cron.run a minute per device), and run_cron_job without wait,
 * interleaved, 1.2 s apart so each run has ended before the next.
 */
async function warmRuns(rounds, bench, gw, jobId) {
  const server = stdioServer(bench.conn, bench.env)
  await initialize(server)
  const session = () => createGatewayClient({ url: gw.url, token: gw.token, signer: createEphemeralSigner() })
  const [bare, waiter] = [session(), session()]
  await Promise.all([bare.connect(), waiter.connect()])
  const times = { mcp: [], mcpNoWait: [], bare: [], runJob: [] }
  const kinds = {
    mcp: async () => {
      const r = await tool(server, 'run_cron_job', { job: jobId, wait: true })
      if (r.job?.id !== jobId || r.succeeded !== true) throw new Error(`run_cron_job: ${JSON.stringify(r)}`)
    },
    mcpNoWait: async () => {
      const r = await tool(server, 'run_cron_job', { job: jobId })
      if (r.job?.id !== jobId || typeof r.runId !== 'string')
        throw new Error(`run_cron_job: ${JSON.stringify(r)}`)
    },
    bare: async () => {
      const r = await bare.request('cron.run', { id: jobId, mode: 'force' })
      if (r?.ok === false || r?.ran === false) throw new Error(`cron.run: ${JSON.stringify(r)}`)
    },
    runJob: async () => {
      const out = await runJob(waiter, { ref: jobId, wait: true, timeoutMs: 30_000 })
      if (out.kind !== 'finished') throw new Error(`runJob: ${out.kind}`)
    },
  }
  await kinds.mcp() // the server's first run (job list, session): warm from here
  const order = Object.keys(kinds)
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < order.length; k++) {
      const kind = order[(i + k) % order.length] // rotate: none always follows the same one
      await sleep(1200) // the run before has ended; the server's device stays under 30 cron.run a minute
      const t = process.hrtime.bigint()
      await kinds[kind]()
      times[kind].push(Number(process.hrtime.bigint() - t) / 1e6)
    }
  }
  const memory = procMemory(server.pid)
  await Promise.all([server.close(), bare.close(), waiter.close()])
  return { ...Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarise(v)])), memory }
}

/**
 * What the MCP hop itself costs: the same warm run (no wait) through the server and as a bare cron.run, against
 * the testkit's in-process fake gateway (answers in well under a millisecond; its 5.7 flavour has no cron.run rate
 * limit), `rounds` times, `pauseMs` apart.
 */
export async function ownCost(rounds, pauseMs) {
  const jobs = ['own-mcp', 'own-bare'].map((name) => ({ name, runDurationMs: 1 })) // one each: never already running
  const fake = await startFakeGateway({ flavor: '5.7', jobs })
  const bench = await benchHome(fake)
  const server = stdioServer(bench.conn, bench.env)
  const bare = createGatewayClient({ url: fake.url, token: fake.token, signer: createEphemeralSigner() })
  try {
    await initialize(server)
    const listed = (await bare.request('cron.list', {})).jobs
    const [id, bareId] = jobs.map((j) => listed.find((l) => l.name === j.name).id)
    await tool(server, 'run_cron_job', { job: id })
    const [viaMcp, direct] = [[], []]
    for (let i = 0; i < rounds; i++) {
      await sleep(pauseMs)
      let t = process.hrtime.bigint()
      await tool(server, 'run_cron_job', { job: id })
      viaMcp.push(Number(process.hrtime.bigint() - t) / 1e6)
      await sleep(pauseMs)
      t = process.hrtime.bigint()
      await bare.request('cron.run', { id: bareId, mode: 'force' })
      direct.push(Number(process.hrtime.bigint() - t) / 1e6)
    }
    return { rounds, pauseMs, mcp: summarise(viaMcp), bare: summarise(direct) }
  } finally {
    await Promise.allSettled([server.close(), bare.close()])
    await fake.close()
  }
}

/** What the rows mean and where the time goes (profiled by hand on 2026-12-07; see the report of issue 21). */
const NOTES = [
  'Cold start: `cron list` is timed to its exit, the server to its first answer (an assistant keeps it running).',
  'Both sides start through their launcher with V8\'s code cache already written (docs/architecture.md "Start-up").',
  'A `--cpu-prof` of one cold start before that cache (2026-12-07, load ≈ 9): of ≈ 750 ms, 110 ms compiling the',
  '1.77 MB one-file bundle, ≈ 230 ms running its top level (mostly building zod schemas: the MCP SDK v2 server and',
  'core, 707 + 43 KiB of the bundle, zod 380 KiB), 70 ms GC, 66 ms idle. The cache removes most of the compile; the',
  'schemas are built on every start, and the SDK loads only after the gateway connect has begun. The CLI needs no',
  "schemas, so the ratio is mostly the SDK's own start-up. Since the evening of 2026-12-07 both bundles are minified",
  'with `ws` inside (server 0.95 MB, CLI 0.41 MB; docs/architecture.md "Start-up"): 1.87 × became 1.42 ×.',
  "Warm run: `run_cron_job` with `wait` waits for the run's end, which a bare `cron.run` does not, so the fair",
  'comparison is the in-process `runJob({ wait: true })` row; without wait the tool is the bare request plus the',
  'MCP hop. That hop (the fake-gateway rows: a second process woken over stdio, the SDK validating input and',
  'output, the tool, the audit line) costs a few ms on an idle machine (2.5–3.4 ms on 2026-11-26) and several',
  'times that under load: every hop waits for a CPU on 2 cores. By id the tool still resolves the job through the',
  'cached job list (for the policy check): one extra `cron.list` when the 30 s cache has expired.',
  'Four earlier runs the same day at load 7–14 (same script; the first stopped before the proxy part): cold start',
  '1.49, 1.68, 1.70 and 2.28 ×; with wait',
  '2.23–3.00 × bare `cron.run` but 0.90–1.18 × `runJob({ wait: true })`; without wait 1.01 and 1.37 ×; proxy hop',
  '−0.8 to +14 ms at p50 (noise: the hop is below what this machine can resolve under load).',
  '',
]

const ms = (s, d = 0) => `${s.p50.toFixed(d)} ms | ${s.min.toFixed(d)}–${s.max.toFixed(d)} ms`

function report(values, { cold, warm, own, proxy, size, loads }) {
  const x = (a, b) => `**${(a.p50 / b.p50).toFixed(2)} ×**`
  const met = (a, b, limit) => (a.p50 / b.p50 <= limit ? 'met' : 'not met')
  return [
    `clawlink-mcp (the built one-file server) against one real OpenClaw ${values.version} gateway on loopback, started`,
    'with the testkit harness; every part in the same run. Over stdio the client is a minimal raw JSON-RPC driver in',
    "the script (no SDK client in the measured path: the figures are the server's). Profiles already paired.",
    `Run ${new Date().toISOString()} on ${machine()}, commit ${gitRev()}; ${loads[0]} at the start, ${loads[1]} at the`,
    `end (the machine is shared: compare within a row pair, which ran interleaved). Produced by`,
    `\`node scripts/bench-mcp.mjs --cold ${values.cold} --calls ${values.calls}${values['gateway-file'] ? ' --gateway-file <start-all output>' : ''}\`.`,
    '',
    '| Measure | n | p50 | min–max | Target |',
    '|---|---|---|---|---|',
    `| cold start: spawn → initialize → first \`list_cron_jobs\` result | ${cold.mcp.n} | ${ms(cold.mcp)} | ≤ 1.5 × \`cron list\`: ${x(cold.mcp, cold.cli)} (${met(cold.mcp, cold.cli, 1.5)}) |`,
    `| \`clawlink cron list\`, spawn → exit (same gateway and profile) | ${cold.cli.n} | ${ms(cold.cli)} | |`,
    `| warm \`run_cron_job\` by id, \`wait: true\` (system-event job) | ${warm.mcp.n} | ${ms(warm.mcp, 1)} | ≤ 1.2 × bare \`cron.run\`: ${x(warm.mcp, warm.bare)} (${met(warm.mcp, warm.bare, 1.2)}) |`,
    `| bare \`cron.run\` on a connected @clawlink/client | ${warm.bare.n} | ${ms(warm.bare, 1)} | |`,
    `| warm \`run_cron_job\` by id without wait (answers once the gateway accepted the run) | ${warm.mcpNoWait.n} | ${ms(warm.mcpNoWait, 1)} | vs bare \`cron.run\`: ${x(warm.mcpNoWait, warm.bare)} |`,
    `| \`runJob({ wait: true })\` on a connected @clawlink/client (what the tool does, in-process) | ${warm.runJob.n} | ${ms(warm.runJob, 1)} | MCP vs this: ${x(warm.mcp, warm.runJob)} |`,
    ...own.map(
      (o) =>
        `| the same run without wait through the server vs bare, against the in-process fake gateway, ${o.pauseMs} ms apart: what the MCP hop costs | ${o.rounds} each | ${o.mcp.p50.toFixed(2)} vs ${o.bare.p50.toFixed(2)} ms | | +${(o.mcp.p50 - o.bare.p50).toFixed(2)} ms a call |`,
    ),
    `| idle server after the warm calls | | ${warm.memory?.rssMiB.toFixed(1)} MiB RSS | peak ${warm.memory?.hwmMiB.toFixed(1)} MiB | |`,
    ...proxy.rows,
    ...size.rows,
    '',
    ...NOTES,
    ...proxy.notes,
    ...size.notes,
  ].join('\n')
}

async function main() {
  const { values } = parseArgs({
    options: {
      cold: { type: 'string', default: '20' },
      calls: { type: 'string', default: '20' },
      clients: { type: 'string', default: '50' },
      hops: { type: 'string', default: '50' },
      version: { type: 'string', default: '2026.9.6' },
      // a gateway already started by `node packages/testkit/dist/harness/cli.js start-all --out FILE VERSION`
      'gateway-file': { type: 'string' },
    },
  })
  const loads = [loadAverage()]
  const size = await installedSize() // no gateway needed: first, while the machine is quieter
  const file = values['gateway-file']
  const gw = file
    ? JSON.parse(readFileSync(file, 'utf8')).find((g) => g.version === values.version)
    : await startGateway({ version: values.version })
  if (!gw) throw new Error(`${file} has no gateway ${values.version}: start one with the harness's start-all`)
  try {
    const name = `bench-mcp-${Date.now()}`
    const jobId = await addModelFreeJob(gw, name, 'bench')
    const bench = await benchHome(gw)
    const cold = await coldStarts(Number(values.cold), bench)
    process.stderr.write(`cold: ${JSON.stringify(cold)}\n`)
    const warm = await warmRuns(Number(values.calls), bench, gw, jobId)
    process.stderr.write(`warm: ${JSON.stringify(warm)}\n`)
    const proxy = await proxyBench(gw, { clients: Number(values.clients), hops: Number(values.hops) })
    loads.push(loadAverage())
    const own = [await ownCost(200, 5), await ownCost(20, 1000)]
    const body = report(values, { cold, warm, own, proxy, size, loads })
    process.stdout.write(`${body}\n`)
    writeSection('MCP', body)
  } finally {
    if (!file) await stopGateway(gw) // one of start-all's is stopped by its stop-all
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
