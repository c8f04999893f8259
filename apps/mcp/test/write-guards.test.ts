import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../src/audit.js'
import { elicitingClient, fakeGateway, serverFor, text, withCleanups } from './helpers.js'

withCleanups(afterEach)

const WRITE_TOOLS = ['create_cron_job', 'update_cron_job', 'set_cron_job_enabled', 'remove_cron_job']
const NEW_JOB = {
  name: 'fresh',
  schedule: { kind: 'every', everyMs: 600_000 },
  sessionTarget: 'main',
  wakeMode: 'next-heartbeat',
  payload: { kind: 'systemEvent', text: 'hello' },
}

/** Every write the gateway received (the guards are checked against it, not against the tool's word). */
const writes = (gw: FakeGateway) =>
  ['cron.add', 'cron.update', 'cron.remove'].flatMap((m) => gw.requests(m).map((r) => ({ m, p: r.params })))
const idOf = (gw: FakeGateway, name: string) => [...gw.jobs.values()].find((j) => j.name === name)!.id
/** A call's result; a tool the server does not offer is a JSON-RPC error (-32602, "Tool … not found"). */
const call = (s: Awaited<ReturnType<typeof serverFor>>, name: string, args: Record<string, unknown>) =>
  s.client.callTool({ name, arguments: args }).catch((error: Error) => {
    expect(error.message).toMatch(/Tool \S+ not found/)
    return {
      isError: true,
      content: [{ type: 'text', text: error.message }],
      structuredContent: undefined as unknown,
    }
  })

/** One call of every write tool against `nightly`, with a create of `fresh`. */
async function tryEveryWrite(s: Awaited<ReturnType<typeof serverFor>>) {
  return Promise.all([
    call(s, 'create_cron_job', { job: NEW_JOB }),
    call(s, 'update_cron_job', { job: 'nightly', patch: { name: 'renamed' } }),
    call(s, 'set_cron_job_enabled', { job: 'nightly', enabled: false }),
    call(s, 'remove_cron_job', { job: 'nightly' }),
  ])
}

describe('write tools: off unless --allow-write, never under read-only', () => {
  it('are absent without --allow-write, and a call to one writes nothing', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await serverFor(gw)
    const names = (await s.client.listTools()).tools.map((t) => t.name)
    for (const tool of WRITE_TOOLS) expect(names).not.toContain(tool)
    for (const r of await tryEveryWrite(s)) expect(r.isError).toBe(true)
    expect(writes(gw)).toEqual([])
  })

  it('are offered with --allow-write (or CLAWLINK_MCP_ALLOW_WRITE=1), with annotations', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    for (const [args, env] of [
      [['--allow-write'], {}],
      [[], { CLAWLINK_MCP_ALLOW_WRITE: '1' }],
    ] as const) {
      const s = await serverFor(gw, [...args], env)
      const tools = new Map((await s.client.listTools()).tools.map((t) => [t.name, t]))
      for (const tool of WRITE_TOOLS) expect(tools.has(tool)).toBe(true)
      expect(tools.get('remove_cron_job')?.annotations).toMatchObject({ destructiveHint: true })
      expect(tools.get('update_cron_job')?.annotations).toMatchObject({
        destructiveHint: false,
        idempotentHint: true,
      })
      expect(tools.get('create_cron_job')?.annotations).toMatchObject({ idempotentHint: false })
    }
  }, 20_000)

  it.each([
    ['--read-only --allow-write', ['--read-only', '--allow-write'], {}],
    ['the env of both', [], { CLAWLINK_MCP_READ_ONLY: '1', CLAWLINK_MCP_ALLOW_WRITE: '1' }],
  ])('read-only wins over write: %s', async (_label, args, env) => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await serverFor(gw, args, env as Record<string, string>)
    const names = (await s.client.listTools()).tools.map((t) => t.name)
    for (const tool of WRITE_TOOLS) expect(names).not.toContain(tool)
    for (const r of await tryEveryWrite(s)) expect(r.isError).toBe(true)
    const preview = await call(s, 'preview_cron_job', { job: 'nightly', patch: { enabled: false } })
    expect(preview.structuredContent).toMatchObject({
      change: { writable: false, whyNot: 'this server is read-only' },
    })
    expect(writes(gw)).toEqual([])
  })
})

describe('write tools: the allow-list', () => {
  it('by name: a create or a rename outside it is refused, inside it written', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }, { name: 'purge' }] })
    const s = await serverFor(gw, ['--allow-write', '--allow-job', 'nightly', '--allow-job', 'fresh'])
    const refusals = await Promise.all([
      call(s, 'create_cron_job', { job: { ...NEW_JOB, name: 'elsewhere' } }),
      call(s, 'update_cron_job', { job: 'nightly', patch: { name: 'elsewhere' } }),
      call(s, 'update_cron_job', { job: 'purge', patch: { name: 'nightly' } }),
      call(s, 'set_cron_job_enabled', { job: 'purge', enabled: false }),
      call(s, 'remove_cron_job', { job: idOf(gw, 'purge') }),
    ])
    for (const r of refusals) {
      expect(r.isError).toBe(true)
      expect(text(r)).toContain('[NOT_ALLOWED]')
    }
    expect(text(refusals[0])).toContain('would be named "elsewhere"')
    expect(writes(gw)).toEqual([])
    const created = await call(s, 'create_cron_job', { job: NEW_JOB })
    expect(created.isError).toBeFalsy()
    expect(created.structuredContent).toMatchObject({
      action: 'create',
      written: true,
      job: { name: 'fresh' },
    })
    const renamed = await call(s, 'update_cron_job', { job: 'nightly', patch: { name: 'fresh' } })
    expect(renamed.isError).toBeFalsy()
    expect(writes(gw).map((w) => w.m)).toEqual(['cron.add', 'cron.update'])
  })

  it('an id entry admits only that job: it may be renamed, but nothing may be created', async () => {
    const gw = await fakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly' }] })
    const id = idOf(gw, 'nightly')
    const s = await serverFor(gw, ['--allow-write', '--allow-job', id])
    const create = await call(s, 'create_cron_job', { job: { ...NEW_JOB, name: id } })
    expect(text(create)).toContain('[NOT_ALLOWED]')
    expect(writes(gw)).toEqual([])
    const renamed = await call(s, 'update_cron_job', { job: 'nightly', patch: { name: 'anything' } })
    expect(renamed.isError).toBeFalsy()
    expect(gw.jobs.get(id)?.name).toBe('anything')
  })
})

describe('write tools: what they change, before they change it', () => {
  it('a dry run and preview_cron_job show the same field-level diff; nothing is written', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await serverFor(gw, ['--allow-write'])
    const patch = { schedule: { kind: 'cron', expr: '0 7 * * *', tz: 'UTC' }, enabled: false }
    const dry = await call(s, 'update_cron_job', { job: 'nightly', patch, dryRun: true })
    const preview = await call(s, 'preview_cron_job', { job: 'nightly', patch })
    const changes = (dry.structuredContent as { changes: { path: string }[] }).changes
    expect(changes.map((c) => c.path).sort()).toEqual([
      'enabled',
      'schedule.expr',
      'schedule.kind',
      'schedule.tz',
    ])
    expect(changes).toContainEqual({ path: 'enabled', before: true, after: false })
    expect(dry.structuredContent).toMatchObject({ written: false })
    expect(preview.structuredContent).toMatchObject({ change: { action: 'update', changes, writable: true } })
    const remove = await call(s, 'preview_cron_job', { job: 'nightly', remove: true })
    expect(remove.structuredContent).toMatchObject({ change: { action: 'remove' } })
    expect(writes(gw)).toEqual([])
    // The write itself answers with what the gateway changed.
    const done = await call(s, 'update_cron_job', { job: 'nightly', patch })
    expect((done.structuredContent as { changes: { path: string }[] }).changes.map((c) => c.path)).toContain(
      'schedule.expr',
    )
  })

  it('a field this gateway version does not know is refused by name, before anything is written', async () => {
    const gw = await fakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly' }] })
    const s = await serverFor(gw, ['--allow-write'])
    const r = await call(s, 'update_cron_job', { job: 'nightly', patch: { displayName: 'Nightly' } })
    expect(r.isError).toBe(true)
    expect(text(r)).toMatch(/unknown field "displayName".*\[UNKNOWN_FIELD\]/)
    const c = await call(s, 'create_cron_job', { job: { ...NEW_JOB, trigger: { kind: 'x' } } })
    expect(text(c)).toContain('"trigger"')
    expect(writes(gw)).toEqual([])
  })
})

describe('write tools: --confirm', () => {
  it('asks the user with the diff; a no writes nothing, a yes writes', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const no = await elicitingClient(gw, { action: 'decline' }, ['--allow-write'])
    for (const [name, args] of [
      ['create_cron_job', { job: NEW_JOB }],
      ['set_cron_job_enabled', { job: 'nightly', enabled: false }],
      ['remove_cron_job', { job: 'nightly' }],
    ] as const) {
      const r = await no.client.callTool({ name, arguments: args })
      expect(text(r)).toContain('[DECLINED]')
    }
    expect(no.questions[1]).toContain('Disable the OpenClaw cron job "nightly"')
    expect(no.questions[1]).toContain('enabled: true → false')
    const unchecked = await elicitingClient(gw, { action: 'accept', content: { write: false } }, [
      '--allow-write',
    ])
    expect(
      (await unchecked.client.callTool({ name: 'remove_cron_job', arguments: { job: 'nightly' } })).isError,
    ).toBe(true)
    expect(writes(gw)).toEqual([])
    const yes = await elicitingClient(gw, { action: 'accept', content: { write: true } }, ['--allow-write'])
    const r = await yes.client.callTool({ name: 'remove_cron_job', arguments: { job: 'nightly' } })
    expect(r.structuredContent).toMatchObject({ action: 'remove', written: true })
    expect(writes(gw).map((w) => w.m)).toEqual(['cron.remove'])
  }, 30_000) // three server processes

  it('refuses when the client cannot ask the user', async () => {
    const gw = await fakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    const s = await serverFor(gw, ['--allow-write', '--confirm'])
    const r = await call(s, 'create_cron_job', { job: NEW_JOB })
    expect(text(r)).toContain('[CONFIRMATION_UNAVAILABLE]')
    expect(writes(gw)).toEqual([])
  })
})

describe('write tools: the audit line', () => {
  it('names the action and the changed fields, never their values', async () => {
    const gw = await fakeGateway({ flavor: '3.13', jobs: [{ name: 'nightly' }] })
    const log = join(mkdtempSync(join(tmpdir(), 'clawlink-audit-')), 'audit.jsonl')
    const s = await serverFor(gw, ['--allow-write', '--allow-job', 'nightly', '--audit-log', log])
    const secret = 'hook-secret-0b6c9b1e7f0a4c1e'
    const patch = { enabled: false, delivery: { mode: 'webhook', apiKey: secret } }
    expect((await call(s, 'update_cron_job', { job: 'nightly', patch })).isError).toBeFalsy()
    expect((await call(s, 'create_cron_job', { job: { ...NEW_JOB, name: 'other' } })).isError).toBe(true)
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && !(existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 2))
      await sleep(20)
    const raw = readFileSync(log, 'utf8')
    expect(raw).not.toContain(secret)
    const [update, create] = raw
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry)
    expect(update).toMatchObject({
      tool: 'update_cron_job',
      outcome: 'ok',
      job: { id: idOf(gw, 'nightly'), name: 'nightly' },
      change: { action: 'update' },
    })
    expect(update?.change?.fields.sort()).toEqual(['delivery.apiKey', 'delivery.mode', 'enabled'])
    expect(create).toMatchObject({
      tool: 'create_cron_job',
      outcome: 'refused',
      code: 'NOT_ALLOWED',
      change: { action: 'create' },
    })
  })
})
