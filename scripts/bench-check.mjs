#!/usr/bin/env node
// Benchmark (not a test): `clawlink cron check --since 30d` over 500 jobs with 30 days of run history, on the fake
// 9.6 (fakeWithHistory in @clawlink/testkit serves cron.list and cron.runs from the seeded history). 100 jobs run
// hourly, 400 daily; every 7th hourly fire left no run. Prints the wall time, the cron.runs
// requests (one page-walk) and the fires judged; writes the "Missed fires" section of BENCHMARKS.md.
// Usage: node scripts/bench-check.mjs [--runs 5]
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { userHome } from '../packages/testkit/dist/harness/index.js'
import { fakeWithHistory } from '../packages/testkit/dist/index.js'
import { checkBenchJobs, gitRev, machine, root, summarise, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const jobs = checkBenchJobs(Date.now()).map((job, i) => ({ ...job, id: `job-${i}` }))

const { gw, calls } = await fakeWithHistory(jobs)
const { env, tokenFile } = userHome(mkdtempSync(join(tmpdir(), 'bench-check-')), gw.token ?? 'none')
const bin = join(root, 'apps/cli/dist/clawlink.cjs')
const walls = []
let last
try {
  for (let r = 0; r < Number(values.runs); r++) {
    calls.length = 0
    const t0 = process.hrtime.bigint()
    // Asynchronously: the fake answers from this process's event loop.
    const res = await new Promise((resolve) =>
      execFile(
        process.execPath,
        [bin, 'cron', 'check', '--since', '30d', '--json', '--url', gw.url, '--token-file', tokenFile],
        { env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ status: error ? error.code : 0, stdout, stderr }),
      ),
    )
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (res.status !== 18)
      throw new Error(
        `cron check exited ${res.status}: ${res.stderr.slice(-400)} ${res.stdout.slice(0, 600)}`,
      )
    const doc = JSON.parse(res.stdout)
    const fires = doc.jobs.reduce((n, j) => n + j.fires.length, 0)
    last = {
      runsRead: doc.runsRead,
      requests: calls.filter((c) => c.method === 'cron.runs').length,
      fires,
      missed: doc.missed,
    }
  }
} finally {
  await gw.close()
}
const s = summarise(walls)
const line = `| \`cron check --since 30d\`, 500 jobs, ${last.runsRead} runs in history (fake 9.6) | ${s.p50} ms p50 (min ${s.min}, max ${s.max}, n ${s.n}); ${last.requests} \`cron.runs\` pages in one walk; ${last.fires} fires judged, ${last.missed} missed | ${s.p50 <= 2000 ? 'yes' : 'no'} (target ≤ 2 s) |`
process.stdout.write(`${line}\n`)
writeSection(
  'Missed fires',
  `Run ${new Date().toISOString()} on ${machine()} at ${gitRev()}, load average ${loadavg()[0].toFixed(1)} (shared machine). Produced by \`scripts/bench-check.mjs\`: the built CLI against the fake 9.6 serving a seeded history (100 hourly jobs (60 expressions) with every 7th fire missing, 400 daily ones (24 expressions), every 10th job in Europe/Berlin), wall time of the whole process.\n\n| Case | Measured | Met? |\n|---|---|---|\n${line}`,
)
