import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A private HOME under `parent` for running the clawlink bins as a user would: a clawlink profile dir
 * (CLAWLINK_HOME), an OpenClaw state dir and, when `token` is given, a 0600 token file. Only PATH is inherited,
 * so nothing of the test runner's own settings leaks in.
 */
export function userHome(parent: string, token?: string) {
  const home = mkdtempSync(join(parent, 'home-'))
  mkdirSync(join(home, 'openclaw'), { recursive: true })
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAWLINK_HOME: join(home, 'clawlink'),
    OPENCLAW_STATE_DIR: join(home, 'openclaw'),
  }
  const tokenFile = join(home, 'token')
  if (token !== undefined) writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 })
  return { home, env, tokenFile }
}
