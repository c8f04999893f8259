/**
 * Two clawlink-mcp HTTP replicas (same --http-token-file, same --task-secret-file) behind the test kit's nginx
 * (round robin, no stickiness), on a real 2026.9.6 gateway whose agent turns answer from the mock model: a
 * 2026-07-28 client (raw protocol POSTs; see modernClient) starts a run_cron_job task through one replica and follows it through the other; the
 * replica that started a run is killed mid-run and the survivor still reports the run's real outcome; a replica
 * with another key refuses the handle and says why, and a forged one is refused (both audited).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createGatewayClient, type GatewayClient } from '@clawlink/client'
import { type RunningNginx, startNginx } from '@clawlink/testkit/nginx'
import {
  agentJobParams,
  createEphemeralSigner,
  type MockBehaviour,
  realGatewaysOrSkip,
} from '@clawlink/testkit/harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sandboxEnv } from './helpers.js'
import { type HttpServerProcess, startHttpServer } from './http-helpers.js'
import { envelope, modernPost } from './modern-helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip(process.env, { pool: 'agents', versions: ['2026.9.6'] })
const gw = gateways[0]
const TASKS = 'io.modelcontextprotocol/tasks'

const Task = z.looseObject({ taskId: z.string(), status: z.string(), statusMessage: z.string().optional() })
const Detailed = Task.extend({
  result: z.looseObject({ structuredContent: z.record(z.string(), z.unknown()) }).optional(),
})

let admin: GatewayClient
let shared: { dir: string; tokenFile: string; token: string; secretFile: string; otherSecret: string }
let front: RunningNginx
const replicas: HttpServerProcess[] = []
let other: HttpServerProcess
let otherAudit: string

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

function secretFile(name: string): string {
  const file = join(shared.dir, name)
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  return file
}

async function replica(secret: string, origins: string[], extra: string[] = []): Promise<HttpServerProcess> {
  const allow = origins.flatMap((o) => ['--http-allow-origin', o])
  const args = ['--http-token-file', shared.tokenFile, '--task-secret-file', secret, ...allow, ...extra]
  return startHttpServer({ gateway: { url: gw!.url, token: gw!.token }, args })
}

/**
 * A 2026-07-28 client that declares the tasks extension, speaking the protocol as raw POSTs. Not our result's
 * shape (it is the extension's CreateTaskResult) but the SDK v2 client 2.4.0's limits: its 2026-07-28 codec takes
 * only resultType "complete" and "input_required" and rejects "task" (core-internal/src/wire/rev2026-07-28/codec.ts:234
 * as bundled in 2.4.0: "Unsupported result type 'task' for tools/call"), and it will not send tasks/get on a
 * 2026-07-28 connection (core-internal/src/shared/protocol.ts:1347, MethodNotSupportedByProtocolVersion).
 * modern-tasks.test.ts pins both.
 */
function modernClient(url: string) {
  let id = 0
  return async (method: string, params: Record<string, unknown>): Promise<unknown> => {
    const body = { id: ++id, method, params: { ...params, _meta: envelope({ extensions: { [TASKS]: {} } }) } }
    const answer = (await (await modernPost(url, shared.token, body)).json()) as {
      result?: unknown
      error?: { message: string }
    }
    if (answer.error) throw new Error(answer.error.message)
    return answer.result
  }
}
type Caller = ReturnType<typeof modernClient>

async function addJob(behaviour: MockBehaviour): Promise<string> {
  const name = `mcp-replicas-${behaviour.replace(':', '-')}-${randomUUID().slice(0, 8)}`
  await admin.request('cron.add', agentJobParams(name, { behaviour }))
  return name
}

const startTask = async (call: Caller, job: string) =>
  Task.parse(await call('tools/call', { name: 'run_cron_job', arguments: { job, wait: true } }))
const getTask = async (call: Caller, taskId: string) => Detailed.parse(await call('tasks/get', { taskId }))

/** Polls until the task ends; every answer is kept. */
async function pollToEnd(client: Caller, taskId: string) {
  const seen: z.infer<typeof Detailed>[] = []
  for (;;) {
    const task = await getTask(client, taskId)
    seen.push(task)
    if (task.status !== 'working') return { task, seen }
    await sleep(1000)
  }
}

/** The backend port nginx sent the newest request of this method to (from its access log). */
function lastUpstream(): number {
  const line = front.accessLog().at(-1) ?? ''
  return Number(/upstream=[\d.]+:(\d+)/.exec(line)?.[1])
}

describe.skipIf(skipReason !== undefined || !gw)(`replicas behind nginx ${skipReason ?? ''}`, () => {
  beforeAll(async () => {
    const box = sandboxEnv('')
    const token = randomBytes(24).toString('hex')
    shared = {
      dir: box.home,
      tokenFile: join(box.home, 'http-token'),
      token,
      secretFile: '',
      otherSecret: '',
    }
    writeFileSync(shared.tokenFile, `${token}\n`, { mode: 0o600 })
    shared.secretFile = secretFile('task-secret')
    shared.otherSecret = secretFile('other-secret')
    admin = createGatewayClient({
      url: gw!.url,
      token: gw!.token,
      signer: createEphemeralSigner(),
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    })
    await admin.connect()
    const frontPort = await freePort()
    const origins = [`http://127.0.0.1:${frontPort}`]
    replicas.push(await replica(shared.secretFile, origins), await replica(shared.secretFile, origins))
    otherAudit = join(shared.dir, 'other-audit.jsonl')
    other = await replica(shared.otherSecret, [], ['--audit-log', otherAudit])
    const backends = replicas.map((r) => ({ port: r.port }))
    front = await startNginx({ backends, port: frontPort })
  }, 120_000)

  afterAll(async () => {
    await Promise.allSettled([front?.stop(), other?.stop(), ...replicas.map((r) => r.stop())])
    await admin?.close()
  })

  it('a task started through one replica is followed to its end through the other', async () => {
    const job = await addJob('slow:6')
    const viaNginx = modernClient(`${front.url}/mcp`)
    const created = await startTask(viaNginx, job)
    expect(created.status).toBe('working')
    const starter = lastUpstream()
    const survivor = replicas.find((r) => r.port !== starter)!
    expect(replicas.map((r) => r.port)).toContain(starter)
    const direct = modernClient(survivor.url)
    const { task, seen } = await pollToEnd(direct, created.taskId)
    expect(seen.length, 'the run was still going when first polled').toBeGreaterThan(1)
    expect(task.status, JSON.stringify(task)).toBe('completed')
    expect(task.result?.structuredContent).toMatchObject({
      ok: true,
      outcome: 'finished',
      succeeded: true,
      status: 'ok',
    })
    // Through nginx too (round robin: these land on both replicas), the same answer.
    const again = [await getTask(viaNginx, created.taskId), await getTask(viaNginx, created.taskId)]
    expect(again.map((t) => t.status)).toEqual(['completed', 'completed'])
    const runId = task.result?.structuredContent.runId
    expect(again.map((t) => t.result?.structuredContent.runId)).toEqual([runId, runId])
  }, 120_000)

  it('a replica with another key refuses the handle and says why; a forged one too; both audited', async () => {
    const job = await addJob('ok')
    const created = await startTask(modernClient(`${front.url}/mcp`), job)
    const stranger = modernClient(other.url)
    await expect(getTask(stranger, created.taskId)).rejects.toThrow(/another key.*--task-secret-file differs/)
    const [head, sig] = [created.taskId.slice(0, -43), created.taskId.slice(-43)]
    const forged = `${head}${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`
    const same = modernClient(`${front.url}/mcp`)
    await expect(getTask(same, forged)).rejects.toThrow(/bad signature/)
    const lines = readFileSync(otherAudit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; outcome: string; code: string })
    expect(lines).toContainEqual(
      expect.objectContaining({ tool: 'tasks/get', outcome: 'refused', code: 'TASK_OTHER_KEY' }),
    )
  }, 90_000)

  it('the replica that started a run is killed mid-run: the survivor reports its real outcome', async () => {
    const job = await addJob('slow:12')
    const viaNginx = modernClient(`${front.url}/mcp`)
    const created = await startTask(viaNginx, job)
    const starter = replicas.find((r) => r.port === lastUpstream())!
    starter.child.kill('SIGKILL')
    await new Promise((r) => (starter.child.exitCode !== null ? r(null) : starter.child.once('exit', r)))
    const { task } = await pollToEnd(viaNginx, created.taskId)
    expect(task.status, JSON.stringify(task)).toBe('completed')
    expect(task.result?.structuredContent).toMatchObject({ ok: true, outcome: 'finished', succeeded: true })
  }, 120_000)
})
