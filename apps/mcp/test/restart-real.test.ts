import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  pickPort,
  type RunningGateway,
  realGatewaysOrSkip,
  startGateway,
  stopGateway,
} from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

// A gateway of this test's own (the shared ones must not be stopped under other tests), restarted on the same
// port and state under a running clawlink-mcp.
const { skipReason } = realGatewaysOrSkip()
const VERSION = '2026.5.7'

describe.skipIf(skipReason !== undefined)('clawlink-mcp across a real gateway restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-restart-'))
  const token = randomBytes(16).toString('hex')
  let gw: RunningGateway | undefined
  afterAll(async () => {
    if (gw) await stopGateway(gw)
    rmSync(dir, { recursive: true, force: true })
  })

  it('fails fast naming the unreachable gateway while it is down, and works at once when it is back', {
    timeout: 400_000,
  }, async () => {
    const port = await pickPort()
    const start = () => startGateway({ version: VERSION, port, token, dir: join(dir, 'gateway') })
    gw = await start()
    // A call limit far above the bounds below: the calls must fail or succeed on their own, not by running out.
    const s = await connectServer({ token, args: ['--url', gw.url, '--call-timeout', '60'] })
    try {
      expect((await s.client.callTool({ name: 'cron_status', arguments: {} })).isError).toBeFalsy()
      await stopGateway(gw)
      gw = undefined

      const downStarted = Date.now()
      const down = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
      const downMs = Date.now() - downStarted
      expect(down.isError).toBe(true)
      expect(text(down)).toMatch(/CONNECT_REFUSED|UNREACHABLE|SHUTDOWN/)
      expect(text(down)).toContain(`127.0.0.1:${port}`)
      expect(downMs).toBeLessThan(20_000) // fails at once, not after the call's 60 s limit (a hang guard)

      gw = await start() // resolves once a real connect gets hello-ok
      const upStarted = Date.now()
      const up = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
      const upMs = Date.now() - upStarted
      expect(up.isError, text(up)).toBeFalsy()
      expect(upMs).toBeLessThan(20_000) // no waiting out the reconnect backoff or the 60 s limit (a hang guard)
    } finally {
      await s.close()
    }
  })
})
