/** openclaw.json keys that point a gateway's agent turns at the mock model (docs/shared TOOLING §16). */
import { nodeMajorFor } from './install.js'

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)

/** Deep-merges plain objects (`extra` wins; arrays and scalars are replaced, not merged). */
export function mergeConfig(base: Json, extra: Json): Json {
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(extra)) {
    out[key] = isObject(value) && isObject(out[key]) ? mergeConfig(out[key] as Json, value) : value
  }
  return out
}

/**
 * The provider `mock` (model `mock/mock-1`) at `baseUrl` as every agent's model. 2026.9.x also gets
 * `utilityModel: ""` (no side calls) and the provider's `timeoutSeconds`; 3.13/5.7 reject those keys. Every
 * version runs up to 8 cron jobs at once (`cron.maxConcurrentRuns`): the drop, agent and CLI suites share a pool
 * gateway in CI, and a run queued behind busy slots is invisible to the lost-answer check (docs/testing.md).
 */
export function mockModelConfig(version: string, baseUrl: string): Json {
  const newer = nodeMajorFor(version) === 24
  const model = {
    id: 'mock-1',
    name: 'Mock 1',
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128000,
    maxTokens: 4096,
  }
  const provider: Json = {
    baseUrl,
    apiKey: 'mock-model-key',
    api: 'openai-completions',
    ...(newer ? { timeoutSeconds: 300 } : {}),
    models: [model],
  }
  return {
    // 3.13/5.7 run one cron job at a time by default, and every version one agent turn at a time
    // (`agents.defaults.maxConcurrent`, default 1): a long agent run would hold every other test's run back.
    cron: { maxConcurrentRuns: 8 },
    models: { mode: 'merge', providers: { mock: provider } },
    agents: {
      defaults: {
        model: { primary: 'mock/mock-1', fallbacks: [] },
        maxConcurrent: 8,
        ...(newer ? { utilityModel: '' } : {}),
        heartbeat: { every: '0m' },
      },
    },
  }
}
