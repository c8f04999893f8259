#!/usr/bin/env node
// Benchmark (not a test): what `clawlink cron check --since 30d` over 500 jobs with 30 days of run history meets on
// a REAL 2026.9.6 gateway (its scheduler off: `cron.enabled: false`, so nothing fires meanwhile). The jobs are
// added through the gateway (`cron.add`); their creation time and 30 days of finished runs are then written into
// the gateway's own SQLite store (tables `cron_jobs` and `task_runs`, where 9.6 keeps jobs and the runs
// `cron.runs` pages through) with the sqlite3 program while the gateway is stopped, and the gateway is started
// again on the same state. Same history as scripts/bench-check.mjs: 100 hourly jobs (60 expressions) with every
// 7th fire missing, 400 daily ones, every 10th job in Europe/Berlin. Measures single `cron.runs` pages (all jobs
// at three offsets, one hourly and one daily job: each a fresh connection), then `cron check` itself within
// --budget. Writes the "Missed fires (real 2026.9.6)" section.
// Needs sqlite3 on PATH. Usage: node scripts/bench-check-real.mjs [--budget 120s]
import { execFile, execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createEphemeralSigner,
  gatewayRpc,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { benchHome, checkBenchJobs, gitRev, machine, root, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({ options: { budget: { type: 'string', default: '120s' } } })
const NO_CRON = { cron: { enabled: false } }

/** cron.add in batches of 25, each batch a new device (9.x: 30 writes a minute per caller). Returns name → id. */
async function addJobs(gw, jobs) {
  const ids = new Map()
  for (let i = 0; i < jobs.length; i += 25) {
    const calls = jobs.slice(i, i + 25).map((j) => ({
      method: 'cron.add',
      params: {
        name: j.name,
        schedule: j.schedule,
        sessionTarget: 'main',
        wakeMode: 'now',
        payload: { kind: 'systemEvent', text: j.name },
      },
    }))
    const r = await gatewayRpc(
      { url: gw.url, token: gw.token, signer: createEphemeralSigner(), timeoutMs: 60_000 },
      calls,
    )
    r.results.forEach((res, k) => {
      ids.set(jobs[i + k].name, res.id ?? res.job?.id)
    })
  }
  return ids
}

const q = (s) => `'${String(s).replaceAll("'", "''")}'`

/** SQL that backdates each job's creation and inserts its finished runs the way 9.6 records them. */
function seedSql(gw, jobs, ids) {
  const storeKey = join(gw.dir, 'state', 'cron', 'jobs.json')
  const lines = ['BEGIN;']
  for (const j of jobs) {
    const id = ids.get(j.name)
    lines.push(
      `UPDATE cron_jobs SET job_json = json_set(job_json, '$.createdAtMs', ${j.createdAtMs}) WHERE job_id = ${q(id)};`,
    )
    j.runs.forEach((t, k) => {
      const runId = `seed:${id}:${t}`
      const detail = JSON.stringify({
        kind: 'cron-run',
        status: 'ok',
        completionStatus: 'succeeded',
        error: null,
        summary: 'seeded',
        storeKey,
        delivered: false,
        deliveryStatus: 'not-requested',
        runId,
        runAtMs: t,
        durationMs: 800,
      })
      lines.push(
        `INSERT INTO task_runs (task_id, runtime, task_kind, source_id, requester_session_key, owner_key, scope_kind, agent_id, run_id, label, task, status, delivery_status, notify_policy, created_at, started_at, ended_at, last_event_at, cleanup_after, progress_summary, terminal_summary, detail_json) VALUES (${q(`seed-${id}-${k}`)}, 'cron', 'automation_run', ${q(id)}, '', '', 'system', 'main', ${q(`cron:${id}:${t}:seed-${k}:${runId}`)}, ${q(j.name)}, ${q(j.name)}, 'succeeded', 'not_applicable', 'silent', ${t}, ${t}, ${t + 800}, ${t + 800}, NULL, 'Running automation.', 'seeded', ${q(detail)});`,
      )
    })
  }
  lines.push('COMMIT;')
  return lines.join('\n')
}

let gw = await startGateway({ version: '2026.9.6', config: NO_CRON })
try {
  const jobs = checkBenchJobs(Date.now())
  const ids = await addJobs(gw, jobs)
  const { dir, port, token } = gw
  await stopGateway(gw)
  execFileSync('sqlite3', [join(dir, 'state', 'state', 'openclaw.sqlite')], { input: seedSql(gw, jobs, ids) })
  gw = await startGateway({ version: '2026.9.6', config: NO_CRON, dir, port, token })
  const pages = []
  const page = async (label, params) => {
    const t0 = Date.now()
    const signer = createEphemeralSigner()
    const r = await gatewayRpc({ url: gw.url, token: gw.token, signer, timeoutMs: 600_000 }, [
      { method: 'cron.runs', params: { limit: 200, sortDir: 'desc', ...params } },
    ])
    pages.push(`${label} ${Date.now() - t0} ms (${r.results[0].entries.length} of ${r.results[0].total})`)
  }
  const total = jobs.reduce((n, j) => n + j.runs.length, 0)
  for (const offset of [0, Math.floor(total / 2), total - 100])
    await page(`all jobs @${offset}:`, { scope: 'all', offset })
  await page('one hourly job @0:', { id: ids.get('bench-5'), offset: 0 })
  await page('one daily job @0:', { id: ids.get('bench-205'), offset: 0 })
  const home = await benchHome(gw)
  const bin = join(root, 'apps/cli/dist/clawlink.cjs')
  const t0 = process.hrtime.bigint()
  const res = await new Promise((resolve) =>
    execFile(
      process.execPath,
      [bin, 'cron', 'check', '--since', '30d', '--json', '--timeout', values.budget, ...home.conn],
      { env: home.env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ status: error ? error.code : 0, stdout, stderr }),
    ),
  )
  const wall = (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)
  const check = `\`cron check --since 30d --timeout ${values.budget}\`: exit ${res.status} after ${wall} ms${res.status === 11 ? ' (its deadline)' : ''}`
  const line = `| 500 jobs, ${total} runs in the store of a real 2026.9.6 | single \`cron.runs\` pages (limit 200): ${pages.join('; ')} | ${check} | ${res.status === 18 && Number(wall) <= 2000 ? 'yes' : 'no'} (target ≤ 2 s) |`
  process.stdout.write(`${line}\n`)
  writeSection(
    'Missed fires (real 2026.9.6)',
    `Run ${new Date().toISOString()} on ${machine()} at ${gitRev()}, load average ${loadavg()[0].toFixed(1)} (shared machine). Produced by \`node scripts/bench-check-real.mjs\`: a real 2026.9.6 (scheduler off) whose store holds the seeded history of \`scripts/bench-check.mjs\`.\n\n| History | Gateway | CLI | Met? |\n|---|---|---|---|\n${line}`,
  )
} finally {
  await stopGateway(gw)
}
