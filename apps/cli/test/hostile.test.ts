import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { realGatewaysOrSkip } from '@clawlink/testkit/harness'
import {
  EVIL_REQUEST_ID,
  EVIL_TEXT,
  FAKE_SUCCESS,
  type HostileGateway,
  type HostileScenario,
  startHostileGateway,
  terminalControls,
} from '@clawlink/testkit/hostile-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { sandbox } from './helpers.js'
import { type MeasuredRun, runMeasured } from './hostile-run.js'

// The hostile-gateway suite (issue 10, docs/security.md): every scenario ends with its typed error and exit code,
// within its deadline, under 200 MiB, and nothing the gateway sent can drive the terminal.

const PEAK_MIB = 200
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {})
})

async function hostile(scenario: HostileScenario, upstream?: string): Promise<HostileGateway> {
  const gw = await startHostileGateway(scenario, upstream ? { upstream } : {})
  cleanups.push(() => gw.close())
  return gw
}

/** Runs `args` against `gw`, then checks the terminal-safety, memory and deadline bounds every case shares. */
async function cli(
  gw: HostileGateway,
  args: string[],
  deadlineMs: number,
  box = sandbox(gw.token),
): Promise<MeasuredRun> {
  const r = await runMeasured([...args, '--url', gw.url, '--token-file', box.tokenFile], box.env)
  const shown = `${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}`
  expect(terminalControls(r.stdout), shown).toEqual([])
  expect(terminalControls(r.stderr), shown).toEqual([])
  for (const line of `${r.stdout}${r.stderr}`.split('\n'))
    expect(line.startsWith(FAKE_SUCCESS), shown).toBe(false)
  expect(r.peakMiB, shown).toBeGreaterThan(10) // a real measurement
  expect(r.peakMiB, shown).toBeLessThan(PEAK_MIB)
  expect(r.ms, shown).toBeLessThan(deadlineMs)
  return r
}

/** The same command with --json: one valid document on stdout, escaped, with `ok` and the error code. */
async function cliJson(
  gw: HostileGateway,
  args: string[],
  deadlineMs: number,
  errorCode?: string,
  box = sandbox(gw.token),
) {
  const r = await cli(gw, [...args, '--json'], deadlineMs, box)
  const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; error?: { code: string } }
  expect(doc.ok).toBe(errorCode === undefined)
  if (errorCode) expect(doc.error?.code).toBe(errorCode)
  return { r, doc }
}

type Case = {
  scenario: HostileScenario
  exit: number
  /** The typed error's code in --json (undefined for a success). */
  code?: string
  /** --timeout given to `cron run`. */
  timeoutS?: number
}

// `cron run nightly --timeout T`: the whole command's deadline is T + 2 s (session.ts); we allow T + 5 s.
const RUN_CASES: Case[] = [
  { scenario: 'garbage-before-hello', exit: EXIT.OK },
  { scenario: 'binary-before-hello', exit: EXIT.OK },
  { scenario: 'oversized-before-hello', exit: EXIT.UNREACHABLE, code: 'CLOSED_BEFORE_HELLO' },
  { scenario: 'flood-before-hello', exit: EXIT.OK },
  { scenario: 'stall-before-challenge', exit: EXIT.TIMEOUT, code: 'DEADLINE_EXCEEDED', timeoutS: 3 },
  { scenario: 'stall-after-challenge', exit: EXIT.TIMEOUT, code: 'DEADLINE_EXCEEDED', timeoutS: 3 },
  { scenario: 'close-reason-escapes', exit: EXIT.UNREACHABLE, code: 'CLOSED_BEFORE_HELLO' },
  { scenario: 'error-escapes', exit: EXIT.GATEWAY_ERROR, code: 'GATEWAY_ERROR' },
  { scenario: 'evil-request-id', exit: EXIT.PAIRING_REQUIRED, code: 'PAIRING_REQUIRED' },
  { scenario: 'starting-forever', exit: EXIT.TIMEOUT, code: 'DEADLINE_EXCEEDED', timeoutS: 3 },
  { scenario: 'hello-protocol-99', exit: EXIT.GATEWAY_ERROR, code: 'INVALID_HELLO' },
  { scenario: 'huge-tick-interval', exit: EXIT.OK },
  { scenario: 'garbage-after-hello', exit: EXIT.OK },
  { scenario: 'binary-after-hello', exit: EXIT.OK },
  // A 25 MiB frame takes seconds to arrive and be refused on a loaded machine: a deadline that does not race it.
  { scenario: 'oversized-after-hello', exit: EXIT.GATEWAY_ERROR, code: 'RESPONSE_TOO_LARGE', timeoutS: 20 },
  { scenario: 'flood-after-hello', exit: EXIT.OK },
  { scenario: 'unknown-response-ids', exit: EXIT.TIMEOUT, code: 'DEADLINE_EXCEEDED', timeoutS: 3 },
  { scenario: 'stall-after-hello', exit: EXIT.TIMEOUT, code: 'DEADLINE_EXCEEDED', timeoutS: 3 },
  { scenario: 'close-after-hello-escapes', exit: EXIT.UNREACHABLE, code: 'CONNECTION_CLOSED' },
  { scenario: 'endless-paging', exit: EXIT.GATEWAY_ERROR, code: 'RESPONSE_TOO_LARGE', timeoutS: 10 },
]

describe('clawlink cron run against a hostile gateway', () => {
  it.each(
    RUN_CASES.map((c) => ({ ...c, title: `${c.scenario} → exit ${c.exit}${c.code ? ` ${c.code}` : ''}` })),
  )('$title', { timeout: 60_000 }, async (c) => {
    const timeoutS = c.timeoutS ?? 5
    const args = ['cron', 'run', 'nightly', '--timeout', `${timeoutS}s`]
    const deadline = (timeoutS + 5) * 1000
    const gw = await hostile(c.scenario)
    const r = await cli(gw, args, deadline)
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(c.exit)
    if (c.exit === EXIT.OK) expect(r.stdout.toString()).toMatch(/^enqueued nightly/)
    else expect(r.stderr.toString()).toMatch(/^clawlink: .*\nfix: .*\n$/)
    await cliJson(gw, args, deadline, c.code)
  })

  it('1013 forever: retries at most every 100 ms and stops at the deadline', {
    timeout: 30_000,
  }, async () => {
    const gw = await hostile('starting-forever')
    await cli(gw, ['cron', 'run', 'nightly', '--timeout', '3s'], 8000)
    expect(gw.connectionCount).toBeLessThanOrEqual(1 + (3000 + 2000) / 100)
  })

  it('tickIntervalMs 2^40: one connection, no timer overflow', async () => {
    const gw = await hostile('huge-tick-interval')
    const r = await cli(gw, ['cron', 'run', 'nightly', '--timeout', '5s'], 10_000)
    expect(r.code).toBe(EXIT.OK)
    expect(gw.connectionCount).toBe(1)
    expect(r.stderr.toString()).not.toMatch(/TimeoutOverflowWarning/)
  })

  it('a requestId made to run a shell command is never suggested as one', async () => {
    const gw = await hostile('evil-request-id')
    const r = await cli(gw, ['cron', 'run', 'nightly'], 10_000)
    expect(r.code).toBe(EXIT.PAIRING_REQUIRED)
    expect(r.stderr.toString()).not.toContain('curl')
    expect(r.stderr.toString()).toContain('openclaw devices list, then openclaw devices approve <requestId>')
    const { doc } = await cliJson(gw, ['cron', 'run', 'nightly'], 10_000, 'PAIRING_REQUIRED')
    expect(JSON.stringify(doc)).not.toContain(EVIL_REQUEST_ID)
  })
})

describe('gateway text with control characters and fake lines', () => {
  const TEXT_CASES: Array<[string[], number, string?]> = [
    [['cron', 'list'], EXIT.OK],
    [['cron', 'run', 'evil-name', '--wait', '--timeout', '10s'], EXIT.OK],
    [['cron', 'run', 'refused', '--timeout', '5s'], EXIT.GATEWAY_ERROR, 'GATEWAY_ERROR'],
    [['cron', 'runs', 'evil-name'], EXIT.OK],
    [['cron', 'list', '--debug'], EXIT.OK],
  ]
  it.each(TEXT_CASES)('%j → exit %i, escaped', { timeout: 60_000 }, async (args, exit, code) => {
    const gw = await hostile('hostile-text')
    const r = await cli(gw, args, 15_000)
    expect(r.code, r.stderr.toString()).toBe(exit)
    // The text is shown, escaped, not dropped.
    expect(`${r.stdout}${r.stderr}`).toContain('\\x1b]0;owned\\x07')
    if (!args.includes('--debug')) await cliJson(gw, args, 15_000, code)
  })

  it('--json keeps the exact gateway text, escaped by JSON', async () => {
    const gw = await hostile('hostile-text')
    const { doc } = await cliJson(gw, ['cron', 'list'], 10_000)
    const jobs = (doc as unknown as { jobs: Array<{ id: string; name: string }> }).jobs
    expect(jobs.find((j) => j.id === 'evil-name')?.name).toBe(EVIL_TEXT)
  })

  it('doctor shows a hostile handshake error escaped', async () => {
    const gw = await hostile('error-escapes')
    const box = sandbox(gw.token)
    expect((await runMeasured(['device', 'init'], box.env)).code).toBe(EXIT.OK)
    const r = await cli(gw, ['doctor'], 20_000, box)
    expect(r.code, r.stdout.toString()).toBe(EXIT.GATEWAY_ERROR)
    expect(r.stdout.toString()).toContain('\\x1b]0;owned')
    const json = await cli(gw, ['doctor', '--json'], 20_000, box)
    const doc = JSON.parse(json.stdout.toString()) as { ok: boolean; steps: Array<{ detail: string }> }
    expect(doc.ok).toBe(false)
    expect(doc.steps.map((s) => s.detail)).toContain(EVIL_TEXT)
  })

  it.each([
    ['cron', 'list'],
    ['cron', 'runs', 'bad-dates'],
    ['cron', 'status'],
  ])('out-of-range dates (1e20, -1e20): %s %s shows them as unknown', async (...args) => {
    const gw = await hostile('bad-dates')
    const r = await cli(gw, args, 10_000)
    expect(r.code, r.stderr.toString()).toBe(EXIT.OK)
    expect(r.stdout.toString()).not.toMatch(/Invalid|NaN|\+0{3,}/)
    await cliJson(gw, args, 10_000)
  })
})

/** The profile's stored device tokens (every value), as the file holds them. */
function storedTokens(clawlinkHome: string): string[] {
  const file = join(clawlinkHome, 'default', 'device-tokens.json')
  const data = JSON.parse(readFileSync(file, 'utf8')) as { tokens: Record<string, { token: string }> }
  return Object.values(data.tokens).map((t) => t.token)
}

/**
 * Pair a fresh profile with gateway A, then point it at a hostile B with `--url`, with A's token also in
 * OPENCLAW_GATEWAY_TOKEN and openclaw.json: B must get none of them, and replaying what it got to A must fail.
 */
async function tokenBinding(a: { url: string; token: string }, expectedRefusal: string) {
  const box = sandbox(a.token)
  const paired = await runMeasured(['cron', 'list', '--url', a.url, '--token-file', box.tokenFile], box.env)
  expect(paired.code, paired.stderr.toString()).toBe(EXIT.OK)
  const deviceTokens = storedTokens(box.env.CLAWLINK_HOME!)
  expect(deviceTokens.length).toBeGreaterThan(0)
  writeFileSync(
    box.configFile,
    JSON.stringify({ gateway: { auth: { token: a.token }, remote: { token: a.token } } }),
  )
  const env = { ...box.env, OPENCLAW_GATEWAY_TOKEN: a.token }
  const b = await hostile('relay', a.url)

  const r = await runMeasured(['cron', 'list', '--url', b.url], env)
  expect(r.code, r.stderr.toString()).toBe(EXIT.AUTH)
  expect(terminalControls(r.stderr)).toEqual([])

  const received = b.received().join('\n')
  expect(received).toContain('"method":"connect"') // B did see our connect
  for (const secret of [a.token, ...deviceTokens]) expect(received).not.toContain(secret)
  const relayed = b.relayed[0]!
  expect(relayed.connect).toBeDefined()
  const params = (relayed.connect?.params ?? {}) as { auth?: Record<string, unknown>; device?: unknown }
  expect(params.device).toBeDefined() // a signed device went to B: the relay carried a valid proof
  const auth = params.auth ?? {}
  expect(Object.keys(auth).filter((k) => auth[k] !== undefined)).toEqual([])
  // A's own answer to the replayed connect: a refusal, never a hello-ok.
  expect(relayed.answers).toHaveLength(1)
  expect(relayed.answers[0]).toMatchObject({ ok: false, error: { details: { code: expectedRefusal } } })
  expect(relayed.close?.code).toBe(1008)

  // The stored device token is still A's and still works there, without any shared secret.
  expect(storedTokens(box.env.CLAWLINK_HOME!)).toEqual(deviceTokens)
  const again = await runMeasured(['cron', 'list', '--url', a.url], box.env)
  expect(again.code, again.stderr.toString()).toBe(EXIT.OK)
}

describe('credentials bound to their gateway (relay, docs/protocol.md §5.6)', () => {
  it('fake gateway A: the hostile B gets no secret and its replay gets no session', {
    timeout: 60_000,
  }, async () => {
    const a = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    cleanups.push(() => a.close())
    await tokenBinding({ url: a.url, token: a.token! }, 'AUTH_TOKEN_MISSING')
    expect(a.connectionCount).toBeGreaterThanOrEqual(3)
  })

  const { gateways, skipReason } = realGatewaysOrSkip()
  const real = gateways.find((g) => g.version === '2026.9.6')
  it.skipIf(!real)(
    `real 2026.9.6 gateway A${real ? '' : ` (${skipReason ?? 'not running'})`}: same`,
    { timeout: 120_000 },
    async () => {
      await tokenBinding(real!, 'AUTH_TOKEN_MISSING')
    },
  )
})
