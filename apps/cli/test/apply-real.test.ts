import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip()

type Job = { id: string; name: string; [k: string]: unknown }

describe.skipIf(skipReason !== undefined)(
  `cron export / apply on real gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    describe.concurrent.each(gateways.map((g) => [g.version, g] as const))('%s', (_version, gw) => {
      const box = sandbox(gw.token)
      const conn = ['--url', gw.url, '--token-file', box.tokenFile]
      const cli = (...args: string[]) => runCli([...args, ...conn], box.env)
      const prefix = `apply-${gw.version}-${Date.now()}-`
      const file = (name: string, text: string) => {
        const path = join(box.home, name)
        writeFileSync(path, text)
        return path
      }
      /** Every job on the gateway, whole (ids, state): what "nothing changed" is compared on. */
      const listAll = async (): Promise<Job[]> => {
        const r = await cli('call', 'cron.list', '--params', '{"includeDisabled":true,"limit":200}')
        expect(r.code, r.stderr).toBe(EXIT.OK)
        return (JSON.parse(r.stdout).jobs as Job[]).filter((j) => j.name.startsWith(prefix))
      }
      const job = (n: string, text: string) =>
        `  - name: ${prefix}${n}\n    enabled: false\n    schedule: {kind: cron, expr: "0 4 * * *", tz: Europe/Berlin}\n` +
        `    sessionTarget: main\n    wakeMode: now\n    payload: {kind: systemEvent, text: ${text}}\n`
      const scoped = ['--scope', prefix]

      it('export → apply is a no-op; a changed file applies exactly the plan; dry-run and a bad file change nothing; prune deletes only what it planned', {
        timeout: 120_000,
      }, async () => {
        const first = file('first.yaml', `jobs:\n${job('a', 'one')}${job('b', 'two')}${job('c', 'three')}`)
        const created = await cli('cron', 'apply', '-f', first, '--yes', '--json', ...scoped)
        expect(created.code, created.stderr).toBe(EXIT.OK)
        expect(JSON.parse(created.stdout).applied.map((s: { action: string }) => s.action)).toEqual([
          'create',
          'create',
          'create',
        ])

        const exported = join(box.home, 'export.yaml')
        const ex = await cli('cron', 'export', `${prefix}a`, `${prefix}b`, `${prefix}c`, '-o', exported)
        expect(ex.code, ex.stderr).toBe(EXIT.OK)
        const before = await listAll()
        const noop = await cli('cron', 'apply', '-f', exported, '--json', ...scoped)
        expect(noop.code, noop.stderr).toBe(EXIT.OK)
        expect(JSON.parse(noop.stdout).plan.map((s: { action: string }) => s.action)).toEqual([
          'unchanged',
          'unchanged',
          'unchanged',
        ])

        // b changes its text, c goes, d is new: the dry run names exactly that and changes nothing.
        const second = file('second.yaml', `jobs:\n${job('a', 'one')}${job('b', 'TWO')}${job('d', 'four')}`)
        const dry = await cli('cron', 'apply', '-f', second, '--dry-run', '--prune', '--json', ...scoped)
        expect(dry.code, dry.stderr).toBe(EXIT.OK)
        const plan = JSON.parse(dry.stdout).plan as { action: string; name: string; changes?: unknown }[]
        expect(plan.map((s) => [s.action, s.name.slice(prefix.length)])).toEqual([
          ['unchanged', 'a'],
          ['update', 'b'],
          ['create', 'd'],
          ['delete', 'c'],
        ])
        expect(plan[1]!.changes).toEqual([{ path: 'payload.text', before: 'two', after: 'TWO' }])
        expect(await listAll()).toEqual(before)

        // Off a terminal without --yes: refused, nothing written.
        const refused = await cli('cron', 'apply', '-f', second, ...scoped)
        expect(refused.code).toBe(EXIT.USAGE)
        expect(await listAll()).toEqual(before)

        const bad = file('bad.yaml', `jobs:\n${job('a', 'one')}    colour: red\n${job('a', 'dup')}`)
        const rb = await cli('cron', 'apply', '-f', bad, '--yes', ...scoped)
        expect(rb.code).toBe(EXIT.CONFIG)
        expect(rb.stderr).toContain(`${bad}:8:5: unknown field "colour"`)
        expect(rb.stderr).toMatch(/name ".*a" is also job 1's/)
        const badExpr = file(
          'expr.yaml',
          `jobs:\n${job('e', 'x').replace('0 4 * * *', '61 4 * * *').replace('Europe/Berlin', 'Mars/Olympus')}`,
        )
        const re = await cli('cron', 'apply', '-f', badExpr, '--yes', ...scoped)
        expect(re.code).toBe(EXIT.CONFIG)
        expect(re.stderr).toMatch(/:4:48: unknown time zone "Mars\/Olympus"/)
        expect(re.stderr).toMatch(/bad cron expression "61 4 \* \* \*"/)
        expect(await listAll()).toEqual(before)

        const applied = await cli('cron', 'apply', '-f', second, '--prune', '--yes', '--json', ...scoped)
        expect(applied.code, applied.stderr).toBe(EXIT.OK)
        const after = await listAll()
        const byName = (jobs: Job[]) => Object.fromEntries(jobs.map((j) => [j.name.slice(prefix.length), j]))
        const [was, now] = [byName(before), byName(after)]
        expect(Object.keys(now).sort()).toEqual(['a', 'b', 'd'])
        expect(now.a).toEqual(was.a) // unchanged: not written at all
        expect(now.b!.id).toBe(was.b!.id)
        expect(now.b!.payload).toMatchObject({ text: 'TWO' })
        const again = await cli('cron', 'apply', '-f', second, '--prune', '--json', ...scoped)
        expect(JSON.parse(again.stdout).plan.every((s: { action: string }) => s.action === 'unchanged')).toBe(
          true,
        )
        for (const j of after) expect((await cli('cron', 'rm', j.id, '--yes')).code).toBe(EXIT.OK)
      })
    })
  },
)
