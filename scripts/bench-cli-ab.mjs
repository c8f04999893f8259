#!/usr/bin/env node
// Benchmark (not a test): the CLI of this checkout against the CLI of an earlier commit, on the same real gateway,
// interleaved round by round so both see the same machine load — the "no start-up regression" check. Builds the
// earlier commit's CLI in a throw-away git worktree. Writes the "CLI against an earlier commit" section of
// BENCHMARKS.md. Usage: node scripts/bench-cli-ab.mjs [--base b31d37f] [--rounds 40] [--version 2026.9.6]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { addModelFreeJob, startGateway, stopGateway } from '../packages/testkit/dist/harness/index.js'
import {
  buildCliAt,
  gitRev,
  machine,
  medianRatio,
  root,
  sleep,
  summarise,
  timed,
  writeSection,
} from './bench-lib.mjs'

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'b31d37f' },
    rounds: { type: 'string', default: '40' },
    version: { type: 'string', default: '2026.9.6' },
  },
})
const rounds = Number(values.rounds)
const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-ab-'))
const baseRev = execFileSync('git', ['rev-parse', '--short', values.base], { cwd: root }).toString().trim()
const base = buildCliAt(baseRev, work)
let gw
try {
  gw = await startGateway({ version: values.version })
  const name = `bench-ab-${Date.now()}`
  await addModelFreeJob(gw, name, 'bench')
  const tokenFile = join(work, 'token')
  writeFileSync(tokenFile, gw.token, { mode: 0o600 })
  const cli = (label, bin) => {
    const env = { ...process.env, CLAWLINK_HOME: join(work, label), OPENCLAW_STATE_DIR: join(work, 'none') }
    const run = (...words) =>
      timed(process.execPath, [bin, ...words, '--url', gw.url, '--token-file', tokenFile], { env })
    return {
      label,
      list: () => run('cron', 'list'),
      cronRun: () => run('cron', 'run', name),
      lists: [],
      runs: [],
    }
  }
  const before = cli('base', base.bin)
  const now = cli('now', join(root, 'apps/cli/dist/clawlink.cjs'))
  for (const c of [before, now]) c.list() // pairs each profile's device once: not measured
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first; cron.run is limited to 30 per minute per device on 9.x (docs/protocol.md §7.5).
    const pair = i % 2 === 0 ? [before, now] : [now, before]
    for (const c of pair) c.lists.push(c.list())
    for (const c of pair) {
      c.runs.push(c.cronRun())
      await sleep(1100)
    }
    if ((i + 1) % 10 === 0) process.stderr.write(`round ${i + 1}/${rounds}\n`)
  }
  const row = (what, c, xs) => {
    const w = summarise(xs.map((x) => x.wallMs))
    const m = summarise(xs.map((x) => x.rssMiB))
    return `| \`clawlink ${what}\` | ${c.label === 'base' ? baseRev : 'this commit'} | ${w.n} | ${w.p50.toFixed(0)} | ${w.min.toFixed(0)}–${w.max.toFixed(0)} | ${m.p50.toFixed(1)} |`
  }
  const body = [
    `The CLI of this checkout against the CLI of commit ${baseRev} (built in a throw-away worktree), same real OpenClaw`,
    `${values.version} gateway on loopback, each with its own paired profile, alternating within every round. Wall time from`,
    `spawn to exit; peak RSS from GNU time. Run ${new Date().toISOString()} on ${machine()}, commit ${gitRev()}.`,
    `Produced by \`node scripts/bench-cli-ab.mjs --base ${baseRev} --rounds ${rounds}\`.`,
    '',
    '| Command | CLI of | n | wall p50 (ms) | wall min–max (ms) | peak RSS p50 (MiB) |',
    '|---|---|---|---|---|---|',
    row('cron list', before, before.lists),
    row('cron list', now, now.lists),
    row('cron run <name>', before, before.runs),
    row('cron run <name>', now, now.runs),
    '',
    `This commit / ${baseRev}: \`cron list\` ${medianRatio(now.lists, before.lists)} ×, \`cron run\` ${medianRatio(now.runs, before.runs)} ×.`,
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('CLI against an earlier commit', body)
} finally {
  if (gw) await stopGateway(gw)
  base.remove()
  rmSync(work, { recursive: true, force: true })
}
