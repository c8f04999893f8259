import { spawn } from 'node:child_process'
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** What a finished child process left. */
export interface RunResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The whole process group is killed after this long. @default 300000 */
  timeoutMs?: number
  input?: string
}

/**
 * Runs a command in its own process group and kills the group on timeout, so a hung `pnpm → turbo → tsc` or
 * `npm → node-gyp` chain cannot outlive the test. Never rejects for a non-zero exit: callers assert on `code`.
 */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? 300_000
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      stderr += `\n[run] ${command} ${args.join(' ')}: killed after ${timeoutMs} ms`
      killGroup(child.pid)
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: Date.now() - started })
    })
    if (child.stdin) {
      child.stdin.on('error', () => {}) // a child that exits without reading its input: EPIPE is not our error
      child.stdin.end(options.input)
    }
  })
}

/** SIGKILL to a process group started with `detached: true` (no-op when it is gone already). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already exited
  }
}

/** Like {@link run}, but throws with the command's output when it exits non-zero. */
export async function runOk(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
    )
  }
  return result
}

/**
 * The environment for npm/pnpm children without the npm_config_* settings an outer `pnpm run` exports, so only
 * the private npmrc and cache given in `extra` apply.
 */
export function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|pnpm_|PNPM_|NPM_CONFIG_)/i.test(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

/** Bytes of every regular file under `dir` (symlinks not followed): what an install puts on disk. */
export function treeBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += treeBytes(path)
    else if (entry.isFile()) total += lstatSync(path).size
  }
  return total
}
