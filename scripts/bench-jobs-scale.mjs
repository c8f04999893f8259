#!/usr/bin/env node
// Benchmark (not a test): does `clawlink cron run` slow down when a gateway has many jobs? Two real gateways of the
// same version, one with a handful of jobs and one with 2,000 more, measured interleaved in one run (so machine
// load drifts hit both alike): `cron run <name>` and `cron run <id>`. Writes the "Many jobs" section.
// Usage: node scripts/bench-jobs-scale.mjs [--runs 15] [--extra 2000] [--versions 2026.3.13,2026.9.6]
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  addModelFreeJob,
  createEphemeralSigner,
  gatewayRpc,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { createGatewayClient } from '../packages/client/dist/index.js'
import { gitRev, machine, root, sleep, summarise, timed, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    extra: { type: 'string', default: '2000' },
    versions: { type: 'string', default: '2026.3.13,2026.9.6' },
  },
})
const runs = Number(values.runs)
const extra = Number(values.extra)

/** Adds `count` model-free jobs; 9.x limits cron.add to 30 a minute per device, so each batch signs as a new one. */
async function addJobs(gw, count) {
  const batch = 25
  for (let done = 0; done < count; done += batch) {
    const calls = Array.from({ length: Math.min(batch, count - done) }, (_, i) => ({
      method: 'cron.add',
      params: {
        name: `filler-${done + i}`,
        schedule: { kind: 'every', everyMs: 86_400_000 },
        sessionTarget: 'main',
        wakeMode: 'next-heartbeat',
        payload: { kind: 'systemEvent', text: `filler ${done + i}` },
      },
    }))
    await gatewayRpc(
      { url: gw.url, token: gw.token, signer: createEphemeralSigner(), timeoutMs: 60_000 },
      calls,
    )
    if (done % 500 === 0) process.stderr.write(`  ${gw.version}: ${done}/${count} extra jobs\n`)
  }
}

async function measure(version) {
  const [small, big] = await Promise.all([startGateway({ version }), startGateway({ version })])
  try {
    const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-scale-'))
    const setups = []
    for (const gw of [small, big]) {
      const id = await addModelFreeJob(gw, 'scale-target', 'scale')
      const tokenFile = join(work, `token-${gw.port}`)
      writeFileSync(tokenFile, gw.token, { mode: 0o600 })
      const env = {
        ...process.env,
        CLAWLINK_HOME: join(work, `profile-${gw.port}`),
        OPENCLAW_STATE_DIR: join(work, 'none'),
      }
      const base = [join(root, 'apps/cli/dist/clawlink.cjs'), 'cron', 'run']
      const conn = ['--url', gw.url, '--token-file', tokenFile]
      setups.push({ gw, id, env, byName: [...base, 'scale-target', ...conn], byId: [...base, id, ...conn] })
    }
    await addJobs(big, extra)
    for (const s of setups) timed(process.execPath, s.byName, { env: s.env }) // pairs the device: not measured
    const samples = { small: { name: [], id: [] }, big: { name: [], id: [] } }
    for (let i = 0; i < runs; i++) {
      for (const [label, s] of [
        ['small', setups[0]],
        ['big', setups[1]],
      ]) {
        samples[label].name.push(timed(process.execPath, s.byName, { env: s.env }).wallMs)
        await sleep(300) // let the run finish: a second cron.run would answer already-running
        samples[label].id.push(timed(process.execPath, s.byId, { env: s.env }).wallMs)
        await sleep(300)
      }
      await sleep(2500) // cron.run is limited to 30 a minute per device on 9.x
      process.stderr.write(`${version}: round ${i + 1}/${runs}\n`)
    }
    // The gateway's own share: the same two requests on a session of our own, without any CLI around them.
    const bare = {}
    for (const [label, s] of [
      ['small', setups[0]],
      ['big', setups[1]],
    ]) {
      const c = createGatewayClient({ url: s.gw.url, token: s.gw.token, signer: createEphemeralSigner() })
      await c.connect()
      const list = []
      const run = []
      for (let i = 0; i < runs; i++) {
        let t = process.hrtime.bigint()
        await c.request('cron.list', { query: 'scale-target', limit: 200, includeDisabled: true })
        list.push(Number(process.hrtime.bigint() - t) / 1e6)
        t = process.hrtime.bigint()
        await c.request('cron.run', { id: s.id, mode: 'force' })
        run.push(Number(process.hrtime.bigint() - t) / 1e6)
        await sleep(2100) // 30 cron.run a minute per device on 9.x; and let the run finish
      }
      await c.close()
      bare[label] = { list, run }
    }
    return { version, samples, bare }
  } finally {
    await Promise.all([stopGateway(small), stopGateway(big)])
  }
}

const results = []
for (const version of values.versions.split(',')) results.push(await measure(version))
const rows = []
const row = (version, what, small, big, digits) => {
  const a = summarise(small)
  const b = summarise(big)
  return `| ${version} | ${what} | ${a.p50.toFixed(digits)} | ${b.p50.toFixed(digits)} | ${(b.p50 / a.p50).toFixed(2)} × |`
}
for (const { version, samples, bare } of results) {
  for (const how of ['name', 'id'])
    rows.push(row(version, `\`clawlink cron run\` by ${how}`, samples.small[how], samples.big[how], 0))
  rows.push(row(version, 'bare `cron.list` with `query`', bare.small.list, bare.big.list, 1))
  rows.push(row(version, 'bare `cron.run` by id', bare.small.run, bare.big.run, 1))
}
const body = [
  `\`clawlink cron run <job>\` against two real gateways of the same version, one with a handful of jobs and one`,
  `with ${extra} more, interleaved in one run (${runs} rounds; wall time from spawn to exit, p50 in ms). A name costs one`,
  `\`cron.list\` filtered by the gateway's own \`query\`; an id goes straight to \`cron.run\` (plus \`cron.get\` on 9.x, in`,
  `parallel, to show the name). Target: each within 1.10 × (before: 1.37 × by name and 1.38 × by id on 2026.3.13).`,
  `Run ${new Date().toISOString()} on ${machine()}, commit ${gitRev()}. Produced by \`node scripts/bench-jobs-scale.mjs --runs ${runs} --extra ${extra}\`.`,
  '',
  `The bare rows time the same requests on an in-process session: what the gateway itself takes, which no client`,
  `can shave off.`,
  '',
  `| Gateway | What | few jobs (p50 ms) | +${extra} jobs (p50 ms) | ratio |`,
  '|---|---|---|---|---|',
  ...rows,
].join('\n')
process.stdout.write(`${body}\n`)
writeSection('Many jobs', body)
