// Shared helpers of the benchmark scripts (not tests): numbers, machine description, BENCHMARKS.md sections.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'

export const root = new URL('..', import.meta.url).pathname

export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

/** {n, p50, p99, min, max, mean} of a list of numbers, rounded to 2 decimals. */
export function summarise(samples) {
  const s = [...samples].sort((a, b) => a - b)
  const r = (x) => Math.round(x * 100) / 100
  return {
    n: s.length,
    p50: r(quantile(s, 0.5)),
    p99: r(quantile(s, 0.99)),
    min: r(s[0]),
    max: r(s.at(-1)),
    mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  }
}

/** "2 × Intel(R) Xeon(R) …, 23.5 GiB RAM, Node v20.20.2". */
export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`
}

/**
 * Runs a command once under GNU time; returns wall ms (our own clock) and peak RSS in MiB (time's %M).
 * Throws with stderr when the command fails.
 */
export function timed(command, args, options = {}) {
  const haveTime = existsSync('/usr/bin/time')
  const start = process.hrtime.bigint()
  const res = haveTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { ...options, encoding: 'utf8' })
    : spawnSync(command, args, { ...options, encoding: 'utf8' })
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6
  if (res.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${res.status}): ${res.stderr?.slice(-500)}`)
  const rssKb = haveTime ? Number(res.stderr.trim().split('\n').at(-1)) : Number.NaN
  return { wallMs, rssMiB: rssKb / 1024, stdout: res.stdout, stderr: res.stderr }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Replaces (or appends) the `## title` section of BENCHMARKS.md. */
export function writeSection(title, body) {
  const file = join(root, 'BENCHMARKS.md')
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  const section = `## ${title}\n\n${body.trim()}\n`
  const start = current.indexOf(`## ${title}\n`)
  let next
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`
  else {
    const after = current.indexOf('\n## ', start + 1)
    next = current.slice(0, start) + section + (after === -1 ? '' : `\n${current.slice(after + 1)}`)
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
  process.stderr.write(`wrote the "${title}" section of ${file}\n`)
}

export function gitRev() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim()
  } catch {
    return 'unknown'
  }
}

/** A private HOME (profile dir, OpenClaw state dir, token file) for the CLI or MCP server against a gateway. */
export async function benchHome(gateway) {
  const { userHome } = await import('../packages/testkit/dist/harness/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-bench-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })) // keys and token go with the run
  const { home, env, tokenFile } = userHome(dir, gateway.token)
  return { home, env, conn: ['--url', gateway.url, '--token-file', tokenFile] }
}

/** A process's resident set (VmRSS) and peak (VmHWM) in MiB, from /proc; undefined once it has exited. */
export function procMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}

/** "load average 5.12 4.80 4.33" right now (the machine is shared: print it next to the numbers). */
export function loadAverage() {
  return `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`
}

/**
 * One child process, async (a gateway in this process keeps answering): wall ms from spawn to exit, and its CPU
 * time (user + system, ms, from GNU time at 10 ms resolution; NaN without it), which load on a shared machine
 * disturbs far less than wall time.
 */
export function timedAsync(command, args, options = {}) {
  const haveTime = existsSync('/usr/bin/time')
  const argv = haveTime ? ['/usr/bin/time', ['-f', '%U %S', command, ...args]] : [command, args]
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(argv[0], argv[1], { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.resume()
    child.stderr.on('data', (b) => (stderr += b))
    child.on('error', reject)
    child.on('exit', (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6
      const [user, sys] = haveTime ? stderr.trim().split('\n').at(-1).split(' ').map(Number) : [Number.NaN, 0]
      if (code === 0) resolve({ wallMs, cpuMs: (user + sys) * 1000 })
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr.slice(-500)}`))
    })
  })
}

/**
 * The CLI of an earlier commit, built in a throw-away git worktree under `dir`: returns the path of its
 * `clawlink.cjs` and a function that removes the worktree.
 */
export function buildCliAt(rev, dir) {
  const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
  const tree = join(dir, 'base')
  process.stderr.write(`building the CLI of ${rev} in ${tree}\n`)
  sh('git', ['worktree', 'add', '--detach', tree, rev], root)
  const remove = () => {
    try {
      sh('git', ['worktree', 'remove', '--force', tree], root)
    } catch {}
  }
  try {
    sh('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], tree)
    sh('pnpm', ['--filter', '@clawlink/cli...', 'run', 'build'], tree)
  } catch (error) {
    remove()
    throw error
  }
  return { bin: join(tree, 'apps/cli/dist/clawlink.cjs'), remove }
}

/** p50(a) / p50(b) of one field of two lists of measurements, as "1.045". */
export function medianRatio(a, b, key = 'wallMs') {
  return (summarise(a.map((x) => x[key])).p50 / summarise(b.map((x) => x[key])).p50).toFixed(3)
}

/**
 * The seeded history of the `cron check` benchmarks: 500 jobs over the 30 days before `now`, 100 hourly (60
 * expressions) with every 7th fire left without a run, 400 daily (24 expressions); every 10th job in Europe/Berlin
 * (its runs are seeded for UTC: missed). Each job: `{ name, schedule, createdAtMs, runs }` (run start times, ms).
 */
export function checkBenchJobs(now) {
  const HOUR = 3_600_000
  const DAY = 24 * HOUR
  const start = now - 30 * DAY
  const jobs = []
  for (let i = 0; i < 500; i++) {
    const hourly = i < 100
    const runs = []
    const first = hourly
      ? Math.ceil(start / HOUR) * HOUR + (i % 60) * 60_000
      : Math.ceil(start / DAY) * DAY + (i % 24) * HOUR
    for (let t = first, k = 0; t < now - 5 * 60_000; t += hourly ? HOUR : DAY, k++) {
      if (!hourly) runs.push(t + 900)
      else if (k % 7 !== 3) runs.push(t + 1200)
    }
    const expr = hourly ? `${i % 60} * * * *` : `0 ${i % 24} * * *`
    const tz = i % 10 === 9 ? 'Europe/Berlin' : 'UTC'
    jobs.push({
      name: `bench-${i}`,
      schedule: { kind: 'cron', expr, tz, staggerMs: 0 },
      createdAtMs: start - DAY,
      runs,
    })
  }
  return jobs
}
