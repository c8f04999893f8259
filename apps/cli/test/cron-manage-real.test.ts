import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createGatewayClient } from '@clawlink/client'
import { METHODS } from '@clawlink/protocol'
import { realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

const { gateways, skipReason } = realGatewaysOrSkip()

type Job = { id: string; name: string; enabled: boolean; [k: string]: unknown }

describe.skipIf(skipReason !== undefined)(
  `managing jobs on real gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    describe.concurrent.each(gateways.map((g) => [g.version, g] as const))('%s', (_version, gw) => {
      const box = sandbox(gw.token)
      const conn = ['--url', gw.url, '--token-file', box.tokenFile]
      const cli = (...args: string[]) => runCli([...args, ...conn], box.env)
      const file = (name: string, text: string) => {
        const path = join(box.home, name)
        writeFileSync(path, text)
        return path
      }
      const prefix = `manage-${gw.version}-${Date.now()}`
      /** This test's jobs as cron.list shows them (other tests may share the gateway). */
      const mine = async (of = prefix): Promise<Job[]> => {
        const r = await cli('cron', 'list', '--all', '--json')
        expect(r.code, r.stderr).toBe(EXIT.OK)
        return (JSON.parse(r.stdout).jobs as Job[]).filter((j) => j.name.startsWith(of))
      }
      const show = async (ref: string): Promise<Job> => {
        const r = await cli('cron', 'show', ref, '--json')
        expect(r.code, r.stderr).toBe(EXIT.OK)
        return JSON.parse(r.stdout).job
      }

      it('add, show, edit, enable, disable, rm round-trip', { timeout: 180_000 }, async () => {
        const name = `${prefix}-a`
        const yaml = file(
          'job.yaml',
          `# one job\nname: ${name}\nschedule:\n  kind: every\n  everyMs: 3600000\nsessionTarget: main\n` +
            `wakeMode: next-heartbeat\npayload:\n  kind: systemEvent\n  text: hello\nenabled: false\n`,
        )
        const added = await cli('automations', 'add', '-f', yaml, '--json')
        expect(added.code, added.stderr).toBe(EXIT.OK)
        const id = JSON.parse(added.stdout).job.id as string
        expect(await show(name)).toMatchObject({ id, name, enabled: false, schedule: { everyMs: 3_600_000 } })

        const patch = file(
          'patch.json5',
          `{\n  // every two hours\n  description: 'edited',\n  schedule: {kind: 'every', everyMs: 7200000},\n}\n`,
        )
        const edited = await cli('cron', 'edit', name, '-f', patch)
        expect(edited.code, edited.stderr).toBe(EXIT.OK)
        expect(await show(id)).toMatchObject({
          description: 'edited',
          schedule: { everyMs: 7_200_000 },
          enabled: false,
        })

        expect((await cli('cron', 'enable', name)).code).toBe(EXIT.OK)
        expect((await mine()).find((j) => j.id === id)?.enabled).toBe(true)
        expect((await cli('cron', 'disable', id)).code).toBe(EXIT.OK)
        expect((await mine()).find((j) => j.id === id)?.enabled).toBe(false)

        // Off a terminal (stdin is a pipe here) rm must be told --yes; the job stays.
        const refused = await cli('cron', 'rm', name)
        expect(refused.code).toBe(EXIT.USAGE)
        expect(refused.stderr).toMatch(/--yes/)
        expect((await mine()).map((j) => j.id)).toContain(id)

        const removed = await cli('cron', 'rm', name, '--yes')
        expect(removed.code, removed.stderr).toBe(EXIT.OK)
        expect((await mine()).map((j) => j.id)).not.toContain(id)
        const again = await cli('cron', 'rm', id, '--yes')
        expect(again.code, again.stderr).toBe(EXIT.JOB_NOT_FOUND)
        expect((await cli('cron', 'show', `${prefix}-nope`)).code).toBe(EXIT.JOB_NOT_FOUND)
      })

      it('a bad file is refused with file:line:col (exit 3) and changes nothing', {
        timeout: 180_000,
      }, async () => {
        const name = `${prefix}-b`
        const job = file(
          'b.json',
          JSON.stringify({
            name,
            schedule: { kind: 'every', everyMs: 3_600_000 },
            sessionTarget: 'main',
            wakeMode: 'next-heartbeat',
            payload: { kind: 'systemEvent', text: 'b' },
            enabled: false,
          }),
        )
        expect((await cli('cron', 'add', '-f', job)).code).toBe(EXIT.OK)
        const before = await mine(name)

        const unknown = file(
          'unknown.yaml',
          `description: changed\npayload:\n  kind: systemEvent\n  text: x\n  colour: red\n`,
        )
        const r1 = await cli('cron', 'edit', name, '-f', unknown)
        expect(r1.code).toBe(EXIT.CONFIG)
        expect(r1.stderr).toContain(`${unknown}:5:3: unknown field "payload.colour"`)

        const syntax = file('syntax.json5', `{\n  name: "${prefix}-c",\n  enabled: false false\n}\n`)
        const r2 = await cli('cron', 'add', '-f', syntax)
        expect(r2.code).toBe(EXIT.CONFIG)
        expect(r2.stderr).toMatch(new RegExp(`${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: `))

        // A field only 9.x knows: refused by name on 3.13/5.7, before anything is sent.
        const v4only = file('v4only.yaml', `declarationKey: reports/b\n`)
        const r3 = await cli('cron', 'edit', name, '-f', v4only)
        if (gw.protocol === 3) {
          expect(r3.code).toBe(EXIT.CONFIG)
          expect(r3.stderr).toContain(`${v4only}:1:1: unknown field "declarationKey"`)
        } else {
          // v4 knows declarationKey on add but not in a patch (schema CronUpdateParams)
          expect(r3.code).toBe(EXIT.CONFIG)
          expect(r3.stderr).toContain('unknown field "declarationKey" (gateway protocol v4')
        }
        expect(await mine(name)).toEqual(before)
        expect((await cli('cron', 'rm', name, '--yes')).code).toBe(EXIT.OK)
      })

      it('the method records name the releases that list each method', async () => {
        const c = createGatewayClient({ url: gw.url, token: gw.token, connectTimeoutMs: 15_000 })
        try {
          const hello = await c.connect()
          for (const rec of Object.values(METHODS))
            expect([rec.name, hello.methods.includes(rec.name)]).toEqual([
              rec.name,
              (rec.versions as readonly string[]).includes(gw.version),
            ])
        } finally {
          await c.close()
        }
      })
    })
  },
)
