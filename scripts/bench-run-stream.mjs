#!/usr/bin/env node
// Benchmark (not a test): how long a gateway event of a streamed agent run takes to reach the user. The testkit's
// fake gateway runs in this process and plays a run of text deltas and tool calls, each carrying a marker `[#n]`;
// a hook on its outgoing frames notes the time each marked event is handed to the socket. Then
//  - CLI: `clawlink cron run <job> --follow` as a child, stdout and stderr on pipes: the time the marker appears
//    there (text on stdout, tool lines on stderr);
//  - MCP: clawlink-mcp spawned by the official SDK client (`run_cron_job` with wait): the time the client's
//    onprogress fires with the marker (tool steps) or with a character count covering the delta (text).
// Both clocks are this process's performance.now(). Writes the "Run stream latency" section of BENCHMARKS.md.
// Usage: node scripts/bench-run-stream.mjs [--steps 200] [--gap 20]
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Client } from '../apps/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js'
import { StdioClientTransport } from '../apps/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js'
import { startFakeGateway } from '../packages/testkit/dist/fake-gateway.js'
import { benchHome, gitRev, loadAverage, machine, quantile, root, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '200' }, gap: { type: 'string', default: '20' } },
})
const rounds = Number(values.steps)
const gap = Number(values.gap)
const MARK = /\[#(\d+)\]/g

// Each round: a text delta, then a tool call (start, 10 ms, end), `gap` ms apart.
const steps = []
const deltas = [] // text of delta n (for the character counts MCP reports)
for (let i = 0; i < rounds; i++) {
  const text = `Line [#${i}] of the agent's answer.\n`
  deltas.push(text)
  steps.push({ kind: 'text', chunks: [text], afterMs: gap })
  steps.push({ kind: 'tool', name: `tool[#${i}]`, durationMs: 10, afterMs: gap })
}

/** When each marked event left the fake: `text:n`, `start:n`, `end:n` → ms. */
let sent = new Map()
const rewriteOut = (frame) => {
  if (frame.type === 'event' && frame.event === 'agent') {
    const { stream, data } = frame.payload
    const key =
      stream === 'assistant'
        ? markerOf(data.delta, 'text')
        : stream === 'item'
          ? markerOf(data.name, data.phase)
          : undefined
    if (key && !sent.has(key)) sent.set(key, performance.now())
  }
  return frame
}
const markerOf = (text, prefix) => {
  const m = /\[#(\d+)\]/.exec(String(text ?? ''))
  return m ? `${prefix}:${m[1]}` : undefined
}

const fake = await startFakeGateway({
  flavor: '9.6',
  jobs: [{ name: 'streamer', agent: { setupMs: 50, steps } }],
  hooks: { rewriteOut },
})
const loadBefore = loadAverage()
const started = new Date().toISOString()
try {
  const home = await benchHome(fake)
  const cli = await followCli(home)
  const cliSent = sent
  sent = new Map()
  const mcp = await mcpProgress(home)
  const rows = [
    row('CLI `--follow`: text delta → stdout', latencies(cliSent, cli, 'text')),
    row('CLI `--follow`: tool start/end → stderr line', [
      ...latencies(cliSent, cli, 'start'),
      ...latencies(cliSent, cli, 'end'),
    ]),
    row('MCP: tool start/end → `onprogress`', [
      ...latencies(sent, mcp.seen, 'start'),
      ...latencies(sent, mcp.seen, 'end'),
    ]),
    row('MCP: text delta → `onprogress` with its character count', latencies(sent, mcp.seen, 'text')),
  ]
  const body = [
    `A gateway event of a streamed agent run, from the moment the testkit's fake gateway (9.6 flavour, in the`,
    `benchmark's process) hands it to the socket to the moment it shows: in the stdout/stderr pipe of`,
    `\`clawlink cron run <job> --follow\` (a child process, no TTY), or in the \`onprogress\` callback of the official`,
    `MCP SDK client (@modelcontextprotocol/sdk 1.32.2) calling \`run_cron_job\` with \`wait\` on clawlink-mcp over stdio.`,
    `One run each of ${rounds} rounds: a text delta, ${gap} ms, a tool call (start, 10 ms, end), ${gap} ms. Target: p99 ≤ 50 ms.`,
    `Run ${started} on ${machine()}, commit ${gitRev()}; ${loadBefore} before,`,
    `${loadAverage()} after. Produced by \`node scripts/bench-run-stream.mjs --steps ${rounds} --gap ${gap}\`.`,
    '',
    '| Path | n | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | p99 ≤ 50 ms? |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'The CLI writes each delta to stdout as it arrives (a pipe is written synchronously by Node on Linux; there is no',
    'buffer or throttle on the --follow path), so what is left is the WebSocket hop, parsing and the pipe; the tail',
    '(p99, max) is scheduling on this shared, loaded 2-core VM (the benchmark, holding the fake and the reader or SDK',
    'client, and the CLI or MCP server take turns with everything else). The MCP text row misses the target by',
    'design, not by delay: clawlink-mcp coalesces text deltas into at most one "N characters written" notification',
    'a second (`textEveryMs` in apps/mcp/src/progress.ts), so that an',
    "assistant's context is not flooded; a delta waits for the next of those (up to 1 s). Every other step (model",
    'call, tool start/end, retry) is one notification at once; the tool rows measure those. A delta "never shown"',
    'arrived in the run\'s last second: its count is superseded by the final "finished" line.',
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('Run stream latency', body)
} finally {
  await fake.close()
}

/** Runs `cron run --follow`; returns when each marker showed: `text:n` on stdout, `start:n`/`end:n` on stderr. */
async function followCli({ env, conn }) {
  const seen = new Map()
  const bin = join(root, 'apps/cli/dist/clawlink.cjs')
  const child = spawn(process.execPath, [bin, 'cron', 'run', 'streamer', '--follow', ...conn], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const watch = (stream, keyOf) => {
    let tail = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      const at = performance.now()
      const text = tail + chunk
      const lastNl = text.lastIndexOf('\n')
      // Markers are matched in whole lines (a marker may be split across chunks); text lines end with \n.
      const whole = lastNl === -1 ? '' : text.slice(0, lastNl + 1)
      tail = lastNl === -1 ? text : text.slice(lastNl + 1)
      for (const line of whole.split('\n'))
        for (const m of line.matchAll(MARK)) {
          const key = keyOf(line, m[1])
          if (key && !seen.has(key)) seen.set(key, at)
        }
    })
  }
  let stderr = ''
  child.stderr.on('data', (b) => (stderr += b))
  watch(child.stdout, (_line, n) => `text:${n}`)
  watch(child.stderr, (line, n) =>
    line.startsWith('→') ? `start:${n}` : line.startsWith('←') ? `end:${n}` : undefined,
  )
  const code = await new Promise((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`cron run --follow exited ${code}: ${stderr.slice(-500)}`)
  return seen
}

/** Runs `run_cron_job` with wait through the SDK client; returns when each marker (or character count) showed. */
async function mcpProgress({ env, conn }) {
  const seen = new Map()
  const ends = [] // cumulative characters after delta n
  let total = 0
  for (const d of deltas) {
    total += d.length
    ends.push(total)
  }
  let covered = 0 // deltas already reported by a character count
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(root, 'apps/mcp/dist/clawlink-mcp.cjs'), ...conn],
    env,
    stderr: 'pipe',
  })
  const client = new Client({ name: 'bench', version: '0' })
  await client.connect(transport)
  const onprogress = ({ message = '' }) => {
    const at = performance.now()
    const tool = /^tool tool\[#(\d+)\]( done| failed)?$/.exec(message)
    if (tool) seen.set(`${tool[2] ? 'end' : 'start'}:${tool[1]}`, at)
    const chars = /^([\d,]+) characters written$/.exec(message)
    if (chars) {
      const n = Number(chars[1].replaceAll(',', ''))
      while (covered < ends.length && ends[covered] <= n) seen.set(`text:${covered++}`, at)
    }
  }
  const r = await client.callTool(
    { name: 'run_cron_job', arguments: { job: 'streamer', wait: true, timeoutSeconds: 600 } },
    undefined,
    { onprogress, resetTimeoutOnProgress: true },
  )
  await client.close()
  if (r.isError) throw new Error(JSON.stringify(r.content))
  return { seen }
}

/** Latencies (ms) of the events of one kind: shown − sent; an event never shown counts as missing. */
function latencies(sentAt, seen, kind) {
  const out = []
  for (const [key, at] of sentAt) {
    if (!key.startsWith(`${kind}:`)) continue
    const shown = seen.get(key)
    out.push(shown === undefined ? Number.POSITIVE_INFINITY : shown - at)
  }
  return out
}

function row(label, xs) {
  const s = [...xs].sort((a, b) => a - b)
  const missing = s.filter((x) => x === Number.POSITIVE_INFINITY).length
  const f = (x) => (x === Number.POSITIVE_INFINITY ? 'never' : x.toFixed(1))
  const p99 = quantile(s, 0.99)
  const n = `${s.length}${missing ? ` (${missing} never shown)` : ''}`
  return `| ${label} | ${n} | ${f(quantile(s, 0.5))} | ${f(quantile(s, 0.95))} | ${f(p99)} | ${f(s.at(-1))} | ${p99 <= 50 ? 'yes' : 'no'} |`
}
