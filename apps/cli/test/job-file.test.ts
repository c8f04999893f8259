import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkCronJobFields } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT } from '../src/exit-codes.js'
import { readJobFile, refuseProblems } from '../src/job-file.js'

const dir = mkdtempSync(join(tmpdir(), 'clawlink-jobfile-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const thrown = (fn: () => unknown): CliError => {
  try {
    fn()
  } catch (error) {
    if (error instanceof CliError) return error
    throw error
  }
  throw new Error('did not throw')
}
const V313 = { protocol: 3, version: '2026.3.13' }

describe('job files', () => {
  it('reads one job from YAML and from JSON5 (comments, bare keys)', () => {
    const y = readJobFile(file('a.yaml', 'name: n\nschedule:\n  kind: every\n  everyMs: 60000\n'))
    expect(y.job).toEqual({ name: 'n', schedule: { kind: 'every', everyMs: 60000 } })
    const j = readJobFile(file('a.json5', "{\n  // c\n  name: 'n',\n  enabled: false,\n}\n"))
    expect(j.job).toEqual({ name: 'n', enabled: false })
  })

  it('a syntax error is exit 3 with file:line:col', () => {
    const bad = file('bad.json5', '{\n  name: "x"\n  enabled: true\n}\n')
    const e = thrown(() => readJobFile(bad))
    expect([e.exitCode, e.code]).toEqual([EXIT.CONFIG, 'JOB_FILE_INVALID'])
    expect(e.message).toMatch(new RegExp(`^${bad}:3:3: `))
    const y = file('bad.yaml', 'name: x\nschedule: [unclosed\n')
    expect(thrown(() => readJobFile(y)).message).toMatch(new RegExp(`^${y}:\\d+:\\d+: `))
    const dup = file('dup.yaml', 'name: x\nname: y\n')
    expect(thrown(() => readJobFile(dup)).message).toMatch(
      new RegExp(`^${dup}:2:1: .*[Mm]ap keys must be unique`),
    )
  })

  it('a file that is not one job is refused', () => {
    expect(thrown(() => readJobFile(file('list.yaml', '- a\n- b\n'))).exitCode).toBe(EXIT.CONFIG)
    expect(thrown(() => readJobFile(join(dir, 'missing.yaml'))).message).toMatch(/cannot read job file/)
  })

  it('unknown fields are named at their line and column, in both formats', () => {
    const y = readJobFile(
      file('u.yaml', 'name: x\npayload:\n  kind: systemEvent\n  text: t\n  colour: red\n'),
    )
    const e = thrown(() => refuseProblems(y, checkCronJobFields(y.job, V313, 'patch')))
    expect(e.message).toBe(`${y.path}:5:3: unknown field "payload.colour" (gateway protocol v3, 2026.3.13)`)
    const j = readJobFile(
      file('u.json5', '{\n  "name": "x",\n  schedule: { kind: "cron", expr: "* * * * *", zone: "UTC" },\n}'),
    )
    const e2 = thrown(() => refuseProblems(j, checkCronJobFields(j.job, V313, 'patch')))
    expect(e2.message).toMatch(new RegExp(`^${j.path}:3:48: unknown field "schedule.zone"`))
    expect(() => refuseProblems(j, [])).not.toThrow()
  })
})
