import { randomUUID } from 'node:crypto'
import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { afterEach, describe, expect, it } from 'vitest'
import { sandboxEnv } from './helpers.js'
import { pollTask, rawStdio } from './modern-stdio-helpers.js'

// A 2026-07-28 client on stdio runs a model-free job of a real 2026.9.6 gateway as a task, to its real outcome.
const { gateways, skipReason } = realGatewaysOrSkip(process.env, { versions: ['2026.9.6'] })
const gw = gateways[0]
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  while (closers.length) await closers.pop()!()
})

describe.skipIf(skipReason !== undefined || !gw)(`stdio tasks on a real gateway ${skipReason ?? ''}`, () => {
  it('create, tasks/get until it ends, the run as the plain call would report it', async () => {
    const name = `mcp-stdio-task-${randomUUID().slice(0, 8)}`
    const jobId = await addModelFreeJob(gw!, name)
    const box = sandboxEnv(gw!.token)
    const s = rawStdio(['--url', gw!.url, '--token-file', box.tokenFile], box.env)
    closers.push(s.close)
    const created = await s.request('tools/call', {
      name: 'run_cron_job',
      arguments: { job: name, wait: true },
    })
    expect(created.result, JSON.stringify(created)).toMatchObject({ resultType: 'task', status: 'working' })
    const seen = await pollTask(s, created.result?.taskId as string, 300)
    const last = seen.at(-1)!
    expect(last.result?.status, JSON.stringify(last)).toBe('completed')
    expect(last.result?.result).toMatchObject({
      structuredContent: { ok: true, outcome: 'finished', succeeded: true, job: { id: jobId, name } },
    })
  }, 120_000)
})
