// Shared helpers of the benchmark scripts (not tests): numbers, machine description, BENCHMARKS.md sections.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
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
