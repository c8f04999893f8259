import {
  createEphemeralSigner,
  gatewayRpc,
  modelFreeJobParams,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip()

type Listed = { id: string; name: string; enabled: boolean; schedule: { everyMs?: number } }

/** The gateway's own word, read with the harness's small client (not the client under test). */
async function listed(gw: { url: string; token: string }, query: string): Promise<Listed[]> {
  const { results } = await gatewayRpc({ url: gw.url, token: gw.token, signer: createEphemeralSigner() }, [
    { method: 'cron.list', params: { includeDisabled: true, query, limit: 200 } },
  ])
  return ((results[0] as { jobs?: Listed[] }).jobs ?? []).filter((j) => j.name.startsWith(query))
}

describe.skipIf(skipReason !== undefined)(
  `clawlink-mcp write tools on real gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    const closers: (() => Promise<void>)[] = []
    afterAll(async () => {
      for (const close of closers) await close().catch(() => {})
    })

    describe.concurrent.each(gateways.map((g) => [g.version, g] as const))('%s', (version, gw) => {
      it('create → update (rename) → disable → enable → remove, each checked with cron.list', {
        timeout: 90_000,
      }, async () => {
        const prefix = `mcpw-${version}-${Date.now()}`
        const [name, renamed] = [`${prefix}-a`, `${prefix}-b`]
        const s = await connectServer({
          token: gw.token,
          args: ['--url', gw.url, '--allow-write', '--allow-job', name, '--allow-job', renamed],
        })
        closers.push(s.close)
        const call = async (tool: string, args: Record<string, unknown>) => {
          const r = await s.client.callTool({ name: tool, arguments: args })
          expect(r.isError, text(r)).toBeFalsy()
          return r.structuredContent as { written: boolean; job: { id: string }; changes: { path: string }[] }
        }

        const created = await call('create_cron_job', { job: modelFreeJobParams(name, `hello ${version}`) })
        expect(created.written).toBe(true)
        const id = created.job.id
        expect(await listed(gw, prefix)).toMatchObject([
          { id, name, enabled: true, schedule: { everyMs: 3_600_000 } },
        ])

        const patch = { name: renamed, schedule: { kind: 'every', everyMs: 7_200_000 } }
        const updated = await call('update_cron_job', { job: name, patch })
        expect(updated.changes.map((c) => c.path)).toEqual(
          expect.arrayContaining(['name', 'schedule.everyMs']),
        )
        expect(await listed(gw, prefix)).toMatchObject([
          { id, name: renamed, schedule: { everyMs: 7_200_000 } },
        ])

        expect((await call('set_cron_job_enabled', { job: renamed, enabled: false })).written).toBe(true)
        expect(await listed(gw, prefix)).toMatchObject([{ id, enabled: false }])
        expect((await call('set_cron_job_enabled', { job: id, enabled: true })).written).toBe(true)
        expect(await listed(gw, prefix)).toMatchObject([{ id, enabled: true }])

        // A rename outside the allow-list is refused before anything is sent: the name stays.
        const outside = await s.client.callTool({
          name: 'update_cron_job',
          arguments: { job: id, patch: { name: `${prefix}-elsewhere` } },
        })
        expect(text(outside)).toContain('[NOT_ALLOWED]')
        if (version.startsWith('2026.3')) {
          const unknown = await s.client.callTool({
            name: 'update_cron_job',
            arguments: { job: id, patch: { displayName: 'x' } },
          })
          expect(text(unknown)).toMatch(/"displayName".*\[UNKNOWN_FIELD\]/)
        }
        expect(await listed(gw, prefix)).toMatchObject([{ id, name: renamed }])

        expect((await call('remove_cron_job', { job: renamed })).written).toBe(true)
        expect(await listed(gw, prefix)).toEqual([])
      })
    })
  },
)
