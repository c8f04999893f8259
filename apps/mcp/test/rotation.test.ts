import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeGateway, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)

/** Until the server's log has `line`. */
async function logged(stderr: () => string, line: string): Promise<void> {
  while (!stderr().includes(line)) await new Promise((r) => setTimeout(r, 20))
}

/** A token-only server that served one call, then the gateway rotated its token and the 4001 reached it. */
async function rotatedUnder() {
  const gw = await fakeGateway({ flavor: '9.6', token: 'first-token' })
  const s = await serverFor(gw, ['--signer', 'none'])
  expect((await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })).isError).toBeFalsy()
  gw.rotateSharedToken('second-token')
  await logged(s.stderr, 'connection lost')
  return { gw, s }
}

describe('clawlink-mcp when the shared token changes', () => {
  it('4001, then the new token in --token-file: the next tool call succeeds without a restart', async () => {
    const { gw, s } = await rotatedUnder()
    writeFileSync(join(s.home, 'token'), 'second-token\n', { mode: 0o600 })
    const next = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect(next.isError, text(next)).toBeFalsy()
    expect(s.stderr()).toContain('read it again from --token-file')
    const tokens = gw.requests('connect').map((r) => (r.params as { auth: { token?: string } }).auth.token)
    expect(tokens.at(-1)).toBe('second-token')
    expect(tokens.filter((t) => t === 'second-token')).toHaveLength(1)
  })

  it('the file still holds the old token: the call fails with the mismatch after one re-read, no loop', async () => {
    const { gw, s } = await rotatedUnder()
    const next = await s.client.callTool({ name: 'list_cron_jobs', arguments: {} })
    expect(next.isError).toBe(true)
    expect(text(next)).toMatch(/AUTH_TOKEN_MISMATCH/)
    await logged(s.stderr, 'reconnect paused')
    const connects = gw.requests('connect').length
    expect(connects).toBeLessThanOrEqual(3) // the first, the call's attempt, at most the reconnect loop's one
    await new Promise((r) => setTimeout(r, 1500))
    expect(gw.requests('connect').length).toBe(connects) // paused, not retrying with a dead token
  })
})
