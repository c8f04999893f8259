import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentJobParams, gatewayConfig, mockModelConfig } from '../src/harness/index.js'
import { type MockModel, startMockModel } from '../src/model/server.js'

let model: MockModel
beforeAll(async () => {
  model = await startMockModel({ slowIntervalSeconds: 0.2 })
})
afterAll(() => model.close())

const TOOLS = [
  { type: 'function', function: { name: 'exec', parameters: { type: 'object', required: ['command'] } } },
  {
    type: 'function',
    function: {
      name: 'ls',
      parameters: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
    },
  },
]

function chat(body: unknown, signal?: AbortSignal) {
  return fetch(`${model.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  })
}

/** The `data:` payloads of an SSE answer, `[DONE]` as the string. */
async function chunks(res: Response): Promise<unknown[]> {
  const text = await res.text()
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)))
}

type Chunk = { object: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[] }

const user = (content: unknown) => ({ role: 'user', content })
const system = { role: 'system', content: 'gateway prompt [mock:http:500] in the system prompt is ignored' }

describe('mock model', () => {
  it('lists its one model', async () => {
    const res = await fetch(`${model.baseUrl}/models`)
    expect(await res.json()).toMatchObject({ data: [{ id: 'mock-1' }] })
  })

  it('answers ok by default, as chat.completion.chunk SSE then [DONE]', async () => {
    const res = await chat({ stream: true, messages: [system, user('hello')] })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const all = await chunks(res)
    expect(all.at(-1)).toBe('[DONE]')
    const data = all.slice(0, -1) as Chunk[]
    expect(data.every((c) => c.object === 'chat.completion.chunk')).toBe(true)
    expect(data[0]!.choices[0]!.delta).toMatchObject({
      role: 'assistant',
      content: 'OK from the mock model.',
    })
    expect(data.at(-1)!.choices[0]!.finish_reason).toBe('stop')
  })

  it('finds the marker in an earlier user message when a later one (internal context) has none', async () => {
    const res = await chat({
      messages: [system, user([{ type: 'text', text: '[cron:x] [mock:slow:1] go' }]), user('context')],
    })
    const deltas = ((await chunks(res)).slice(0, -1) as Chunk[]).filter((c) => c.choices[0]!.delta.content)
    expect(deltas.length).toBeGreaterThan(2)
  })

  it('asks for a read-only tool first, answers in text once the tool result is there', async () => {
    const first = (await chunks(await chat({ tools: TOOLS, messages: [user('[mock:tool] t1')] }))) as Chunk[]
    const call = first.find((c) => c.choices?.[0]?.delta.tool_calls)!.choices[0]!.delta.tool_calls as {
      function: { name: string; arguments: string }
    }[]
    expect(call[0]!.function.name).toBe('ls')
    expect(JSON.parse(call[0]!.function.arguments)).toEqual({ path: '.' })
    expect(first.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls')
    const second = (await chunks(
      await chat({
        tools: TOOLS,
        messages: [
          user('[mock:tool] t1'),
          { role: 'assistant', content: null },
          { role: 'tool', content: 'a b c' },
        ],
      }),
    )) as Chunk[]
    expect(second[0]!.choices[0]!.delta.content).toBe('The tool answered; all done.')
  })

  it('answers an HTTP error with an OpenAI-style body', async () => {
    const res = await chat({ messages: [user('[mock:http:503]')] })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: { type: 'server_error', code: 'mock_503' } })
  })

  it('hangs until the client goes away, then holds nothing open', async () => {
    const abort = new AbortController()
    const pending = chat({ messages: [user('[mock:hang] h1')] }, abort.signal)
    await expect.poll(() => model.stats().open).toBe(1)
    abort.abort()
    await expect(pending).rejects.toThrow()
    await expect.poll(() => model.stats().open).toBe(0)
    expect(model.stats().recent.find((r) => r.text.includes('h1'))?.end).toBe('closed')
  })

  it('sends one chat.completion for stream:false, refuses non-JSON and oversized bodies', async () => {
    const res = await chat({ stream: false, messages: [user('x')] })
    expect(await res.json()).toMatchObject({
      object: 'chat.completion',
      choices: [{ finish_reason: 'stop' }],
    })
    expect((await chat('{nope')).status).toBe(400)
    expect((await chat('x'.repeat(9 * 1024 * 1024))).status).toBe(413)
  })

  it('counts requests per behaviour over /_mock/stats', async () => {
    const stats = (await (await fetch(model.baseUrl.replace('/v1', '/_mock/stats'))).json()) as {
      byBehaviour: Record<string, number>
      toolRounds: number
    }
    expect(stats.byBehaviour).toMatchObject({ tool: 2, 'http:503': 1, hang: 1, slow: 1 })
    expect(stats.toolRounds).toBe(1)
  })
})

describe('mock model config and jobs', () => {
  it('gives 9.x utilityModel and the provider timeout, 3.13/5.7 neither; heartbeats stay off', () => {
    const url = 'http://127.0.0.1:1/v1'
    const newer = gatewayConfig('2026.9.6', 1, 't', '/x', mockModelConfig('2026.9.6', url))
    expect(newer).toMatchObject({
      cron: { maxConcurrentRuns: 8 },
      models: {
        catalogRefresh: { enabled: false },
        providers: { mock: { baseUrl: url, timeoutSeconds: 300 } },
      },
      agents: {
        defaults: { utilityModel: '', heartbeat: { every: '0m' }, model: { primary: 'mock/mock-1' } },
      },
    })
    for (const v of ['2026.3.13', '2026.5.7']) {
      const old = gatewayConfig(v, 1, 't', '/x', mockModelConfig(v, url)) as {
        models: { providers: { mock: object } }
        agents: { defaults: object }
      }
      expect(old.models.providers.mock).not.toHaveProperty('timeoutSeconds')
      expect(old.agents.defaults).not.toHaveProperty('utilityModel')
      expect(old.agents.defaults).toMatchObject({ heartbeat: { every: '0m' } })
    }
  })

  it('builds an isolated agent-turn job with the marker in its message', () => {
    expect(agentJobParams('j', { behaviour: 'slow:30', timeoutSeconds: 5, note: 'n' })).toEqual({
      name: 'j',
      schedule: { kind: 'every', everyMs: 86_400_000 },
      sessionTarget: 'isolated',
      wakeMode: 'now',
      payload: { kind: 'agentTurn', message: '[mock:slow:30] n', timeoutSeconds: 5 },
      delivery: { mode: 'none' },
    })
  })
})
