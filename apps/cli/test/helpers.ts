import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { type RunningGateway, stopGateway, userHome } from '@clawlink/testkit/harness'
import { afterEach } from 'vitest'

export const BIN = new URL('../dist/clawlink.cjs', import.meta.url).pathname

/** A private HOME with a clawlink profile dir and an OpenClaw state dir; optionally a token file. */
export function sandbox(token?: string) {
  const { home, env, tokenFile } = userHome(mkdtempSync(join(tmpdir(), 'clawlink-cli-')), token)
  return {
    home,
    env,
    tokenFile,
    configFile: join(home, 'openclaw', 'openclaw.json'),
    keyFile: join(home, 'clawlink', 'default', 'device-key.json'),
  }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Runs the built `clawlink` bin as a user would; `stdin` is piped in (else stdin is empty). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  stdin = '',
): Promise<CliResult> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : -1
          : 0
        resolve({ code, stdout, stderr, ms: Date.now() - started })
      },
    )
    child.stdin?.end(stdin)
  })
}

/** Content hash + mtime + mode: "this file was not touched". */
export function fileState(path: string): string {
  const s = statSync(path)
  return `${createHash('sha256').update(readFileSync(path)).digest('hex')}:${s.mtimeMs}:${s.mode}`
}

/**
 * A folder for a test's own gateway (the shared ones must not be stopped under other tests): `keep` records the
 * running gateway (or undefined once the test stopped it); `cleanup` (for afterAll) stops it and removes the folder.
 */
export function ownGatewayDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const state: { gw?: RunningGateway | undefined } = {}
  return {
    dir,
    keep<T extends RunningGateway | undefined>(gw: T): T {
      state.gw = gw
      return gw
    },
    async cleanup() {
      if (state.gw) await stopGateway(state.gw)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A fake gateway per call, closed after each test: the gateway, a sandbox with its token, and the flags that
 * reach it. Call once at the top of a test file.
 */
export function fakeGatewayPerTest(): (options?: FakeGatewayOptions) => Promise<{
  gw: FakeGateway
  box: ReturnType<typeof sandbox>
  conn: string[]
}> {
  const gateways: FakeGateway[] = []
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()))
  })
  return async (options = {}) => {
    const gw = await startFakeGateway(options)
    gateways.push(gw)
    const box = sandbox(gw.token)
    return { gw, box, conn: ['--url', gw.url, '--token-file', box.tokenFile] }
  }
}

/** Runs the bin under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs; all it printed. */
export function runUnderTty(args: string[], env: Record<string, string>): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
  return new Promise((resolve, reject) =>
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { SHELL: '/bin/sh', TERM: 'xterm', ...env }, timeout: 30_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  )
}
