import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { addAgentJob, addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { connectServer, text } from './helpers.js'

// clawlink-mcp --context NAME (twice) against two real gateways of different protocol versions: one session per
// context, the `gateway` argument, context:job allow-list entries, disabled jobs, and the gateway on the audit line.
const { gateways, skipReason } = realGatewaysOrSkip(process.env, { versions: ['2026.9.6', '2026.3.13'] })
const nine = gateways.find((g) => g.version === '2026.9.6')
const three = gateways.find((g) => g.version === '2026.3.13')
const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@clawlink/cli/package.json')),
  'dist/clawlink.cjs',
)
const skip = skipReason ?? (nine && three ? undefined : 'needs real gateways 2026.9.6 and 2026.3.13')

type Content = Record<string, unknown>
const sc = (r: unknown) => (r as { structuredContent?: Content }).structuredContent ?? {}

describe.skipIf(skip !== undefined)(`clawlink-mcp with two contexts${skip ? ` (${skip})` : ''}`, () => {
  const closers: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of closers) await close().catch(() => {})
  })

  it('serves both gateways, scopes the allow-list, refuses disabled jobs and audits the gateway', {
    timeout: 240_000,
  }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'clawlink-mcp-ctx-'))
    const env = { PATH: process.env.PATH ?? '', HOME: home, CLAWLINK_HOME: join(home, 'clawlink') }
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' })
    for (const [name, gw] of [
      ['nine', nine!],
      ['three', three!],
    ] as const) {
      const file = join(home, `${name}.token`)
      writeFileSync(file, `${gw.token}\n`, { mode: 0o600 })
      cli('context', 'add', name, '--url', gw.url, '--token-file', file)
    }
    const tag = Date.now()
    const shared = `ctx-shared-${tag}`
    const [sharedNine, sharedThree] = [
      await addModelFreeJob(nine!, shared),
      await addModelFreeJob(three!, shared),
    ]
    const off = `ctx-off-${tag}`
    const offId = await addModelFreeJob(nine!, off, 'ran by hand')
    cli('cron', 'disable', offId, '--context', 'nine')
    const fail = `ctx-fail-${tag}`
    await addAgentJob(nine!, fail, { behaviour: 'http:400' })
    const twice = `ctx-twice-${tag}`
    await addModelFreeJob(nine!, twice)
    await addModelFreeJob(nine!, twice)
    const log = join(home, 'audit.jsonl')

    const s = await connectServer({
      home,
      args: ['--context', 'nine', '--context', 'three', '--audit-log', log].concat([
        '--allow-job',
        `three:${shared}`,
        '--allow-job',
        off,
        '--allow-job',
        fail,
        '--allow-job',
        twice,
      ]),
    })
    closers.push(s.close)

    const tools = await s.client.listTools()
    const run = tools.tools.find((t) => t.name === 'run_cron_job')!
    expect((run.inputSchema.properties as Record<string, { enum?: string[] }>).gateway?.enum).toEqual([
      'nine',
      'three',
    ])

    // Listing: the default is the first context; every job is labelled with its context.
    const listed = await s.client.callTool({ name: 'list_cron_jobs', arguments: { query: shared } })
    expect(sc(listed).jobs).toEqual([
      expect.objectContaining({ id: sharedNine, gateway: 'nine', runnable: false }),
    ])
    const listed3 = await s.client.callTool({
      name: 'list_cron_jobs',
      arguments: { query: shared, gateway: 'three' },
    })
    expect(sc(listed3).jobs).toEqual([
      expect.objectContaining({ id: sharedThree, gateway: 'three', runnable: true }),
    ])

    // three:NAME admits the job on three only.
    const refused = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: shared, gateway: 'nine' },
    })
    expect(text(refused)).toMatch(/\[NOT_ALLOWED\]$/)
    const ran = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: shared, gateway: 'three', wait: true, timeoutSeconds: 60 },
    })
    expect(ran.isError, text(ran)).toBeFalsy()
    expect(sc(ran)).toMatchObject({ job: { id: sharedThree }, status: 'ok' })

    const unknown = await s.client
      .callTool({ name: 'cron_status', arguments: { gateway: 'nowhere' } })
      .catch((e: Error) => e)
    const unknownText = unknown instanceof Error ? unknown.message : text(unknown)
    expect(unknownText).toMatch(/gateway/)
    expect(unknownText).toMatch(/nine/)

    // A disabled job: not runnable, refused with the flag to name.
    const preview = await s.client.callTool({ name: 'preview_cron_job', arguments: { job: off } })
    expect(sc(preview)).toMatchObject({
      job: { id: offId, enabled: false },
      runnable: false,
      whyNot: expect.stringMatching(/disabled/),
    })
    const disabled = await s.client.callTool({ name: 'run_cron_job', arguments: { job: off } })
    expect(text(disabled)).toMatch(/--allow-disabled.*\[JOB_DISABLED\]$/)

    // A run that started and failed: its runId is in the result and on the audit line.
    const failed = await s.client.callTool({
      name: 'run_cron_job',
      arguments: { job: fail, wait: true, timeoutSeconds: 90 },
    })
    expect(sc(failed)).toMatchObject({ code: 'RUN_FAILED', runId: expect.any(String) })
    await s.close()

    // One gateway (no --context), --allow-disabled: the disabled job runs (on 9.x with mode force, not if-enabled).
    const one = await connectServer({
      home,
      token: nine!.token,
      args: ['--url', nine!.url, '--allow-disabled', '--audit-log', log],
    })
    closers.push(one.close)
    const byHand = await one.client.callTool({
      name: 'run_cron_job',
      arguments: { job: off, wait: true, timeoutSeconds: 60 },
    })
    expect(byHand.isError, text(byHand)).toBeFalsy()
    expect(sc(byHand)).toMatchObject({ job: { id: offId }, status: 'ok', summary: 'ran by hand' })
    await one.close()

    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Content)
    const line = (tool: string, job: string) =>
      lines.filter((l) => l.tool === tool && (l.arguments as Content).job === job)
    expect(line('run_cron_job', shared).map((l) => [l.code, l.gateway])).toEqual([
      ['NOT_ALLOWED', { context: 'nine', url: nine!.url }],
      [null, { context: 'three', url: three!.url }],
    ])
    expect(line('run_cron_job', fail)[0]).toMatchObject({ code: 'RUN_FAILED', runId: sc(failed).runId })
    expect(line('run_cron_job', off).map((l) => [l.code, l.gateway])).toEqual([
      ['JOB_DISABLED', { context: 'nine', url: nine!.url }],
      [null, { context: null, url: nine!.url }],
    ])
    // The name entry two jobs carry was named at start.
    expect(s.stderr()).toMatch(new RegExp(`warning: --allow-job "${twice}" is a name that 2 jobs carry`))
  })
})
