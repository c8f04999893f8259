// Parts 3 and 4 of scripts/bench-mcp.mjs (a benchmark, not a test): clawlink-mcp HTTP replicas behind nginx
// (concurrent 2026-07-28 clients, the proxy hop's latency), and the installed size of @clawlink/mcp from its pack.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGatewayClient } from '../packages/client/dist/index.js'
import { createEphemeralSigner, modelFreeJobParams } from '../packages/testkit/dist/harness/index.js'
import { startNginx } from '../packages/testkit/dist/nginx.js'
import { benchHome, root, sleep, summarise } from './bench-lib.mjs'

const MCP_BIN = join(root, 'apps/mcp/dist/clawlink-mcp.cjs')

/** One `clawlink-mcp --http` replica on a free loopback port with the shared bearer token and task key. */
async function startReplica(gw, shared, origin) {
  const bench = await benchHome(gw) // its own profile and device, as a separate host would have
  const args = [MCP_BIN, '--http', '127.0.0.1:0', '--http-token-file', shared.tokenFile]
  args.push('--task-secret-file', shared.secretFile, '--http-allow-origin', origin, ...bench.conn)
  const child = spawn(process.execPath, args, { env: bench.env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise((r) => child.once('exit', r))
  const deadline = Date.now() + 15_000
  for (;;) {
    const url = /ready on (http:\/\/\S+)/.exec(stderr)?.[1]
    const stop = () => {
      child.kill('SIGTERM')
      return exited
    }
    if (url) return { url, port: Number(new URL(url).port), stop }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`clawlink-mcp --http did not start: ${stderr.slice(-400)}`)
    }
    await sleep(20)
  }
}

/** One stateless 2026-07-28 request as a raw POST (headers and `_meta` envelope); the JSON-RPC answer. */
async function post(url, token, id, name, args) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: `bench-${id}`, version: '0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args, _meta: meta },
    }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`)
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text)
  const messages = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)))
  return messages.find((m) => m.id !== undefined)
}

/** A tools/call whose answer must be this request's (same JSON-RPC id) and a success; its structuredContent. */
async function callOwn(url, token, id, name, args) {
  const answer = await post(url, token, id, name, args)
  if (answer?.id !== id) throw new Error(`cross-talk: request ${id} got the answer of ${answer?.id}`)
  if (answer.error) throw new Error(`${name}: ${answer.error.message}`)
  if (answer.result?.isError) throw new Error(`${name}: ${answer.result.content?.[0]?.text}`)
  return answer.result.structuredContent
}

/**
 * `clients` concurrent clients through nginx, each with its own job: even ones run it (wait: true) and check the
 * run is of their job, odd ones list with their job's name as the query and check they got exactly that job.
 */
async function concurrentClients(front, token, jobs) {
  const started = process.hrtime.bigint()
  const one = async (job, i) => {
    const t = process.hrtime.bigint()
    if (i % 2 === 0) {
      const r = await callOwn(front, token, 1000 + i, 'run_cron_job', { job: job.name, wait: true })
      const ranId = r.job?.id
      if (ranId !== job.id || typeof r.runId !== 'string' || r.succeeded !== true)
        throw new Error(`client ${i} asked to run ${job.id} and got ${JSON.stringify(r)}`)
    } else {
      const r = await callOwn(front, token, 1000 + i, 'list_cron_jobs', { query: job.name })
      if (r.jobs.length !== 1 || r.jobs[0].id !== job.id)
        throw new Error(`client ${i} listed ${job.name} and got ${JSON.stringify(r.jobs)}`)
    }
    return { kind: i % 2 === 0 ? 'run' : 'list', ms: Number(process.hrtime.bigint() - t) / 1e6 }
  }
  const settled = await Promise.allSettled(jobs.map(one))
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  const failed = settled
    .filter((s) => s.status === 'rejected')
    .map((s) => String(s.reason?.message ?? s.reason))
  const done = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value)
  const of = (kind) => summarise(done.filter((d) => d.kind === kind).map((d) => d.ms))
  return { answered: done.length, failed, wallMs, run: of('run'), list: of('list') }
}

/** The same list_cron_jobs request direct to a replica and through nginx, alternating, `rounds` each. */
async function proxyHop(front, replicas, token, query, rounds) {
  const direct = []
  const via = []
  const timeOne = async (url, id) => {
    const t = process.hrtime.bigint()
    await callOwn(url, token, id, 'list_cron_jobs', { query })
    return Number(process.hrtime.bigint() - t) / 1e6
  }
  for (let i = 0; i < rounds; i++) {
    const target = replicas[i % replicas.length].url
    if (i % 2 === 0) direct.push(await timeOne(target, i))
    via.push(await timeOne(front, i))
    if (i % 2 === 1) direct.push(await timeOne(target, i))
  }
  const added = via.map((v, i) => v - direct[i]) // per pair: less disturbed by load swings than p50 − p50
  return { direct: summarise(direct), via: summarise(via), added: summarise(added) }
}

/** Part 3: two replicas behind nginx; `clients` concurrent clients; the hop's latency. Stops all it starts. */
export async function proxyBench(gw, { clients, hops }) {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-bench-proxy-'))
  const shared = { tokenFile: join(dir, 'http-token'), secretFile: join(dir, 'task-secret') }
  const token = randomBytes(24).toString('hex')
  writeFileSync(shared.tokenFile, `${token}\n`, { mode: 0o600 })
  writeFileSync(shared.secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  // 9.x allows 30 cron.add a minute per device: a new device (ephemeral key) every 25 jobs.
  const admins = []
  const started = []
  try {
    const jobs = []
    for (let i = 0; i < clients; i++) {
      if (i % 25 === 0)
        admins.push(createGatewayClient({ url: gw.url, token: gw.token, signer: createEphemeralSigner() }))
      const name = `bench-proxy-${i}-${randomBytes(3).toString('hex')}`
      const { id } = await admins.at(-1).request('cron.add', modelFreeJobParams(name, `client ${i}`))
      jobs.push({ name, id })
    }
    const { port } = await reservePort()
    const origin = `http://127.0.0.1:${port}`
    for (let i = 0; i < 2; i++) started.push(await startReplica(gw, shared, origin))
    const nginx = await startNginx({ backends: started.map((r) => ({ port: r.port })), port })
    started.push(nginx)
    const front = `${nginx.url}${new URL(started[0].url).pathname}`
    // Each replica's gateway session (connect, pairing, job list) is opened by its first call: not measured.
    await Promise.all(started.slice(0, 2).map((r, i) => callOwn(r.url, token, i, 'list_cron_jobs', {})))
    const burst = await concurrentClients(front, token, jobs)
    const spread = countUpstreams(nginx.accessLog())
    const hop = await proxyHop(front, started.slice(0, 2), token, jobs[1].name, hops)
    return describeProxy({ clients, burst, spread, hop })
  } finally {
    await Promise.allSettled(started.map((s) => s.stop()))
    await Promise.allSettled(admins.map((a) => a.close()))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A free loopback port for nginx (known before the replicas start: they allow it as an origin). */
async function reservePort() {
  const { pickPort } = await import('../packages/testkit/dist/harness/gateway.js')
  return { port: await pickPort() }
}

/** How many requests nginx sent to each backend port. */
function countUpstreams(lines) {
  const count = {}
  for (const line of lines) {
    const port = /upstream=[\d.]+:(\d+)/.exec(line)?.[1] ?? '?'
    count[port] = (count[port] ?? 0) + 1
  }
  return Object.values(count).join(' / ')
}

function describeProxy({ clients, burst, spread, hop }) {
  const ok = burst.failed.length === 0 && burst.answered === clients
  const rows = [
    `| ${clients} concurrent 2026-07-28 clients through nginx → 2 warm replicas (half \`run_cron_job\` with wait, half \`list_cron_jobs\`, each its own job) | ${burst.answered} answered | all in ${burst.wallMs.toFixed(0)} ms; requests per replica ${spread} | all answered, no cross-talk: **${ok ? 'met' : `not met: ${burst.failed.length} failed`}** |`,
    `| … of them, \`run_cron_job\` with wait, each from send to answer | ${burst.run.n} | ${burst.run.p50.toFixed(0)} ms | ${burst.run.min.toFixed(0)}–${burst.run.max.toFixed(0)} ms | |`,
    `| … of them, \`list_cron_jobs\` | ${burst.list.n} | ${burst.list.p50.toFixed(0)} ms | ${burst.list.min.toFixed(0)}–${burst.list.max.toFixed(0)} ms | |`,
    `| \`list_cron_jobs\` direct to a replica (sequential, alternating with the next row) | ${hop.direct.n} | ${hop.direct.p50.toFixed(2)} ms | ${hop.direct.min.toFixed(2)}–${hop.direct.max.toFixed(2)} ms | |`,
    `| the same through nginx | ${hop.via.n} | ${hop.via.p50.toFixed(2)} ms | ${hop.via.min.toFixed(2)}–${hop.via.max.toFixed(2)} ms | proxy hop adds **${(hop.via.p50 - hop.direct.p50).toFixed(2)} ms** at p50 (median of the ${hop.added.n} pairs' differences: ${hop.added.p50.toFixed(2)} ms) |`,
  ]
  const notes = burst.failed.length ? [`Failed clients: ${burst.failed.slice(0, 5).join('; ')}`, ''] : []
  return { rows, notes }
}

/** Part 4: `pnpm pack` of apps/mcp, installed offline from the pack and pnpm's local store into an empty folder. */
export async function installedSize() {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-bench-size-'))
  try {
    execFileSync('pnpm', ['pack', '--pack-destination', dir], {
      cwd: join(root, 'apps/mcp'),
      stdio: 'ignore',
    })
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
    const app = join(dir, 'app')
    execFileSync('mkdir', [app])
    const pkg = {
      name: 'size',
      private: true,
      dependencies: { '@clawlink/mcp': `file:${join(dir, tarball)}` },
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg))
    const install = ['install', '--offline', '--config.node-linker=hoisted']
    install.push('--allow-build=keytar', '--allow-build=pkcs11js')
    execFileSync('pnpm', install, { cwd: app, stdio: 'ignore' })
    const du = (flag, ...paths) =>
      Number(
        execFileSync('du', ['-s', flag, '-c', ...paths], { cwd: app })
          .toString()
          .trim()
          .split('\n')
          .at(-1)
          .split('\t')[0],
      )
    const modules = join(app, 'node_modules')
    const count = readdirSync(modules).flatMap((d) =>
      d.startsWith('@') ? readdirSync(join(modules, d)) : d.startsWith('.') ? [] : [d],
    ).length
    const native = ['keytar', 'pkcs11js'].filter((m) =>
      readdirSync(join(modules, m, 'build', 'Release')).some((f) => f.endsWith('.node')),
    )
    const sizes = {
      tarball: du('-b', join(dir, tarball)),
      bytes: du('-b', 'node_modules'),
      diskKiB: du('-k', 'node_modules'),
      own: du('-b', 'node_modules/@clawlink'),
      plain: du('-b', 'node_modules/@clawlink', 'node_modules/json5'),
    }
    return describeSize(sizes, count, native)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function describeSize(s, count, native) {
  const mib = (b) => (b / 2 ** 20).toFixed(2)
  const rows = [
    `| @clawlink/mcp installed offline from its pack (tarball ${mib(s.tarball)} MiB) with all dependencies: bytes of every file | ${count} packages | ${mib(s.bytes)} MiB | ${(s.diskKiB / 1024).toFixed(2)} MiB on disk (du -k) | ≤ 10 MiB: **${s.bytes <= 10 * 2 ** 20 ? 'met' : 'not met'}** |`,
    `| … of which the package itself / with \`json5\` (an install without the optional native modules; \`ws\` is bundled) | | ${mib(s.own)} / ${mib(s.plain)} MiB | | |`,
  ]
  const notes = [
    'Installed size: `pnpm pack` of apps/mcp, then `pnpm install --offline --config.node-linker=hoisted` of that',
    "tarball into an empty folder (a flat node_modules like npm's; every dependency from pnpm's local store, no",
    `registry), with the optional native modules allowed to build (built here: ${native.join(', ') || 'none'}; pnpm`,
    'reuses their build from its side-effects cache). Measured: `du -sb` of that node_modules (what the install adds).',
    'The section "Install size" (npm i -g through Verdaccio, 2026-11-26: 4.05 MiB) predates MCP SDK v2: the bundle',
    'grew from 0.97 to 1.77 MB with it, and is 0.95 MB minified (2026-12-07).',
  ]
  return { rows, notes }
}
