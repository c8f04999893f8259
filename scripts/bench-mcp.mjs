#!/usr/bin/env node
// Benchmark (not a test): clawlink-mcp against a real gateway — cold start to first tool result, warm
// run_cron_job (no wait) p50/p99 over 20 calls spaced to stay under 30 cron.run per minute, idle RSS.
// Writes the "MCP" section of BENCHMARKS.md. Usage: node scripts/bench-mcp.mjs [--calls 20] [--version 2026.9.6]
import { readFileSync } from 'node:fs'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Client } from '../apps/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js'
import { StdioClientTransport } from '../apps/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js'
import { addModelFreeJob, startGateway, stopGateway } from '../packages/testkit/dist/harness/index.js'
import { gitRev, machine, root, sleep, summarise, writeSection } from './bench-lib.mjs'

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '20' }, version: { type: 'string', default: '2026.9.6' } },
})
const calls = Number(values.calls)
const gw = await startGateway({ version: values.version })
try {
  const name = `bench-mcp-${Date.now()}`
  await addModelFreeJob(gw, name, 'bench')
  const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-mcp-'))
  writeFileSync(join(work, 'token'), gw.token, { mode: 0o600 })
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    CLAWLINK_HOME: join(work, 'clawlink'),
    OPENCLAW_STATE_DIR: join(work, 'oc'),
  }
  const args = [
    join(root, 'apps/mcp/dist/clawlink-mcp.mjs'),
    '--url',
    gw.url,
    '--token-file',
    join(work, 'token'),
  ]

  // Cold: spawn → initialize → first tool result (pairs the fresh device on this first call).
  const coldStart = process.hrtime.bigint()
  const transport = new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe' })
  const client = new Client({ name: 'bench', version: '0' })
  await client.connect(transport)
  const first = await client.callTool({ name: 'list_cron_jobs', arguments: {} })
  const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6
  if (first.isError) throw new Error(JSON.stringify(first.content))
  const pid = transport.pid

  const warm = []
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint()
    const r = await client.callTool({ name: 'run_cron_job', arguments: { job: name } })
    warm.push(Number(process.hrtime.bigint() - t) / 1e6)
    if (r.isError) throw new Error(JSON.stringify(r.content))
    await sleep(2100) // 9.x allows 30 cron.run per minute per device (PROTOCOL.md §7.5)
  }
  await sleep(3000)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024
  await client.close()

  const w = summarise(warm)
  const body = [
    `clawlink-mcp over stdio (the SDK's own Client spawning the built server), one persistent gateway session, against a`,
    `real OpenClaw ${values.version} gateway on loopback. Run ${new Date().toISOString()} on ${machine()}, commit ${gitRev()}.`,
    `Produced by \`node scripts/bench-mcp.mjs --calls ${calls}\`.`,
    '',
    '| Measure | Value |',
    '|---|---|',
    `| cold start → first tool result (spawn, initialize, connect + pair, list_cron_jobs) | ${coldMs.toFixed(0)} ms |`,
    `| warm \`run_cron_job\` without wait (resolve name via cron.list + cron.run), p50 / p99 over ${w.n} | ${w.p50.toFixed(1)} / ${w.p99.toFixed(1)} ms (min ${w.min.toFixed(1)}, max ${w.max.toFixed(1)}) |`,
    `| idle RSS after the calls (VmRSS) | ${rss.toFixed(1)} MiB (peak VmHWM ${hwm.toFixed(1)} MiB) |`,
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('MCP', body)
} finally {
  await stopGateway(gw)
}
