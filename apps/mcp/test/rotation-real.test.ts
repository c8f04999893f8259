import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  gatewayRpc,
  type RunningGateway,
  realGatewaysOrSkip,
  startGateway,
  stopGateway,
} from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

// A gateway of this test's own (rotating the shared ones' token would break the other tests). OpenClaw 2026.9.6
// hot-applies a changed gateway.auth.token in openclaw.json without a restart and closes the shared-auth
// clients (docs/gateway/configuration/hot-reload.md, "Gateway credentials": "old shared-auth clients reconnect").
const { skipReason } = realGatewaysOrSkip()
const VERSION = '2026.9.6'

/** The documented rotation: a new gateway.auth.token in the gateway's openclaw.json, written atomically. */
function rotateConfigToken(gw: RunningGateway, token: string): void {
  const path = join(gw.dir, 'state', 'openclaw.json')
  const config = JSON.parse(readFileSync(path, 'utf8'))
  config.gateway.auth.token = token
  writeFileSync(`${path}.tmp`, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  renameSync(`${path}.tmp`, path)
}

/** Until the gateway accepts `token` (its config watcher applied the change). */
async function acceptedBy(gw: RunningGateway, token: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      await gatewayRpc({ url: gw.url, token, scopes: ['operator.read'], timeoutMs: 5000 }, [])
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

describe.skipIf(skipReason !== undefined)(
  'clawlink-mcp across a shared-token rotation on real 2026.9.6',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-rotate-'))
    let gw: RunningGateway | undefined
    afterAll(async () => {
      if (gw) await stopGateway(gw)
      rmSync(dir, { recursive: true, force: true })
    })

    it('the next tool call after the rotation succeeds without a restart (token-only and with a device)', {
      timeout: 240_000,
    }, async () => {
      const oldToken = randomBytes(16).toString('hex')
      const newToken = randomBytes(16).toString('hex')
      gw = await startGateway({ version: VERSION, token: oldToken, dir: join(dir, 'gateway') })
      // --signer none: no device token to fall back on, so only the re-read token file can work after the rotation.
      const servers = [
        await connectServer({ token: oldToken, args: ['--url', gw.url, '--signer', 'none'] }),
        await connectServer({ token: oldToken, args: ['--url', gw.url] }),
      ]
      try {
        for (const s of servers) {
          const first = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
          expect(first.isError, text(first)).toBeFalsy()
        }
        rotateConfigToken(gw, newToken)
        await acceptedBy(gw, newToken)
        for (const s of servers) writeFileSync(join(s.home, 'token'), `${newToken}\n`, { mode: 0o600 })
        for (const s of servers) {
          const next = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
          expect(next.isError, `${text(next)}\n${s.stderr()}`).toBeFalsy()
          expect(s.stderr()).toContain(
            `the gateway token changed: read it again from --token-file ${join(s.home, 'token')}`,
          )
          expect(s.stderr()).not.toContain(newToken)
        }
        // The old token is really dead on the gateway: the servers did not pass on a stale credential.
        await expect(
          gatewayRpc({ url: gw.url, token: oldToken, scopes: ['operator.read'], timeoutMs: 5000 }, []),
        ).rejects.toThrow()
      } finally {
        await Promise.all(servers.map((s) => s.close()))
      }
    })
  },
)
