import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { ensureOpenClaw, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// Jobs the official 2026.9.6 CLI creates — an agent turn with a time zone, a command job with a display name, a
// disabled staggered system event — round-trip through `cron export` and `cron apply` unchanged (issue 20).
const { gateways, skipReason } = realGatewaysOrSkip(process.env, { versions: ['2026.9.6'] })
const gw = gateways[0]

/** The official CLI on the gateway host: the gateway's own state dir and config (no URL, no token on argv). */
async function openclaw(args: string[]): Promise<string> {
  if (!gw) throw new Error('no 2026.9.6 gateway')
  const install = await ensureOpenClaw(gw.version)
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: join(gw.dir, 'home'),
    OPENCLAW_STATE_DIR: join(gw.dir, 'state'),
    OPENCLAW_CONFIG_PATH: join(gw.dir, 'state', 'openclaw.json'),
  }
  return new Promise((resolve, reject) => {
    execFile(install.node, [install.openclaw, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`openclaw ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    )
  })
}

describe.skipIf(skipReason !== undefined)(`jobs made by the official CLI ${skipReason ?? ''}`, () => {
  it('export → apply is a no-op; a re-created job from the file has the same fields', {
    timeout: 300_000,
  }, async () => {
    const prefix = `official-${Date.now()}-`
    await openclaw([
      ...['automations', 'create', '0 7 * * *', 'Summarize overnight updates.', '--name', `${prefix}brief`],
      ...[
        '--tz',
        'Europe/Berlin',
        '--session',
        'isolated',
        '--no-deliver',
        '--timeout-seconds',
        '120',
        '--json',
      ],
    ])
    await openclaw([
      ...['automations', 'create', '--every', '1h', '--name', `${prefix}probe`, '--command', 'echo hi'],
      ...['--display-name', 'Hourly probe', '--json'],
    ])
    await openclaw([
      ...[
        'automations',
        'create',
        '--cron',
        '*/15 * * * *',
        '--stagger',
        '2m',
        '--system-event',
        'Check the queue.',
      ],
      ...['--name', `${prefix}stagger`, '--session', 'main', '--disabled', '--json'],
    ])
    const box = sandbox(gw!.token)
    const cli = (...args: string[]) =>
      runCli([...args, '--url', gw!.url, '--token-file', box.tokenFile], box.env, 120_000)
    const file = join(box.home, 'official.yaml')
    const names = ['brief', 'probe', 'stagger'].map((n) => `${prefix}${n}`)
    const exported = await cli('cron', 'export', ...names, '-o', file)
    expect(exported.code, exported.stderr).toBe(EXIT.OK)

    const plan = await cli('cron', 'apply', '-f', file, '--dry-run', '--json', '--scope', prefix)
    expect(plan.code, plan.stderr).toBe(EXIT.OK)
    const steps = JSON.parse(plan.stdout).plan as { action: string; name: string }[]
    expect(steps.map((s) => [s.action, s.name])).toEqual(names.map((n) => ['unchanged', n]))

    // Remove one, apply the file: it comes back with the fields the official CLI gave it.
    const before = JSON.parse((await cli('cron', 'show', `${prefix}probe`, '--json')).stdout).job
    expect((await cli('cron', 'rm', `${prefix}probe`, '--yes')).code).toBe(EXIT.OK)
    const applied = await cli('cron', 'apply', '-f', file, '--yes', '--json', '--scope', prefix)
    expect(applied.code, applied.stderr).toBe(EXIT.OK)
    expect(JSON.parse(applied.stdout).applied.map((s: { action: string }) => s.action)).toEqual(['create'])
    const after = JSON.parse((await cli('cron', 'show', `${prefix}probe`, '--json')).stdout).job
    for (const key of ['name', 'displayName', 'enabled', 'sessionTarget', 'payload', 'delivery'])
      expect(after[key], key).toEqual(before[key])
    expect(after.schedule.everyMs).toBe(before.schedule.everyMs)

    for (const n of names) await cli('cron', 'rm', n, '--yes')
  })
})
