#!/usr/bin/env node
// Benchmark (not a test): `clawlink cron status` against the floor client (scripts/floor/floor-client.cjs: plain
// CommonJS, ws by require, node:crypto — the same signed connect and one request, nothing else) on the same real
// gateway, interleaved round by round, plus `node -e 0`. Writes the "Start-up against the floor client" section
// of BENCHMARKS.md. Usage: node scripts/bench-startup-floor.mjs [--rounds 30] [--version 2026.9.6]
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startGateway, stopGateway } from '../packages/testkit/dist/harness/index.js'
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
  // Warm up both (the first clawlink connect pairs the device and caches its token; the floor's pairs too).
  timed(process.execPath, floorArgs, { env })
  timed(process.execPath, ourArgs, { env })
  const floor = []
  const ours = []
  const bare = []
  const loadBefore = loadAverage()
  for (let i = 0; i < rounds; i++) {
    bare.push(timed(process.execPath, ['-e', '0'], { env }).wallMs)
    floor.push(timed(process.execPath, floorArgs, { env }).wallMs)
    ours.push(timed(process.execPath, ourArgs, { env }).wallMs)
  }
  const s = { bare: summarise(bare), floor: summarise(floor), ours: summarise(ours) }
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
      '',
      `clawlink is **${ratio.toFixed(2)} ×** the floor client (target ≤ 1.10 ×); the floor is ${(s.floor.p50 / s.bare.p50).toFixed(2)} × \`node -e 0\`.`,
    ].join('\n'),
  )
  process.stdout.write(`${JSON.stringify({ ...s, ratio })}\n`)
} finally {
  await stopGateway(gw)
  rmSync(work, { recursive: true, force: true })
}
