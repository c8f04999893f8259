/**
 * A waited run's live progress on real OpenClaw gateways whose model is the test kit's mock (the harness's
 * `start-all` starts it): the cron run is linked to its agent session and the progress matches what each version
 * sends (docs/protocol.md §7.7). Skips without CLAWLINK_GATEWAYS, like the other real-gateway suites.
 */
import { randomUUID } from 'node:crypto'
import { agentJobParams, type MockBehaviour, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createGatewayClient,
  type GatewayClient,
  type RunFeedRecord,
  type RunProgress,
  runJob,
  watchRuns,
} from '../src/index.js'
import { createTestSigner } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents' })
const clients: GatewayClient[] = []
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
})

describe.skipIf(skipReason !== undefined)(`live progress of agent runs ${skipReason ?? ''}`, () => {
  for (const gw of gateways) {
    describe(`OpenClaw ${gw.version}`, { timeout: 150_000 }, () => {
      const nine = gw.version.startsWith('2026.9')
      let c: GatewayClient

      async function run(behaviour: MockBehaviour) {
        if (!gw.model) throw new Error(`gateway ${gw.version} has no mock model: start it with start-all`)
        if (!c) {
          c = createGatewayClient({
            url: gw.url,
            token: gw.token,
            signer: createTestSigner(),
            requestTimeoutMs: 120_000, // a hang guard: a busy gateway on a loaded machine answers late
          })
          clients.push(c)
          await c.connect()
        }
        const name = `clawlink-stream-${behaviour.replace(':', '-')}-${randomUUID().slice(0, 8)}`
        await c.request('cron.add', agentJobParams(name, { behaviour }))
        const events: RunProgress[] = []
        const outcome = await runJob(c, {
          ref: name,
          wait: true,
          timeoutMs: 140_000,
          heartbeatMs: 500,
          onProgress: (e) => events.push(e),
        })
        const text = events.flatMap((e) => (e.kind === 'text' ? [e.delta] : [])).join('')
        return { outcome, events, text, kinds: new Set(events.map((e) => e.kind)) }
      }

      it('a slow streamed run: linked, its text as written, heartbeats while it sets up', async () => {
        const { outcome, events, text, kinds } = await run('slow:5')
        expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
        if (outcome.kind !== 'finished') return
        const linked = events.find((e) => e.kind === 'linked')
        expect(linked?.kind === 'linked' && linked.sessionKey).toContain(`cron:${outcome.job.id}`)
        expect(outcome.sessionKey).toContain(`cron:${outcome.job.id}:run:`)
        expect(text).toBe(outcome.summary)
        expect(events.filter((e) => e.kind === 'text').length).toBeGreaterThan(3)
        expect(kinds.has('heartbeat')).toBe(true)
        if (nine) {
          expect(events).toContainEqual({ kind: 'model', provider: 'mock', model: 'mock-1' })
          expect(kinds.has('finishing')).toBe(true)
          expect(kinds.has('usage')).toBe(true)
        }
      })

      it('a tool call: its start and end (5.7, 9.x; 3.13 does not show the tool round)', async () => {
        const { outcome, events } = await run('tool')
        expect(outcome).toMatchObject({ kind: 'finished', succeeded: true })
        const tools = events.filter((e) => e.kind === 'tool')
        const shown = !gw.version.startsWith('2026.3')
        expect(tools.map((e) => e.kind === 'tool' && e.phase)).toEqual(shown ? ['start', 'end'] : [])
      })

      it('a 5xx the gateway retries: each retry reported (9.x with n of max and the delay)', async () => {
        const { outcome, events } = await run('http:500')
        expect(outcome).toMatchObject({ kind: 'finished', succeeded: false })
        const retries = events.filter((e) => e.kind === 'retrying')
        expect(retries.length).toBeGreaterThanOrEqual(1)
        retries.forEach((r, i) => {
          expect(r).toMatchObject({ attempt: i + 1 })
          if (nine) expect(r).toMatchObject({ max: 8, reason: 'server_error', delayMs: expect.any(Number) })
        })
      })

      it('a model error (HTTP 400): the run fails, its session still named; a feed on another connection shows it', async () => {
        const watcher = createGatewayClient({ url: gw.url, token: gw.token, signer: createTestSigner() })
        clients.push(watcher)
        await watcher.connect()
        const records: RunFeedRecord[] = []
        const stop = new AbortController()
        const feed = watchRuns(watcher, { signal: stop.signal, onEvent: (r) => records.push(r) })
        const { outcome } = await run('http:400')
        expect(outcome).toMatchObject({ kind: 'finished', succeeded: false })
        if (outcome.kind !== 'finished') return
        expect(outcome.sessionKey).toContain(`cron:${outcome.job.id}`)
        for (let i = 0; i < 100 && !records.some((r) => r.kind === 'finished'); i++)
          await new Promise((r) => setTimeout(r, 50))
        stop.abort()
        await feed
        const mine = records.filter((r) => 'jobId' in r && r.jobId === outcome.job.id)
        expect(mine.map((r) => r.kind)).toEqual(['started', 'finished'])
        expect(mine[1]).toMatchObject({ succeeded: false, observedBy: 'event', error: outcome.error })
      })
    })
  }
})
