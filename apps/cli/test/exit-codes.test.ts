import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type FakeGateway, type FakeGatewayOptions, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { fileState, runCli, sandbox } from './helpers.js'

// The exit codes exactly as docs/errors.md documents them ("CLI exit codes" table, read at test time): this test
// pins the documented numbers, not whatever the table in src/exit-codes.ts says.
const KINDS = {
  OK: 'success',
  INTERNAL: 'internal error',
  USAGE: 'usage',
  CONFIG: 'config',
  SIGNER: 'signer / key',
  UNREACHABLE: 'unreachable',
  AUTH: 'auth',
  PAIRING_REQUIRED: 'pairing required',
  MISSING_SCOPE: 'missing scope',
  JOB_NOT_FOUND: 'job not found',
  RUN_FAILED: 'run failed',
  TIMEOUT: 'timeout',
  PROTOCOL_MISMATCH: 'protocol mismatch',
  ALREADY_RUNNING: 'already running',
  JOB_AMBIGUOUS: 'ambiguous job name',
  RATE_LIMITED: 'rate limited',
  GATEWAY_ERROR: 'other gateway error',
  TLS: 'TLS / insecure URL',
  MISSED_FIRES: 'missed fires',
  AUDIT_CHAIN_BROKEN: 'audit chain broken',
  INTERRUPTED: 'interrupted',
} as const
const documented = (() => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const table = doc.slice(doc.indexOf('## CLI exit codes'))
  const byKind = new Map<string, number>()
  for (const m of table.matchAll(/^\| (\d+) \| ([^|]+?) \|/gm)) byKind.set(m[2]!, Number(m[1]))
  return byKind
})()
const DOC = Object.fromEntries(
  Object.entries(KINDS).map(([key, kind]) => {
    const code = documented.get(kind)
    if (code === undefined) throw new Error(`docs/errors.md documents no exit code for "${kind}"`)
    return [key, code]
  }),
) as Record<keyof typeof KINDS, number>

const gateways: FakeGateway[] = []
afterEach(async () => {
  while (gateways.length) await gateways.pop()!.close()
})

async function fake(options: FakeGatewayOptions = {}) {
  const gw = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }], ...options })
  gateways.push(gw)
  const box = sandbox(gw.token ?? 'none')
  return { gw, box, conn: ['--url', gw.url, '--token-file', box.tokenFile] }
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

function expectOneLineError(stderr: string) {
  const lines = stderr.trim().split('\n')
  expect(lines[0]).toMatch(/^clawlink: /)
  expect(lines[1]).toMatch(/^fix: /)
  expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
}

describe('one test per exit code', () => {
  it(`0 ok: cron run by name`, async () => {
    const { conn, box } = await fake()
    const r = await runCli(['cron', 'run', 'nightly', ...conn], box.env)
    expect(r.code, r.stderr).toBe(DOC.OK)
    expect(r.stdout).toMatch(/^enqueued nightly/)
  })

  it(`2 usage: unknown flag, missing job, --token with a value`, async () => {
    const box = sandbox()
    for (const args of [
      ['cron', 'run', 'x', '--bogus'],
      ['cron', 'run'],
      ['cron', 'run', 'x', '--token', 'abc'],
      ['frobnicate'],
    ]) {
      const r = await runCli(args, box.env)
      expect(r.code, args.join(' ')).toBe(DOC.USAGE)
      expectOneLineError(r.stderr)
      expect(r.stderr).not.toContain('abc')
    }
  })

  it(`3 config: corrupt openclaw.json, file unchanged`, async () => {
    const box = sandbox()
    writeFileSync(box.configFile, '{ gateway: { port: 1, } oops }')
    const before = fileState(box.configFile)
    const r = await runCli(['cron', 'list'], box.env)
    expect(r.code).toBe(DOC.CONFIG)
    expectOneLineError(r.stderr)
    expect(r.stderr).toContain(`${box.configFile}:1:`)
    expect(fileState(box.configFile)).toBe(before)
  })

  it(`4 signer: corrupt and group-readable key files, untouched`, async () => {
    const { conn, box } = await fake()
    mkdirSync(join(box.keyFile, '..'), { recursive: true })
    writeFileSync(box.keyFile, '{"version":1,"algorithm":"ed25519","seed":"tru', { mode: 0o600 })
    const before = fileState(box.keyFile)
    const r = await runCli(['cron', 'list', ...conn], box.env)
    expect(r.code).toBe(DOC.SIGNER)
    expectOneLineError(r.stderr)
    expect(fileState(box.keyFile)).toBe(before)
    writeFileSync(box.keyFile, '{}')
    chmodSync(box.keyFile, 0o644)
    const insecure = await runCli(['cron', 'list', ...conn], box.env)
    expect(insecure.code).toBe(DOC.SIGNER)
    expect(insecure.stderr).toContain(`fix: chmod 600 ${box.keyFile}`)
  })

  it(`5 unreachable: a closed port fails fast`, async () => {
    const box = sandbox('t')
    // A hang would be killed by runCli's deadline and show as code -1, not 5.
    const r = await runCli(
      ['cron', 'list', '--url', `ws://127.0.0.1:${await closedPort()}`, '--token-file', box.tokenFile],
      box.env,
      20_000,
    )
    expect(r.code).toBe(DOC.UNREACHABLE)
    expectOneLineError(r.stderr)
    expect(r.stderr).toMatch(/gateway running|refused/i)
  })

  it(`6 auth: wrong token, no secret echoed`, async () => {
    const { gw, box } = await fake()
    writeFileSync(box.tokenFile, 'wrong-token-value\n')
    const r = await runCli(['cron', 'list', '--url', gw.url, '--token-file', box.tokenFile], box.env)
    expect(r.code).toBe(DOC.AUTH)
    expectOneLineError(r.stderr)
    expect(r.stderr).not.toContain('wrong-token-value')
    expect(r.stderr).toMatch(/token/)
  })

  it(`7 pairing required: the approve command with the requestId`, async () => {
    const { conn, box } = await fake({ autoPair: false })
    const r = await runCli(['cron', 'run', 'nightly', ...conn], box.env)
    expect(r.code).toBe(DOC.PAIRING_REQUIRED)
    expect(r.stderr).toMatch(/fix: .*openclaw devices approve [\w-]+/)
  })

  it(`8 missing scope: token-only on a v3 gateway explains the cleared scopes`, async () => {
    const { conn, box } = await fake({ flavor: '5.7' })
    const r = await runCli(['cron', 'run', 'nightly', '--signer', 'none', ...conn], box.env)
    expect(r.code).toBe(DOC.MISSING_SCOPE)
    expect(r.stderr).toMatch(/device/)
  })

  it(`9 job not found: closest names suggested`, async () => {
    const { conn, box } = await fake()
    const r = await runCli(['cron', 'run', 'nigthly', ...conn], box.env)
    expect(r.code).toBe(DOC.JOB_NOT_FOUND)
    expect(r.stderr).toMatch(/did you mean "nightly"\?/i)
  })

  it(`10 run failed: --wait on a failing job`, async () => {
    const { conn, box } = await fake({ jobs: [{ name: 'broken', outcome: 'error' }] })
    const r = await runCli(['cron', 'run', 'broken', '--wait', '--timeout', '20s', ...conn], box.env)
    expect(r.code, r.stderr).toBe(DOC.RUN_FAILED)
    expect(r.stderr).toMatch(/finished with status error/)
  })

  it(`11 timeout: the gateway never answers cron.run`, async () => {
    const { gw, conn, box } = await fake()
    gw.setFault({ kind: 'no-response', method: 'cron.run' })
    const r = await runCli(['cron', 'run', 'nightly', '--timeout', '2s', ...conn], box.env)
    expect(r.code).toBe(DOC.TIMEOUT)
    expectOneLineError(r.stderr)
  })

  it(`12 protocol mismatch`, async () => {
    const { conn, box } = await fake({ fault: { kind: 'protocol-mismatch' } })
    const r = await runCli(['cron', 'list', ...conn], box.env)
    expect(r.code).toBe(DOC.PROTOCOL_MISMATCH)
    expect(r.stderr).toMatch(/protocol mismatch/)
  })

  it(`13 already running`, async () => {
    const { conn, box } = await fake({ jobs: [{ name: 'busy', runDurationMs: 20_000 }] })
    expect((await runCli(['cron', 'run', 'busy', ...conn], box.env)).code).toBe(DOC.OK)
    const r = await runCli(['cron', 'run', 'busy', ...conn], box.env)
    expect(r.code).toBe(DOC.ALREADY_RUNNING)
  })

  it(`14 ambiguous name: lists the ids`, async () => {
    const { conn, box } = await fake({
      jobs: [
        { name: 'twin', id: 'id-a' },
        { name: 'twin', id: 'id-b' },
      ],
    })
    const r = await runCli(['cron', 'run', 'twin', ...conn], box.env)
    expect(r.code).toBe(DOC.JOB_AMBIGUOUS)
    expect(r.stderr).toMatch(/id-a.*id-b/)
  })

  it(`15 rate limited`, async () => {
    const { gw, conn, box } = await fake()
    gw.setFault({ kind: 'rate-limited', method: 'cron.run', retryAfterMs: 42_000 })
    const r = await runCli(['cron', 'run', 'nightly', ...conn], box.env)
    expect(r.code).toBe(DOC.RATE_LIMITED)
    expect(r.stderr).toMatch(/42 s/)
  })

  it(`16 other gateway error: invalid params from the gateway`, async () => {
    const { conn, box } = await fake()
    const r = await runCli(['call', 'cron.run', '--params', '{"name":"x"}', ...conn], box.env)
    expect(r.code).toBe(DOC.GATEWAY_ERROR)
  })

  it(`17 TLS/insecure: plain ws:// to a public host is refused before connecting`, async () => {
    const box = sandbox('t')
    const r = await runCli(
      ['cron', 'list', '--url', 'ws://203.0.113.7:18789', '--token-file', box.tokenFile],
      box.env,
    )
    expect(r.code).toBe(DOC.TLS)
    expect(r.stderr).toMatch(/clear|insecure|plaintext/i)
  })

  it('--json puts one error document on stdout', async () => {
    const { conn, box } = await fake()
    const r = await runCli(['cron', 'run', 'nope', '--json', ...conn], box.env)
    expect(r.code).toBe(DOC.JOB_NOT_FOUND)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'JOB_NOT_FOUND' } })
  })
})

describe('the exit-code table', () => {
  it('src/exit-codes.ts says what docs/errors.md documents', async () => {
    const { EXIT } = await import('../src/exit-codes.js')
    expect(EXIT).toEqual(DOC)
  })
})
