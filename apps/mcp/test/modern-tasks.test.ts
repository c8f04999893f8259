import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskHandleCodec } from '../src/task-handle.js'
import { fakeGateway, sandboxEnv, withCleanups } from './helpers.js'
import { startHttpServer } from './http-helpers.js'
import { connectV2Http, envelope, modernPost, rpcOf } from './modern-helpers.js'
import { pollTask, rawStdio, TASKS } from './modern-stdio-helpers.js'

// 2026-07-28 tasks (the io.modelcontextprotocol/tasks extension) over stdio, on any context's gateway.
withCleanups(afterEach)
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@clawlink/cli/package.json')),
  'dist/clawlink.cjs',
)
const auditLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('2026-07-28 tasks over stdio', () => {
  it('a raw 2026-07-28 client runs run_cron_job as a task: create, tasks/get, the result (per-process key)', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly', runDurationMs: 600 }] })
    const box = sandboxEnv(gw.token ?? '')
    const s = rawStdio(['--url', gw.url, '--token-file', box.tokenFile], box.env)
    cleanups.push(s.close)
    const discover = await s.request('server/discover')
    expect(discover.result?.capabilities).toMatchObject({ extensions: { [TASKS]: {} } })
    const created = await s.request('tools/call', {
      name: 'run_cron_job',
      arguments: { job: 'nightly', wait: true },
    })
    expect(created.result, JSON.stringify(created)).toMatchObject({ resultType: 'task', status: 'working' })
    const taskId = created.result?.taskId as string
    expect(taskId).toMatch(/^t1\./)
    const seen = await pollTask(s, taskId)
    const last = seen.at(-1)!
    expect(last.result, JSON.stringify(last)).toMatchObject({
      taskId,
      status: 'completed',
      resultType: 'complete',
    })
    expect(last.result?.result).toMatchObject({ structuredContent: { outcome: 'finished', succeeded: true } })
    expect(gw.requests('cron.run')).toHaveLength(1)
    expect(s.stderr()).toContain('task handles signed with a random key of this process')
    const lines = auditLines(join(box.home, 'clawlink', 'default', 'audit.jsonl'))
    expect(lines[0]).toMatchObject({ tool: 'run_cron_job', outcome: 'ok', transport: 'stdio', taskId })
    expect(lines.at(-1)).toMatchObject({ tool: 'tasks/get', outcome: 'ok', transport: 'stdio' })
  })

  it('a task on the second --context is followed on its gateway; a handle naming an unknown context is refused', async () => {
    const [a, b] = [
      await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] }),
      await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly', runDurationMs: 400 }] }),
    ]
    const box = sandboxEnv('')
    for (const [name, gw] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const file = join(box.home, `${name}.token`)
      writeFileSync(file, `${gw.token ?? ''}\n`, { mode: 0o600 })
      execFileSync(process.execPath, [CLI, 'context', 'add', name, '--url', gw.url, '--token-file', file], {
        env: box.env,
      })
    }
    const key = randomBytes(32)
    const secret = join(box.home, 'task-secret')
    writeFileSync(secret, key, { mode: 0o600 })
    const s = rawStdio(['--context', 'a', '--context', 'b', '--task-secret-file', secret], box.env)
    cleanups.push(s.close)
    const created = await s.request('tools/call', {
      name: 'run_cron_job',
      arguments: { job: 'nightly', wait: true, gateway: 'b' },
    })
    expect(created.result, JSON.stringify(created)).toMatchObject({ resultType: 'task' })
    const taskId = created.result?.taskId as string
    const codec = createTaskHandleCodec(key)
    const decoded = codec.decode(taskId)
    expect(decoded).toMatchObject({ ok: true, run: { context: 'b', gateway: b.url } })
    const last = (await pollTask(s, taskId)).at(-1)!
    expect(last.result?.status, JSON.stringify(last)).toBe('completed')
    expect(b.requests('cron.run')).toHaveLength(1)
    expect(b.requests('cron.runs').length).toBeGreaterThan(0)
    expect([a.requests('cron.run').length, a.requests('cron.runs').length]).toEqual([0, 0])
    // Signed with the right key, but for a context this server does not serve.
    const run = decoded.ok ? decoded.run : undefined
    const stranger = codec.encode({ ...run!, context: 'staging' })
    const refused = await s.request('tasks/get', { taskId: stranger })
    expect(refused.error).toMatchObject({ code: -32602, data: { reason: 'unknown-context' } })
    expect(refused.error?.message).toBe(
      'Task refused: it is a run on context "staging", which this server does not serve (its contexts: a, b); ask a server started with --context staging',
    )
    const lines = auditLines(join(box.home, 'clawlink', 'default', 'audit.jsonl'))
    expect(lines.at(-1)).toMatchObject({
      tool: 'tasks/get',
      outcome: 'refused',
      code: 'TASK_UNKNOWN_CONTEXT',
    })
    expect(lines[0]).toMatchObject({ tool: 'run_cron_job', gateway: { context: 'b', url: b.url } })
  })
})

describe('the SDK v2 client (2.4.0) and tasks', () => {
  it('cannot take a task: it rejects resultType "task" and will not send tasks/get on 2026-07-28', async () => {
    // Why the task tests speak raw JSON-RPC (the SDK's limits; our answer is the extension's CreateTaskResult):
    // - @modelcontextprotocol/client 2.4.0's 2026-07-28 wire codec accepts only resultType "complete" and
    //   "input_required"; any other becomes SdkError UnsupportedResultType, with no hook for an extension's result
    //   type (core-internal/src/wire/rev2026-07-28/codec.ts:226-236 as bundled in 2.4.0, source map of
    //   client/dist/src-CeKsbNLO.mjs; line 3993 of that bundle);
    // - it refuses to send any tasks/* method on a 2026-07-28 connection: core-internal/src/shared/protocol.ts:1347
    //   (_assertOutboundRequestInEra; "physically absent from that era's registry", SDK repo
    //   docs/migration/support-2026-07-28.md:352-355).
    // @modelcontextprotocol/ext-tasks is the SDK's way to tasks; on 2026-07-28 it too wants a raw dispatcher.
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }, { name: 'purge' }] })
    const server = await startHttpServer({ gateway: gw })
    cleanups.push(() => server.stop())
    const v2 = await connectV2Http(server.url, server.httpToken, 'modern', undefined, {
      extensions: { [TASKS]: {} },
    })
    cleanups.push(v2.close)
    const call = v2.client.callTool({ name: 'run_cron_job', arguments: { job: 'nightly', wait: true } })
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SdkError)
    expect((error as SdkError).code).toBe(SdkErrorCode.UnsupportedResultType)
    expect((error as Error).message).toBe("Unsupported result type 'task' for tools/call")
    // The server did start the run and answered with a task the spec's shape.
    expect(gw.requests('cron.run')).toHaveLength(1)
    const raw = await rpcOf(
      await modernPost(server.url, server.httpToken, {
        method: 'tools/call',
        params: {
          name: 'run_cron_job',
          arguments: { job: 'purge', wait: true },
          _meta: envelope({ extensions: { [TASKS]: {} } }),
        },
      }),
    )
    expect(raw.result, JSON.stringify(raw)).toMatchObject({ resultType: 'task', status: 'working' })
    expect(Object.keys(raw.result ?? {}).sort()).toEqual(
      [
        'createdAt',
        'lastUpdatedAt',
        'pollIntervalMs',
        'resultType',
        'status',
        'statusMessage',
        'taskId',
        'ttlMs',
      ].sort(),
    )
    const sent = async () =>
      v2.client.request({ method: 'tasks/get' as never, params: { taskId: raw.result?.taskId } as never })
    await expect(sent()).rejects.toMatchObject({ code: SdkErrorCode.MethodNotSupportedByProtocolVersion })
  })
})
