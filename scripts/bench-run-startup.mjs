#!/usr/bin/env node
// Benchmark (not a test): `cron run` without --follow must start as fast as before the run-stream work. The CLI
// of this checkout against the CLI of an earlier commit (default 2f9f26e, the parent of the first run-stream
// commit), built in a throw-away worktree, both against the testkit's fake gateway in this process (5.7 flavour:
// no cron write limit), alternating within every round. Wall time from spawn to exit; CPU time (user + system)
// from GNU time.
// Writes the "Run start-up without --follow" section of BENCHMARKS.md.
// Usage: node scripts/bench-run-startup.mjs [--base 2f9f26e] [--rounds 40]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startFakeGateway } from '../packages/testkit/dist/fake-gateway.js'
import {
  benchHome,
  buildCliAt,
  gitRev,
  loadAverage,
  machine,
  medianRatio,
  root,
  summarise,
  timedAsync,
  writeSection,
} from './bench-lib.mjs'

const { values } = parseArgs({
  options: { base: { type: 'string', default: '2f9f26e' }, rounds: { type: 'string', default: '40' } },
})
const rounds = Number(values.rounds)
const baseRev = execFileSync('git', ['rev-parse', '--short', values.base], { cwd: root }).toString().trim()
const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-startup-'))
const base = buildCliAt(baseRev, work)
const fake = await startFakeGateway({ flavor: '5.7', jobs: [{ name: 'quick', runDurationMs: 20 }] })
try {
  const loadBefore = loadAverage()
  const started = new Date().toISOString()
  const cli = async (label, bin) => {
    const { env, conn } = await benchHome(fake) // a profile of its own (paired on the first call)
    const run = (...words) =>
      timedAsync(process.execPath, [bin, 'cron', 'run', 'quick', ...words, ...conn], { env })
    return { label, run, plain: [], wait: [] }
  }
  const before = await cli('base', base.bin)
  const now = await cli('now', join(root, 'apps/cli/dist/clawlink.cjs'))
  for (const c of [before, now, before, now]) await c.run() // pairing and a warm page cache: not measured
  for (let i = 0; i < rounds; i++) {
    const pair = i % 2 === 0 ? [before, now] : [now, before]
    for (const c of pair) c.plain.push(await c.run())
    for (const c of pair) c.wait.push(await c.run('--wait'))
    if ((i + 1) % 10 === 0) process.stderr.write(`round ${i + 1}/${rounds}\n`)
  }
  const row = (what, c, runs) => {
    const xs = runs.map((r) => r.wallMs)
    const s = summarise(xs)
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - s.mean) ** 2, 0) / (xs.length - 1 || 1))
    const cpu = summarise(runs.map((r) => r.cpuMs))
    return `| \`clawlink ${what}\` | ${c.label === 'base' ? baseRev : 'this commit'} | ${s.n} | ${s.p50.toFixed(0)} | ${s.mean.toFixed(0)} ± ${sd.toFixed(0)} | ${s.min.toFixed(0)}–${s.max.toFixed(0)} | ${cpu.p50.toFixed(0)} |`
  }
  const ratios = (a, b) => `${medianRatio(a, b)} × wall, ${medianRatio(a, b, 'cpuMs')} × CPU`
  const body = [
    `\`clawlink cron run <job>\` and \`cron run <job> --wait\` (no \`--follow\`) of this checkout against the CLI of commit`,
    `${baseRev} (before the run-stream work; built in a throw-away worktree), both against the testkit's fake gateway`,
    `(5.7 flavour, in the benchmark's process; the job's run takes 20 ms), each with its own paired profile, alternating`,
    `within every round. Wall time from spawn to exit; CPU time (user + system) from GNU time. Run ${started} on ${machine()}, commit ${gitRev()};`,
    `${loadBefore} before, ${loadAverage()} after. Produced by \`node scripts/bench-run-startup.mjs --base ${baseRev} --rounds ${rounds}\`.`,
    '',
    '| Command | CLI of | n | wall median (ms) | mean ± σ (ms) | min–max (ms) | CPU user+sys median (ms) |',
    '|---|---|---|---|---|---|---|',
    row('cron run <job>', before, before.plain),
    row('cron run <job>', now, now.plain),
    row('cron run <job> --wait', before, before.wait),
    row('cron run <job> --wait', now, now.wait),
    '',
    `This commit / ${baseRev} (medians): \`cron run\` ${ratios(now.plain, before.plain)}; \`cron run --wait\` ${ratios(now.wait, before.wait)}.`,
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('Run start-up without --follow', body)
} finally {
  await fake.close()
  base.remove()
  rmSync(work, { recursive: true, force: true })
}
