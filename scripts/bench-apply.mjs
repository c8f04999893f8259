#!/usr/bin/env node
// Benchmark (not a test): `clawlink cron apply -f FILE --dry-run` of a 500-job file against a real 2026.9.6 gateway
// holding 450 of them (400 unchanged, 50 with a changed schedule; 50 new in the file). Target: ≤ 1 s plus one
// listing of the jobs — measured as the wall time of the dry run minus that of `clawlink cron list --all --json`
// on the same gateway (same process start, connect and listing), interleaved. Checks that the dry run wrote
// nothing (the listing before and after). Writes the "Jobs as code" section of BENCHMARKS.md.
// Usage: node scripts/bench-apply.mjs [--runs 5] [--gateways FILE (a harness start-all list: its 2026.9.6 is used)]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createEphemeralSigner,
  gatewayRpc,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { benchHome, gitRev, machine, root, summarise, timed, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, gateways: { type: 'string' } },
})
const runs = Number(values.runs)
const TOTAL = 500
const ON_GATEWAY = 450
const prefix = 'apply-bench-'

const job = (i, expr) => ({
  name: `${prefix}${i}`,
  enabled: false,
  schedule: { kind: 'cron', expr, tz: 'Europe/Berlin' },
  sessionTarget: 'main',
  wakeMode: 'now',
  payload: { kind: 'systemEvent', text: `job ${i}` },
})

/** 9.x limits cron writes to 30 a minute per device: each batch of 25 signs as a new one. */
async function seed(gw) {
  for (let i = 0; i < ON_GATEWAY; i += 25) {
    const calls = Array.from({ length: Math.min(25, ON_GATEWAY - i) }, (_, k) => ({
      method: 'cron.add',
      params: job(i + k, `${(i + k) % 60} 4 * * *`),
    }))
    await gatewayRpc(
      { url: gw.url, token: gw.token, signer: createEphemeralSigner(), timeoutMs: 60_000 },
      calls,
    )
  }
}

function fileText() {
  const jobs = Array.from({ length: TOTAL }, (_, i) =>
    // 400 as on the gateway, 50 with another hour, 50 new.
    job(i, i >= 400 && i < 450 ? `${i % 60} 5 * * *` : `${i % 60} 4 * * *`),
  )
  return `${JSON.stringify({ jobs }, null, 1)}\n`
}

const listed = values.gateways
  ? JSON.parse(readFileSync(values.gateways, 'utf8')).find((g) => g.version === '2026.9.6' && !g.clockOffset)
  : undefined
const gw = listed ?? (await startGateway({ version: '2026.9.6' }))
try {
  const home = await benchHome(gw)
  const file = join(mkdtempSync(join(tmpdir(), 'bench-apply-')), 'jobs.json')
  writeFileSync(file, fileText())
  const bin = join(root, 'apps/cli/dist/clawlink.cjs')
  const conn = home.conn
  const opts = { env: home.env, maxBuffer: 64 * 1024 * 1024 }
  const list = () => timed(process.execPath, [bin, 'cron', 'list', '--all', '--json', ...conn], opts)
  const dry = () =>
    timed(process.execPath, [bin, 'cron', 'apply', '-f', file, '--dry-run', '--json', ...conn], opts)
  const ours = (doc) => doc.jobs.filter((j) => j.name.startsWith(prefix)).length
  if (ours(JSON.parse(list().stdout)) === 0) await seed(gw) // a gateway seeded by an earlier run is reused
  const before = JSON.parse(list().stdout)
  const dryMs = []
  const listMs = []
  let plan
  for (let r = 0; r < runs; r++) {
    const d = dry()
    dryMs.push(d.wallMs)
    plan = JSON.parse(d.stdout)
    listMs.push(list().wallMs)
  }
  const after = JSON.parse(list().stdout)
  if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error('the dry run changed the gateway')
  const count = (a) => plan.plan.filter((s) => s.action === a).length
  const d = summarise(dryMs)
  const l = summarise(listMs)
  const line = `| \`cron apply -f jobs.json --dry-run --json\`, ${TOTAL} jobs (${count('unchanged')} unchanged, ${count('update')} updates, ${count('create')} creates) on real 2026.9.6 with ${before.jobs.length} jobs | ${d.p50} ms p50 (min ${d.min}, max ${d.max}, n ${d.n}) | ${l.p50} ms p50 (min ${l.min}, max ${l.max}) | ${(d.p50 - l.p50).toFixed(0)} ms | ${d.p50 - l.p50 <= 1000 ? 'yes' : 'no'} (target ≤ 1 s) |`
  process.stdout.write(`${line}\n`)
  writeSection(
    'Jobs as code',
    `Run ${new Date().toISOString()} on ${machine()} at ${gitRev()}, load average ${loadavg()[0].toFixed(1)} (shared machine). Produced by \`node scripts/bench-apply.mjs --runs ${runs}\`: the built CLI, wall time of the whole process, the dry run and the listing interleaved; the gateway's jobs compared before and after (unchanged).\n\n| Case | Dry run | \`cron list --all --json\` (one listing) | Dry run − listing | Met? |\n|---|---|---|---|---|\n${line}`,
  )
} finally {
  if (!listed) await stopGateway(gw)
}
