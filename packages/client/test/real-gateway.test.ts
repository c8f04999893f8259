/**
 * End to end against real OpenClaw gateways (REAL-GATEWAY.md). The running gateways are listed in the JSON file
 * named by CLAWLINK_GATEWAYS; without it these tests skip, unless CLAWLINK_REQUIRE_REAL=1 (CI), where they fail.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeviceSigner } from '@clawlink/protocol'
import { GatewayError } from '@clawlink/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ClientError,
  createFileDeviceTokenStore,
  createGatewayClient,
  type GatewayClient,
  type GatewayClientOptions,
  waitForCronRun,
} from '../src/index.js'
import { createTestSigner, rejectionOf } from './helpers.js'

type RunningGateway = { version: string; url: string; token: string }

async function loadGateways(): Promise<{ gateways: RunningGateway[]; reason?: string }> {
  const file = process.env.CLAWLINK_GATEWAYS
  if (!file) return { gateways: [], reason: 'CLAWLINK_GATEWAYS is not set' }
  try {
    const harness = (await import('@clawlink/testkit/harness')) as { readRunningGateways?: () => unknown }
    if (typeof harness.readRunningGateways === 'function') {
      const listed = (await harness.readRunningGateways()) as RunningGateway[]
      if (Array.isArray(listed)) return { gateways: listed }
    }
  } catch {
    // Harness not built yet: read the file ourselves (same format).
  }
  if (!existsSync(file)) return { gateways: [], reason: `${file} does not exist` }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as RunningGateway[]
  return { gateways: parsed }
}

const { gateways, reason } = await loadGateways()
const requireReal = process.env.CLAWLINK_REQUIRE_REAL === '1'

async function createSigner(dir: string): Promise<{ signer: DeviceSigner; kind: string }> {
  try {
    const mod = (await import('@clawlink/signer-file')) as {
      createFileSigner?: (o: { path: string; create?: boolean }) => Promise<DeviceSigner>
    }
    if (typeof mod.createFileSigner === 'function') {
      return { signer: await mod.createFileSigner({ path: join(dir, 'identity.json') }), kind: 'signer-file' }
    }
  } catch {
    // signer-file not built yet: a node:crypto test signer proves the same handshake.
  }
  return { signer: createTestSigner(), kind: 'node:crypto test signer (signer-file not available)' }
}

const dirs: string[] = []
const clients: GatewayClient[] = []
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function client(options: GatewayClientOptions): GatewayClient {
  const c = createGatewayClient({ connectTimeoutMs: 15_000, requestTimeoutMs: 20_000, ...options })
  clients.push(c)
  return c
}

describe('real gateway', () => {
  if (gateways.length === 0) {
    // Skipped with the reason, unless CI demands the real thing.
    it.skipIf(!requireReal)(`real gateways (${reason})`, () => {
      throw new Error(`CLAWLINK_REQUIRE_REAL=1 but no real gateway: ${reason}`)
    })
  }

  for (const gw of gateways) {
    const expectedProtocol = gw.version.startsWith('2026.9') ? 4 : 3
    describe(`OpenClaw ${gw.version}`, { timeout: 60_000 }, () => {
      const dir = mkdtempSync(join(tmpdir(), `clawlink-e2e-${gw.version}-`))
      dirs.push(dir)
      const store = createFileDeviceTokenStore(join(dir, 'device-tokens.json'))
      let signer: DeviceSigner
      let jobId = ''

      it('pairs a fresh identity on loopback, lists jobs and runs a model-free job to finished', async () => {
        const created = await createSigner(dir)
        signer = created.signer
        console.info(`[${gw.version}] fresh identity from ${created.kind}`)
        const c = client({ url: gw.url, token: gw.token, signer, deviceTokenStore: store })
        const hello = await c.connect()
        expect(hello.protocol).toBe(expectedProtocol)
        expect(c.scopes).toEqual(expect.arrayContaining(['operator.admin']))
        const stored = await store.get(c.deviceId ?? '', 'operator')
        expect(stored?.token).toHaveLength(43)
        const list = (await c.request('cron.list', { includeDisabled: true, limit: 200, offset: 0 })) as {
          jobs: unknown[]
        }
        expect(Array.isArray(list.jobs)).toBe(true)
        const name = `clawlink-e2e-${randomUUID().slice(0, 8)}`
        const job = (await c.request('cron.add', {
          name,
          schedule: { kind: 'every', everyMs: 3_600_000 },
          sessionTarget: 'main',
          wakeMode: 'next-heartbeat',
          payload: { kind: 'systemEvent', text: 'hello from clawlink e2e' },
        })) as { id: string }
        jobId = job.id
        expect(jobId).toMatch(/[0-9a-f-]{36}/)
        const run = (await c.request('cron.run', { id: jobId, mode: 'force' })) as {
          enqueued?: boolean
          runId?: string
        }
        expect(run.enqueued).toBe(true)
        const finished = await c.waitForCronFinished(run.runId ? { jobId, runId: run.runId } : { jobId }, {
          timeoutMs: 30_000,
        })
        expect(finished.status).toBe('ok')
        if (expectedProtocol === 3 && gw.version.startsWith('2026.3')) expect(finished.runId).toBeUndefined()
        await c.close()
      })

      it('reconnects with the stored device token alone (no shared token) and runs the job', async () => {
        const c = client({ url: gw.url, signer, deviceTokenStore: store })
        await c.connect()
        expect(c.authMethod).toBe('device-token')
        const run = (await c.request('cron.run', { id: jobId, mode: 'force' })) as { enqueued?: boolean }
        expect(run.enqueued).toBe(true)
        // The CLI's --wait path: events first, cron.runs polling as the fallback.
        const outcome = await waitForCronRun(c, { jobId }, { timeoutMs: 30_000, pollIntervalMs: 1000 })
        expect(outcome.status).toBe('ok')
        await c.request('cron.remove', { id: jobId })
        await c.close()
      })

      it('reports a wrong token as AUTH_TOKEN_MISMATCH', async () => {
        const error = await rejectionOf(client({ url: gw.url, token: `wrong-${randomUUID()}` }).connect())
        expect(error).toBeInstanceOf(GatewayError)
        expect(error.code).toBe('AUTH_TOKEN_MISMATCH')
        expect(String(error.remedy)).not.toBe('')
      })

      it('reports an unknown job as JOB_NOT_FOUND', async () => {
        const c = client({ url: gw.url, token: gw.token, signer, deviceTokenStore: store })
        const error = await rejectionOf(c.request('cron.run', { id: 'does-not-exist', mode: 'force' }))
        expect(error).toBeInstanceOf(GatewayError)
        expect(error.code).toBe('JOB_NOT_FOUND')
        expect(error.jobId).toBe('does-not-exist')
        await c.close()
      })

      it('reports a protocol range the gateway does not speak as PROTOCOL_MISMATCH', async () => {
        const c = client({ url: gw.url, token: gw.token, minProtocol: 5, maxProtocol: 5 })
        const error = await rejectionOf(c.connect())
        expect(error).toBeInstanceOf(GatewayError)
        expect(error.code).toBe('PROTOCOL_MISMATCH')
      })

      // Only 2026.3.13 has the 3 s pre-auth timeout; later versions wait 15 s (PROTOCOL.md §1.5).
      if (gw.version.startsWith('2026.3.')) {
        it('explains the 3 s handshake timeout of 2026.3.13 (seed symptom) as CLOSED_BEFORE_HELLO', async () => {
          // A signer slower than the server's pre-auth timeout: the server closes with 1000 and no reason.
          const slow = createTestSigner()
          const slowSigner: DeviceSigner = {
            algorithm: 'ed25519',
            publicKey: slow.publicKey,
            sign: async (payload) => {
              await new Promise((r) => setTimeout(r, 3500))
              return slow.sign(payload)
            },
          }
          const c = client({ url: gw.url, token: gw.token, signer: slowSigner })
          const error = await rejectionOf(c.connect())
          expect(error).toBeInstanceOf(ClientError)
          expect(error.code).toBe('CLOSED_BEFORE_HELLO')
          expect(error.closeCode).toBe(1000)
          expect(String(error.remedy)).toContain('handshake timeout')
        })
      }

      it('reproduces the seed bug (token-only, non-cli client) and explains it', async () => {
        const c = client({ url: gw.url, token: gw.token, client: { id: 'test', mode: 'test' } })
        await c.connect()
        expect(c.scopes).toEqual([])
        await expect(c.request('health')).resolves.toBeDefined()
        const local = await rejectionOf(c.request('cron.list', {}))
        expect(local).toBeInstanceOf(ClientError)
        expect(local.code).toBe('NO_SCOPES_TOKEN_ONLY')
        expect(String(local.remedy)).toContain('clawlink device init')
        // Without the pre-flight the gateway itself says so (v3 text, v4 FORBIDDEN): both map to MISSING_SCOPE.
        const raw = client({
          url: gw.url,
          token: gw.token,
          client: { id: 'test', mode: 'test' },
          scopePreflight: false,
        })
        const wire = await rejectionOf(raw.request('cron.run', { id: 'x' }))
        expect(wire).toBeInstanceOf(GatewayError)
        expect(wire.code).toBe('MISSING_SCOPE')
        expect(wire.missingScope).toBe('operator.admin')
        await c.close()
        await raw.close()
      })
    })
  }
})
