import type { FakeGatewayOptions } from '@clawlink/testkit/fake-gateway'
import { describe, expect, it } from 'vitest'
import { fakeGatewayPerTest, runCli, runUnderTty } from './helpers.js'

// `cron run --follow` and the status line against the fake gateway playing an agent run's live stream
// (text deltas, a tool call, a retry, hostile text, another run's text interleaved).

const fake = fakeGatewayPerTest()

const agentJob = (flavor: '9.6' | '3.13', error?: string): FakeGatewayOptions => ({
  flavor,
  jobs: [
    {
      name: 'writer',
      agent: {
        ...(error ? { error } : {}),
        steps: [
          { kind: 'text', chunks: ['Hello ', 'from the ', 'agent.\n'], overMs: 300 },
          { kind: 'foreign', chunks: ['NOT OURS'] },
          { kind: 'tool', name: 'ls', durationMs: 100 },
          { kind: 'retry', attempt: 3, max: 8, delayMs: 300, reason: 'HTTP 503' },
          { kind: 'text', chunks: ['evil\u001b]0;pwned\u0007', ' end\n'], overMs: 200 },
        ],
      },
    },
  ],
})

describe('cron run --follow against a streaming gateway', () => {
  it('9.6: text on stdout in order (escaped, newlines kept), tool and retry on stderr, then the result', async () => {
    const { conn, box } = await fake(agentJob('9.6'))
    const r = await runCli(['cron', 'run', 'writer', '--follow', ...conn], box.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Hello from the agent.\n')
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07 end\n')
    expect(r.stdout).not.toContain('NOT OURS')
    expect(r.stdout).not.toContain('\u001b')
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^✓ writer finished ok/)
    expect(r.stderr).toContain('→ tool ls')
    expect(r.stderr).toMatch(/↻ retrying 3\/8 in 0 s: HTTP 503/)
  })

  it('3.13: the text arrives too (no tool events on that version)', async () => {
    const { conn, box } = await fake(agentJob('3.13'))
    const r = await runCli(['cron', 'run', 'writer', '--follow', ...conn], box.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Hello from the agent.\n')
    expect(r.stdout).not.toContain('NOT OURS')
  })

  it('--json --follow: one object per line per event, the record last; a failed run exits 10', async () => {
    const { conn, box } = await fake(agentJob('9.6', 'model said 400'))
    const r = await runCli(['cron', 'run', 'writer', '--follow', '--json', ...conn], box.env)
    expect(r.code, r.stderr).toBe(10)
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    const types = lines.slice(0, -1).map((l) => l.type)
    for (const t of ['enqueued', 'model', 'text', 'tool', 'retrying']) expect(types).toContain(t)
    const text = lines.filter((l) => l.type === 'text').map((l) => l.delta)
    expect(text.join('')).toContain('Hello from the agent.\n')
    expect(text.join('')).not.toContain('NOT OURS')
    expect(lines.at(-1)).toMatchObject({
      ok: false,
      error: { code: 'RUN_FAILED', runError: 'model said 400' },
      outcome: 'finished',
      status: 'error',
    })
    expect(typeof lines.at(-1).runId).toBe('string')
    expect(r.stderr).toBe('')
  })
})

describe('the status line shows the phase of a streaming run', () => {
  it('on a terminal: tool, retry notice and characters written, then erased', async () => {
    const { conn, box } = await fake({
      flavor: '9.6',
      jobs: [
        {
          name: 'busy',
          agent: {
            steps: [
              { kind: 'tool', name: 'ls', durationMs: 1500 },
              { kind: 'retry', attempt: 3, max: 8, delayMs: 1500, reason: 'HTTP 503' },
              { kind: 'text', chunks: ['a'.repeat(700), 'b'.repeat(700)], overMs: 1500 },
              { kind: 'silence', ms: 1200 },
            ],
          },
        },
      ],
    })
    const tty = await runUnderTty(['cron', 'run', 'busy', '--wait', ...conn], box.env)
    expect(tty).toContain('tool ls')
    expect(tty).toContain('retrying 3/8 in 2 s: HTTP 503')
    expect(tty).toContain('1,400 chars written')
    expect(tty).not.toContain('aaaa') // the text itself is shown only with --follow
    const tail = tty.slice(tty.lastIndexOf('⏱'))
    expect(tail).toMatch(/^⏱[^\r\n]*\r\u001b\[2K\u001b\[\?25h✓ busy finished ok/)
  }, 30_000)
})
