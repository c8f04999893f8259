import { describe, expect, it } from 'vitest'
import { declaredJob, diffJob, isGatewayOwnedJob, planCronApply } from './cron-plan.js'
import { type CronJob, parseCronJob } from './cron-results.js'

const v3 = { protocol: 3, version: '2026.3.13' }
const v4 = { protocol: 4, version: '2026.9.6' }
const job = (raw: Record<string, unknown>): CronJob => parseCronJob(raw)!
const base = {
  schedule: { kind: 'every', everyMs: 60_000 },
  sessionTarget: 'main',
  wakeMode: 'now',
  payload: { kind: 'systemEvent', text: 'hi' },
}

describe('declaredJob', () => {
  it('drops what the gateway sets itself and orders keys stably', () => {
    const raw = {
      wakeMode: 'now',
      state: { nextRunAtMs: 1 },
      id: 'x',
      createdAtMs: 1,
      configRevision: 'sha',
      effectiveAgentId: 'main',
      payload: { text: 'hi', kind: 'systemEvent' },
      name: 'a',
      schedule: { everyMs: 5, kind: 'every' },
      sessionTarget: 'main',
    }
    const out = declaredJob(raw, v4)
    expect(JSON.stringify(out)).toBe(
      '{"name":"a","schedule":{"kind":"every","everyMs":5},"sessionTarget":"main","wakeMode":"now","payload":{"kind":"systemEvent","text":"hi"}}',
    )
    expect(declaredJob({ ...raw, declarationKey: 'k' }, v3)).not.toHaveProperty('declarationKey')
  })
})

describe('diffJob', () => {
  it('names each changed leaf; fields the file leaves out are not changes', () => {
    const current = {
      name: 'a',
      ...base,
      description: 'kept',
      schedule: { kind: 'every', everyMs: 1, anchorMs: 9 },
    }
    expect(diffJob(current, { name: 'a', schedule: { kind: 'every', everyMs: 2 } })).toEqual([
      { path: 'schedule.everyMs', before: 1, after: 2 },
    ])
    expect(diffJob(current, { schedule: { kind: 'cron', expr: '* * * * *' } })).toEqual([
      { path: 'schedule', before: current.schedule, after: { kind: 'cron', expr: '* * * * *' } },
    ])
    expect(diffJob({ a: [1, 2] }, { a: [1, 2] })).toEqual([])
    expect(diffJob({ a: [1, 2] }, { a: [2, 1] })).toHaveLength(1)
  })
})

describe('planCronApply', () => {
  const gw = [
    job({ id: '1', name: 'same', ...base }),
    job({ id: '2', name: 'changed', ...base }),
    job({ id: '3', name: 'extra', ...base }),
    job({
      id: '4',
      name: 'heartbeat-main',
      declarationKey: 'heartbeat:main',
      payload: { kind: 'heartbeat' },
    }),
  ]
  const file = [
    { name: 'same', ...base },
    { name: 'changed', ...base, payload: { kind: 'systemEvent', text: 'new' } },
    { name: 'fresh', ...base },
  ]

  it('plans create / update (only changed top-level fields) / unchanged; delete only with prune', () => {
    const plan = planCronApply(file, gw, v3)
    expect(plan.steps.map((s) => [s.action, s.name])).toEqual([
      ['unchanged', 'same'],
      ['update', 'changed'],
      ['create', 'fresh'],
    ])
    const update = plan.steps[1]!
    expect(update.action === 'update' && update.patch).toEqual({
      payload: { kind: 'systemEvent', text: 'new' },
    })
    const pruned = planCronApply(file, gw, v4, { prune: true })
    expect(pruned.steps.filter((s) => s.action === 'delete').map((s) => s.name)).toEqual(['extra'])
    expect(pruned.owned).toBe(1)
    const scoped = planCronApply(file, gw, v4, { prune: true, scope: 'ex' })
    expect(scoped.steps.filter((s) => s.action === 'delete').map((s) => s.name)).toEqual(['extra'])
    expect(planCronApply([], gw, v4, { prune: true, scope: 'nothing' }).steps).toEqual([])
  })

  it('matches by declarationKey where a job has one, and refuses duplicate names on the gateway', () => {
    const keyed = [job({ id: '9', name: 'old name', declarationKey: 'reports/a', ...base })]
    const plan = planCronApply([{ name: 'new name', declarationKey: 'reports/a', ...base }], keyed, v4)
    expect(plan.steps[0]).toMatchObject({ action: 'update', id: '9', patch: { name: 'new name' } })
    const dup = [job({ id: 'a', name: 'twin', ...base }), job({ id: 'b', name: 'twin', ...base })]
    const conflict = planCronApply([{ name: 'twin', ...base }], dup, v3)
    expect(conflict.conflicts[0]?.message).toMatch(/2 jobs on the gateway are named "twin" \(a, b\)/)
    expect(planCronApply([{ name: 'heartbeat-main' }], gw, v4).conflicts[0]?.message).toMatch(/owns/)
  })

  it('recognises the jobs a fresh 9.6 owns', () => {
    expect(isGatewayOwnedJob({ declarationKey: 'memory-core:memory-dreaming-promotion' })).toBe(true)
    expect(isGatewayOwnedJob({ declarationKey: 'skill-collection-review:main' })).toBe(true)
    expect(isGatewayOwnedJob({ description: '[managed-by=x] y' })).toBe(true)
    expect(isGatewayOwnedJob({ declarationKey: 'reports/a', payload: { kind: 'systemEvent' } })).toBe(false)
  })
})
