#!/usr/bin/env node
// Benchmark (not a test): `clawlink cron status` against the floor client (scripts/floor/floor-client.cjs: plain
// CommonJS, ws by require, node:crypto — the same signed connect and one request, nothing else) on the same real
// gateway, interleaved round by round, plus `node -e 0`, clawlink without its compile cache, and the official
// `openclaw cron status` (on its own Node). Writes the "Start-up against the floor client" section of BENCHMARKS.md. Usage: node scripts/bench-startup-floor.mjs [--rounds 30] [--version 2026.9.6]
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  ensureOpenClaw,
  gatewayEnv,
  startGateway,
  stopGateway,
} from '../packages/testkit/dist/harness/index.js'
import { gitRev, loadAverage, machine, root, summarise, timed, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '30' }, version: { type: 'string', default: '2026.9.6' } },
})
const rounds = Number(values.rounds)
const gw = await startGateway({ version: values.version })
const work = mkdtempSync(join(tmpdir(), 'clawlink-floor-'))
try {
  const tokenFile = join(work, 'token')
  writeFileSync(tokenFile, gw.token, { mode: 0o600 })
  const keyFile = join(work, 'floor.pem')
  const { privateKey } = generateKeyPairSync('ed25519')
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 })
  // The floor client requires ws the way a plain CommonJS program does: from a node_modules on NODE_PATH.
  const modules = dirname(dirname(createRequire(join(root, 'packages/client/package.json')).resolve('ws')))
  const env = { ...process.env, NODE_PATH: modules, CLAWLINK_HOME: join(work, 'clawlink') }
  const floorArgs = [join(root, 'scripts/floor/floor-client.cjs'), gw.url, tokenFile, keyFile, 'cron.status']
  const ourArgs = [
    join(root, 'apps/cli/dist/clawlink.cjs'),
    'cron',
    'status',
    '--url',
    gw.url,
    '--token-file',
    tokenFile,
  ]
  const uncached = { ...env, CLAWLINK_NO_COMPILE_CACHE: '1' }
  // The official CLI against its own gateway's config (token from the config file, never argv).
  const install = await ensureOpenClaw(gw.version)
  const official = gatewayEnv(install, gw.dir)
  const officialArgs = [install.openclaw, 'cron', 'status']
  const officialNode = execFileSync(install.node, ['--version'], { encoding: 'utf8' }).trim()
  // Warm up (the first clawlink connect pairs the device, caches its token and writes the compile cache; the
  // floor's pairs too; the official CLI fills its own compile cache).
  timed(process.execPath, floorArgs, { env })
  timed(process.execPath, ourArgs, { env })
  timed(install.node, officialArgs, { env: official, cwd: gw.dir })
  const t = { bare: [], floor: [], ours: [], uncached: [], official: [] }
  const loadBefore = loadAverage()
  for (let i = 0; i < rounds; i++) {
    t.bare.push(timed(process.execPath, ['-e', '0'], { env }).wallMs)
    t.floor.push(timed(process.execPath, floorArgs, { env }).wallMs)
    t.ours.push(timed(process.execPath, ourArgs, { env }).wallMs)
    t.uncached.push(timed(process.execPath, ourArgs, { env: uncached }).wallMs)
    t.official.push(timed(install.node, officialArgs, { env: official, cwd: gw.dir }).wallMs)
  }
  const s = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summarise(v)]))
  const ratio = s.ours.p50 / s.floor.p50
  const row = (name, x) => `| ${name} | ${x.n} | ${x.p50} | ${x.min}–${x.max} |`
  writeSection(
    'Start-up against the floor client',
    [
      '`clawlink cron status` (the bundled CLI: settings, profile, file signer, cached device token, one request) against',
      'the floor client `scripts/floor/floor-client.cjs` (plain CommonJS, `ws` by require, node:crypto Ed25519: the same',
      'signed connect and `cron.status`, nothing else) on the same real gateway on loopback, interleaved round by round.',
      `Run ${new Date().toISOString()} on ${machine()}, OpenClaw ${gw.version}, commit ${gitRev()}, ${loadBefore}.`,
      'Produced by `node scripts/bench-startup-floor.mjs`.',
      '',
      '| Command | n | wall p50 (ms) | wall min–max (ms) |',
      '|---|---|---|---|',
      row('`node -e 0`', s.bare),
      row('floor client (`cron.status`)', s.floor),
      row('`clawlink cron status`', s.ours),
      row('`clawlink cron status`, CLAWLINK_NO_COMPILE_CACHE=1', s.uncached),
      row(`\`openclaw cron status\` (official CLI, Node ${officialNode})`, s.official),
      '',
      `clawlink is **${ratio.toFixed(2)} ×** the floor client (target ≤ 1.10 ×); the floor is ${(s.floor.p50 / s.bare.p50).toFixed(2)} × \`node -e 0\`; without its compile cache clawlink is ${(s.uncached.p50 / s.floor.p50).toFixed(2)} ×; the official CLI is ${(s.official.p50 / s.ours.p50).toFixed(1)} × clawlink.`,
    ].join('\n'),
  )
  process.stdout.write(`${JSON.stringify({ ...s, ratio })}\n`)
} finally {
  await stopGateway(gw)
  rmSync(work, { recursive: true, force: true })
}
