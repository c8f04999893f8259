import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, runCli, sandbox } from './helpers.js'

// `clawlink cron runs --follow` against the fake gateway: runs triggered by another process, a gateway restart
// in the middle, Ctrl-C at the end (exit 0, nothing on stderr but the feed's own notices).

const gateways: FakeGateway[] = []
const children: ChildProcessWithoutNullStreams[] = []
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await Promise.all(gateways.splice(0).map((g) => g.close()))
})

/** A running `cron runs --follow`; `until` waits for its stdout to match. */
function startFeed(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'cron', 'runs', '--follow', ...args], { env })
  children.push(child)
  const seen = { stdout: '', stderr: '' }
  child.stdout.on('data', (d: Buffer) => {
    seen.stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    seen.stderr += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const until = async (test: (s: typeof seen) => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 20_000
    while (!test(seen)) {
      if (Date.now() > deadline) throw new Error(`never saw ${what}: ${JSON.stringify(seen)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return { child, seen, exited, until }
}

describe('cron runs --follow', () => {
  it('--json: started and finished lines of a run triggered elsewhere; Ctrl-C ends it with exit 0', async () => {
    const gw = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly', runDurationMs: 300 }] })
    gateways.push(gw)
    const box = sandbox(gw.token)
    const conn = ['--url', gw.url, '--token-file', box.tokenFile]
    const feed = startFeed(['nightly', '--json', ...conn], box.env)
    await feed.until(() => gw.requests('cron.list').length > 0, 'the feed connect')
    // The feed has resolved the job and subscribed once it has asked for the job list.
    await new Promise((r) => setTimeout(r, 300))
    const run = await runCli(['cron', 'run', 'nightly', '--json', ...conn], box.env)
    expect(run.code, run.stderr).toBe(0)
    const runId = JSON.parse(run.stdout).runId
    await feed.until((s) => s.stdout.includes('"type": "finished"'), 'the finished line')
    feed.child.kill('SIGINT')
    expect(await feed.exited).toBe(0)
    const lines = feed.seen.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    const jobId = [...gw.jobs.values()][0]!.id
    expect(lines[0]).toMatchObject({ type: 'started', job: { id: jobId } })
    expect([null, runId]).toContain(lines[0].runId) // a started event without a runId shows null
    expect(lines[1]).toMatchObject({
      type: 'finished',
      job: { id: jobId },
      runId,
      status: 'ok',
      succeeded: true,
    })
    expect(typeof lines[1].durationMs).toBe('number')
    expect(feed.seen.stderr).toBe('')
  })

  it('a gateway restart: it says it lost the connection and is back, then shows the next run', async () => {
    const gw = await startFakeGateway({ flavor: '5.7', jobs: [{ name: 'hourly', runDurationMs: 200 }] })
    gateways.push(gw)
    const box = sandbox(gw.token)
    const conn = ['--url', gw.url, '--token-file', box.tokenFile]
    const feed = startFeed(conn, box.env)
    await feed.until(() => gw.requests('connect').length > 0, 'the feed connect')
    await new Promise((r) => setTimeout(r, 300))
    await gw.restart(500)
    await feed.until((s) => /reconnected/.test(s.stderr), 'the reconnect notice')
    expect(feed.seen.stderr).toMatch(/connection lost/)
    const run = await runCli(['cron', 'run', 'hourly', ...conn], box.env)
    expect(run.code, run.stderr).toBe(0)
    await feed.until((s) => /✓ hourly ok/.test(s.stdout), 'the finished line')
    expect(feed.seen.stdout).toMatch(/▶ hourly started/)
    feed.child.kill('SIGINT')
    expect(await feed.exited).toBe(0)
  })

  it('a job that does not exist fails at once with exit 9; more than one job is a usage error', async () => {
    const gw = await startFakeGateway({ flavor: '9.6', jobs: [{ name: 'nightly' }] })
    gateways.push(gw)
    const box = sandbox(gw.token)
    const conn = ['--url', gw.url, '--token-file', box.tokenFile]
    expect((await runCli(['cron', 'runs', '--follow', 'nope', ...conn], box.env)).code).toBe(9)
    expect((await runCli(['cron', 'runs', '--follow', 'a', 'b', ...conn], box.env)).code).toBe(2)
  })
})
