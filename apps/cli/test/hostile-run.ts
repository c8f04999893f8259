import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN } from './helpers.js'

const TIME = '/usr/bin/time'

/** What one measured CLI run produced: raw bytes, exit code, wall time and peak RSS. */
export interface MeasuredRun {
  code: number
  stdout: Buffer
  stderr: Buffer
  ms: number
  /** Peak resident set size of the CLI process in MiB (GNU time's %M). */
  peakMiB: number
}

/**
 * Runs the built CLI under GNU time (`apt-get install time`; scripts/setup.sh does) and returns its raw output
 * and peak RSS. A run still alive after `killAfterMs` is killed and reported with code -1.
 */
export function runMeasured(
  args: string[],
  env: Record<string, string>,
  killAfterMs = 60_000,
): Promise<MeasuredRun> {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time (scripts/setup.sh does)`)
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-rss-'))
  const rssFile = join(dir, 'rss')
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(
      TIME,
      ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args],
      { env, encoding: 'buffer', timeout: killAfterMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        const lines = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n') : []
        const kib = Number(lines.at(-1))
        rmSync(dir, { recursive: true, force: true })
        resolve({ code, stdout, stderr, ms: Date.now() - started, peakMiB: kib / 1024 })
      },
    )
  })
}
