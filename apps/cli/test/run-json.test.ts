import { spawn } from 'node:child_process'
import type { FakeGateway } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it } from 'vitest'
import { BIN, fakeGatewayPerTest, runCli, runUnderTty } from './helpers.js'

// `cron run --json` failures carry the run's facts (issue 19), one test per exit code; the TTY status line and
// --follow as a user sees them (a pty from util-linux `script`).

const fake = fakeGatewayPerTest()

const jobIdOf = (gw: FakeGateway) => [...gw.jobs.values()][0]!.id

describe('cron run --json: every failure carries the run facts', () => {
  it('10 run failed: job, runId, status, error (as error.runError), durationMs', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'bad', outcome: 'error' }] })
    const r = await runCli(['cron', 'run', 'bad', '--wait', '--json', ...conn], box.env)
    expect(r.code).toBe(10)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({
      ok: false,
      error: { code: 'RUN_FAILED' },
      job: { id: jobIdOf(gw), name: 'bad' },
      outcome: 'finished',
      enqueued: true,
      succeeded: false,
      status: 'error',
    })
    expect(doc.runId).toMatch(/^manual:/)
    expect(typeof doc.durationMs).toBe('number')
    expect(typeof doc.error.runError).toBe('string')
    expect(doc).toHaveProperty('completionStatus')
    expect(doc.observedBy).toMatch(/^(event|poll)$/)
  })

  it('11 our --timeout: the runId, outcome timeout, the run goes on', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'slow', runDurationMs: 60_000 }] })
    const r = await runCli(['cron', 'run', 'slow', '--wait', '--timeout', '1s', '--json', ...conn], box.env)
    expect(r.code).toBe(11)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({
      ok: false,
      error: { code: 'WAIT_TIMEOUT' },
      outcome: 'timeout',
      enqueued: true,
      job: { id: jobIdOf(gw), name: 'slow' },
    })
    expect(doc.runId).toMatch(/^manual:/)
    expect(doc.error.remedy).toContain(`clawlink cron runs --follow ${jobIdOf(gw)}`)
  })

  it('13 already running: job, outcome not-run, reason', async () => {
    const { gw, conn, box } = await fake({ jobs: [{ name: 'busy', runDurationMs: 20_000 }] })
    expect((await runCli(['cron', 'run', 'busy', ...conn], box.env)).code).toBe(0)
    const r = await runCli(['cron', 'run', 'busy', '--json', ...conn], box.env)
    expect(r.code).toBe(13)
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_RUNNING' },
      job: { id: jobIdOf(gw), name: 'busy' },
      outcome: 'not-run',
      enqueued: false,
      runId: null,
      reason: 'already-running',
    })
  })

  it('130 Ctrl-C: the runId, outcome interrupted; with --follow the last line is the record', async () => {
    const { gw, conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'long', runDurationMs: 60_000 }] })
    const child = spawn(process.execPath, [BIN, 'cron', 'run', 'long', '--follow', '--json', ...conn], {
      env: box.env,
    })
    let stdout = ''
    let sent = false
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (!sent && stdout.includes('"type": "enqueued"')) sent = child.kill('SIGINT')
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(130)
    const lines = stdout.trimEnd().split('\n')
    const events = lines.slice(0, -1).map((l) => JSON.parse(l))
    expect(events.map((e) => e.type)).toContain('enqueued')
    const last = JSON.parse(lines.at(-1)!)
    expect(last).toMatchObject({
      ok: false,
      error: { code: 'INTERRUPTED' },
      outcome: 'interrupted',
      enqueued: true,
      job: { id: jobIdOf(gw), name: 'long' },
    })
    expect(last.runId).toMatch(/^manual:/)
    expect(last.error.message).toContain('goes on on the gateway')
    expect(last.error.remedy).toContain(`clawlink cron runs --follow ${jobIdOf(gw)}`)
  })

  it('--follow --json of a run that succeeds: event lines, then the record as the last line', async () => {
    const { conn, box } = await fake({ flavor: '5.7', jobs: [{ name: 'quick', runDurationMs: 300 }] })
    const r = await runCli(['cron', 'run', 'quick', '--follow', '--json', ...conn], box.env)
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.length).toBeGreaterThan(1)
    expect(lines.slice(0, -1).every((l) => typeof l.type === 'string')).toBe(true)
    expect(lines.at(-1)).toMatchObject({ ok: true, outcome: 'finished', job: { name: 'quick' } })
  })
})

const underTty = runUnderTty

describe('the live status line on a terminal', () => {
  it('is redrawn while the run goes on, then erased with the cursor shown again', async () => {
    const { conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'slowish', runDurationMs: 3500 }] })
    const tty = await underTty(['cron', 'run', 'slowish', '--wait', ...conn], box.env)
    const redraws = tty.split('\r\u001b[2K').length - 1
    expect(redraws).toBeGreaterThanOrEqual(3) // once a second at least, for a 3.5 s run
    expect(tty).toMatch(/⏱ [123] s · /)
    expect(tty).toContain('\u001b[?25l')
    // After the last drawing: the line erased, the cursor shown, then the result on a clean line.
    const tail = tty.slice(tty.lastIndexOf('⏱'))
    expect(tail).toMatch(/^⏱[^\r\n]*\r\u001b\[2K\u001b\[\?25h✓ slowish finished ok/)
    expect(tty).toMatch(/✓ slowish finished ok/)
  }, 30_000)

  it('TERM=dumb: plain progress lines, no cursor control; not a TTY or --json: no status line', async () => {
    const { conn, box } = await fake({ flavor: '9.6', jobs: [{ name: 'slowish', runDurationMs: 2500 }] })
    const dumb = await underTty(['cron', 'run', 'slowish', '--wait', ...conn], { ...box.env, TERM: 'dumb' })
    expect(dumb).not.toContain('\u001b')
    expect(dumb).toMatch(/… ⏱ \d+ s · /)
    const piped = await runCli(['cron', 'run', 'slowish', '--wait', ...conn], box.env)
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stderr).toBe('')
    const json = await underTty(['cron', 'run', 'slowish', '--wait', '--json', ...conn], box.env)
    expect(json).not.toContain('⏱')
    expect(json).not.toContain('\u001b[2K')
  }, 30_000)
})
