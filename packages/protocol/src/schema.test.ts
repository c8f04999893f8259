import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import {
  buildCronAddParams,
  buildCronGetParams,
  buildCronListParams,
  buildCronRemoveParams,
  buildCronRunParams,
  buildCronRunsParams,
  buildCronUpdateParams,
  buildDeviceTokenParams,
  buildPairRequestParams,
  checkCronJobFields,
  METHODS,
  requiredScope,
  V4_METHODS,
} from './index.js'
import { methodScopes } from './methods.js'

// The official v4 schema (@openclaw/gateway-protocol, a dev dependency): an oracle we did not write.
const here = dirname(fileURLToPath(import.meta.url))
const pkgDir = join(here, '../node_modules/@openclaw/gateway-protocol')
const schema = JSON.parse(readFileSync(join(pkgDir, 'protocol.schema.json'), 'utf8')) as {
  $id: string
  methods: Record<string, { scope: string; since: string }>
  definitions: Record<string, unknown>
}
const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema(schema)

const defName = (method: string) =>
  `${method
    .split(/[.-]/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Params`

/** Schema errors of `params` as the params of `method`, or [] when they validate. */
function schemaErrors(method: string, params: unknown): string[] {
  const validate = ajv.getSchema(`${schema.$id}#/definitions/${defName(method)}`)
  if (!validate) throw new Error(`the schema has no ${defName(method)}`)
  return validate(params) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

const V96 = { protocol: 4, version: '2026.9.6' }
const job = {
  name: 'nightly',
  schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
  sessionTarget: 'isolated',
  wakeMode: 'now',
  payload: { kind: 'agentTurn', message: 'summarise the day' },
  enabled: false,
}

/** Every request clawlink builds, as built for 2026.9.6. */
const REQUESTS: [string, unknown][] = [
  ['cron.list', buildCronListParams({ includeDisabled: true, limit: 200, offset: 0, query: 'n' })],
  ['cron.list', buildCronListParams({ enabled: 'enabled', sortBy: 'name', sortDir: 'asc' })],
  ['cron.get', buildCronGetParams('job-1')],
  ['cron.status', METHODS['cron.status'].build!()],
  ['cron.runs', buildCronRunsParams({ id: 'job-1', limit: 20, sortDir: 'desc' })],
  ['cron.runs', buildCronRunsParams({ limit: 5, offset: 10, status: 'error' })],
  ['cron.run', buildCronRunParams({ id: 'job-1', mode: 'due' })],
  ['cron.run', buildCronRunParams({ jobId: 'job-1', mode: 'if-enabled' })],
  ['cron.add', buildCronAddParams(job, V96)],
  [
    'cron.add',
    buildCronAddParams({ ...job, declarationKey: 'reports/nightly', displayName: 'Nightly' }, V96),
  ],
  ['cron.update', buildCronUpdateParams('job-1', { enabled: true }, V96)],
  ['cron.update', buildCronUpdateParams('job-1', { schedule: { kind: 'every', everyMs: 60_000 } }, V96)],
  ['cron.remove', buildCronRemoveParams('job-1')],
  ['device.pair.list', METHODS['device.pair.list'].build!()],
  ['device.pair.approve', buildPairRequestParams('req-1')],
  ['device.pair.reject', buildPairRequestParams('req-1')],
  ['device.token.rotate', buildDeviceTokenParams('a'.repeat(64), 'operator')],
  ['device.token.revoke', buildDeviceTokenParams('a'.repeat(64), 'operator')],
]

describe('the official v4 schema', () => {
  it('the checked-in v4 table is the one generated from the schema', () => {
    const script = join(here, '../../../scripts/gen-v4-scopes.mjs')
    // exits 1 (and throws here) when v4-scopes.ts differs from what the schema yields
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow()
    expect(Object.keys(V4_METHODS)).toHaveLength(Object.keys(schema.methods).length)
  })

  it.each(REQUESTS.map(([m, p], i) => [`${m} #${i}`, m, p] as const))(
    'the %s params validate',
    (_label, method, params) => {
      expect(schemaErrors(method, params)).toEqual([])
    },
  )

  it('the oracle refuses what the gateway would (so the checks above can fail)', () => {
    expect(schemaErrors('cron.run', { id: 'j', mode: 'sometimes' })).not.toEqual([])
    expect(schemaErrors('cron.add', { ...job, nope: 1 })).not.toEqual([])
  })

  it('every method clawlink calls exists in v4 where its record says 2026.9.6 has it', () => {
    for (const rec of Object.values(METHODS))
      expect(rec.versions.includes('2026.9.6')).toBe(rec.name in schema.methods)
  })

  it('v4 scopes are the schema scopes; v3 keeps the 3.13 table', () => {
    const v4 = methodScopes(4)
    for (const [name, { scope }] of Object.entries(schema.methods)) expect(v4[name]).toBe(scope)
    // the disagreements of the old single table, now right for v4 and unchanged for v3
    expect([METHODS.health.scopes.v4, METHODS.health.scopes.v3]).toEqual(['operator.read', null])
    // …but every real gateway (9.6 included) answers health on a socket holding no scope: never pre-checked
    expect([requiredScope('health', 4), requiredScope('health', 3)]).toEqual([undefined, undefined])
    expect(requiredScope('sessions.subscribe', 4)).toBe('operator.read')
    expect(requiredScope('sessions.subscribe', 3)).toBe('operator.admin')
    expect(requiredScope('device.pair.rename', 4)).toBe('operator.pairing')
    expect(requiredScope('cron.run', 4)).toBe('operator.admin')
    expect(requiredScope('cron.list', 3)).toBe('operator.read')
  })

  it('a field the schema does not know is refused by name, not dropped', () => {
    expect(() => buildCronAddParams({ ...job, colour: 'red' }, V96)).toThrow(/unknown field "colour"/)
    const nested = checkCronJobFields(
      { ...job, schedule: { kind: 'cron', expr: '* * * * *', zone: 'x' } },
      V96,
      'add',
    )
    expect(nested.map((p) => p.path.join('.'))).toEqual(['schedule.zone'])
  })
})

describe('v3 job shapes (2026.3.13, 2026.5.7)', () => {
  const v313 = { protocol: 3, version: '2026.3.13' }
  const v57 = { protocol: 3, version: '2026.5.7' }
  it('refuses the 9.x fields by name', () => {
    const problems = checkCronJobFields({ ...job, declarationKey: 'k', pacing: { min: '1m' } }, v57, 'add')
    expect(problems.map((p) => p.path.join('.'))).toEqual(['declarationKey', 'pacing'])
    expect(() => buildCronUpdateParams('j', { trigger: { script: 'x' } }, v313)).toThrow(/"trigger"/)
  })
  it('payload.toolsAllow: 5.7 knows it, 3.13 does not', () => {
    const withTools = { ...job, payload: { kind: 'agentTurn', message: 'm', toolsAllow: ['read'] } }
    expect(checkCronJobFields(withTools, v57, 'add')).toEqual([])
    expect(checkCronJobFields(withTools, v313, 'add').map((p) => p.path.join('.'))).toEqual([
      'payload.toolsAllow',
    ])
  })
  it('gateway-owned fields and unknown kinds are named', () => {
    const problems = checkCronJobFields({ ...job, id: 'x', schedule: { kind: 'stream' } }, v313, 'add')
    expect(problems.map((p) => p.message)).toEqual([
      'field "id" is set by the gateway, not by a job file',
      'schedule.kind must be one of: at, every, cron (gateway protocol v3, 2026.3.13)',
    ])
  })
})
