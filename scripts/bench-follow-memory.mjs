#!/usr/bin/env node
// Benchmark (not a test): memory of `clawlink cron run --follow` over a long streamed agent run. The testkit's fake
// gateway (in this process) plays one run that writes text continuously (`--rate` deltas a second for `--minutes`);
// the CLI follows it with its stdout on a pipe this script reads and discards. The CLI's VmRSS is sampled from
// /proc every `--every` seconds. Writes the "Following a long run: memory" section of BENCHMARKS.md.
// Usage: node scripts/bench-follow-memory.mjs [--minutes 10] [--rate 50] [--every 10]
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startFakeGateway } from '../packages/testkit/dist/fake-gateway.js'
import { benchHome, gitRev, loadAverage, machine, procMemory, root, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    every: { type: 'string', default: '10' },
  },
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const everyMs = Number(values.every) * 1000
const count = Math.round(minutes * 60 * rate)
// Deltas of 30–50 characters with a newline now and then, as a model writes prose.
const chunks = Array.from({ length: count }, (_, i) => `word${i} `.repeat(4) + (i % 12 === 11 ? '\n' : ''))
const fake = await startFakeGateway({
  flavor: '9.6',
  jobs: [{ name: 'long-writer', agent: { steps: [{ kind: 'text', chunks, overMs: minutes * 60_000 }] } }],
})
const loadBefore = loadAverage()
try {
  const { env, conn } = await benchHome(fake)
  const bin = join(root, 'apps/cli/dist/clawlink.mjs')
  const timeout = `${Math.ceil(minutes * 2 + 2)}m`
  const started = Date.now()
  const child = spawn(
    process.execPath,
    [bin, 'cron', 'run', 'long-writer', '--follow', '--timeout', timeout, ...conn],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let outBytes = 0
  let stderr = ''
  child.stdout.on('data', (b) => (outBytes += b.length))
  child.stderr.on('data', (b) => (stderr += b))
  const samples = [] // { s, rssMiB }
  const sample = () => {
    const m = procMemory(child.pid)
    if (m) samples.push({ s: (Date.now() - started) / 1000, rssMiB: m.rssMiB, hwmMiB: m.hwmMiB })
    if (m) process.stderr.write(`${samples.at(-1).s.toFixed(0)} s: VmRSS ${m.rssMiB.toFixed(1)} MiB\n`)
  }
  setTimeout(sample, 1000) // once connected
  const timer = setInterval(sample, everyMs)
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)))
  clearInterval(timer)
  const tookS = (Date.now() - started) / 1000
  if (code !== 0) throw new Error(`cron run --follow exited ${code}: ${stderr.slice(-500)}`)
  const loadAfter = loadAverage()
  const rss = samples.map((x) => x.rssMiB)
  // Least-squares slope over the samples after the first minute (start-up and JIT warm-up excluded).
  const steady = samples.filter((x) => x.s >= 60)
  const slope = slopePerMinute(steady.length >= 2 ? steady : samples)
  const body = [
    `\`clawlink cron run <job> --follow\` (no TTY: stdout a pipe read and discarded, no status line) against the`,
    `testkit's fake gateway (9.6 flavour) playing one agent run that writes ${rate} text deltas a second (30–50`,
    `characters each, a newline every 12th) for ${minutes} min: ${count} deltas, ${(outBytes / 2 ** 20).toFixed(2)} MiB of text on stdout.`,
    `The CLI's VmRSS read from /proc/<pid>/status every ${everyMs / 1000} s. Run ${new Date(started).toISOString()} on ${machine()},`,
    `commit ${gitRev()}; ${loadBefore} before, ${loadAfter} after. Produced by`,
    `\`node scripts/bench-follow-memory.mjs --minutes ${minutes} --rate ${rate}\` (the run took ${tookS.toFixed(0)} s: the fake's`,
    `timers drift on a loaded machine).`,
    '',
    '| Samples | first (MiB) | last (MiB) | min (MiB) | max (MiB) | peak VmHWM (MiB) | slope after the first minute |',
    '|---|---|---|---|---|---|---|',
    `| ${samples.length} | ${rss[0].toFixed(1)} | ${rss.at(-1).toFixed(1)} | ${Math.min(...rss).toFixed(1)} | ${Math.max(...rss).toFixed(1)} | ${samples.at(-1).hwmMiB.toFixed(1)} | ${slope >= 0 ? '+' : ''}${(slope * 1024).toFixed(0)} KiB/min |`,
    '',
    `Every sample (s: MiB): ${samples.map((x) => `${x.s.toFixed(0)}: ${x.rssMiB.toFixed(1)}`).join(', ')}.`,
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('Following a long run: memory', body)
} finally {
  await fake.close()
}

/** Least-squares slope of VmRSS in MiB per minute. */
function slopePerMinute(points) {
  const n = points.length
  const mx = points.reduce((a, p) => a + p.s, 0) / n
  const my = points.reduce((a, p) => a + p.rssMiB, 0) / n
  const num = points.reduce((a, p) => a + (p.s - mx) * (p.rssMiB - my), 0)
  const den = points.reduce((a, p) => a + (p.s - mx) ** 2, 0) || 1
  return (num / den) * 60
}
