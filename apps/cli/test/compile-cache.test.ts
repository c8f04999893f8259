// The launcher (scripts/launcher/template.cjs) runs the bundle through V8's code cache: written by the first run,
// used by the next, refused and rewritten when damaged, never in the way when it cannot be written.
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, sandbox } from './helpers.js'

function setup() {
  const box = sandbox()
  const env = { ...box.env, CLAWLINK_DEBUG_STARTUP: '1' }
  const dir = join(box.home, '.cache', 'clawlink', 'v8')
  const caches = () => (existsSync(dir) ? readdirSync(dir) : [])
  return { box, env, dir, caches }
}

const line = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('startup: compile cache'))

describe('the compile cache', () => {
  it('is written by the first run and used by the next, with the same output', async () => {
    const { env, dir, caches } = setup()
    const first = await runCli(['--version'], env)
    expect(first.code).toBe(0)
    expect(line(first.stderr)).toEqual([
      'startup: compile cache missing',
      `startup: compile cache written ${join(dir, caches()[0] ?? '?')}`,
    ])
    expect(caches()).toHaveLength(1)
    expect(caches()[0]).toMatch(
      new RegExp(`^[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.bin$`),
    )
    const second = await runCli(['--version'], env)
    expect(line(second.stderr)).toEqual(['startup: compile cache used'])
    expect(second.stdout).toBe(first.stdout)
    expect(second.code).toBe(0)
  })

  it('is refused by V8 when damaged, and rewritten', async () => {
    const { env, dir, caches } = setup()
    await runCli(['--version'], env)
    const file = join(dir, caches()[0] ?? 'none')
    const good = readFileSync(file)
    writeFileSync(file, Buffer.alloc(good.length, 7))
    const damaged = await runCli(['help', 'cron'], env)
    expect(damaged.code).toBe(0)
    expect(damaged.stdout).toContain('cron')
    expect(line(damaged.stderr)).toEqual([
      'startup: compile cache rejected',
      `startup: compile cache written ${file}`,
    ])
    expect(readFileSync(file).equals(Buffer.alloc(good.length, 7))).toBe(false)
    expect(line((await runCli(['--version'], env)).stderr)).toEqual(['startup: compile cache used'])
  })

  it('does not get in the way where it cannot be written', async () => {
    // A file where the cache folder would go: the same for root (who may write anywhere) as for anyone.
    const { box, env } = setup()
    writeFileSync(join(box.home, '.cache'), 'not a folder')
    const run = await runCli(['--version'], env)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^clawlink /)
    expect(line(run.stderr)).toEqual([
      'startup: compile cache missing',
      'startup: compile cache not written (ENOTDIR)',
    ])
    expect(readFileSync(join(box.home, '.cache'), 'utf8')).toBe('not a folder')
  })

  it('keeps the newest six caches when it writes one (old builds and Node versions go)', async () => {
    const { env, dir, caches } = setup()
    mkdirSync(dir, { recursive: true })
    const old = Array.from({ length: 8 }, (_, i) => `${String(i).repeat(16)}-v0.0.${i}-x64.bin`)
    for (const [i, name] of old.entries()) {
      writeFileSync(join(dir, name), 'old')
      utimesSync(join(dir, name), new Date(2026, 0, 1 + i), new Date(2026, 0, 1 + i))
    }
    writeFileSync(join(dir, 'notes.txt'), 'not a cache')
    const run = await runCli(['--version'], env)
    expect(run.code).toBe(0)
    const kept = caches().sort()
    expect(kept).toHaveLength(7)
    expect(kept).toContain('notes.txt')
    // The new one and the five newest old ones.
    expect(kept.filter((n) => old.includes(n)).sort()).toEqual(old.slice(3).sort())
  })

  it('follows XDG_CACHE_HOME, and CLAWLINK_NO_COMPILE_CACHE=1 turns it off', async () => {
    const { box, env, caches } = setup()
    const xdg = join(box.home, 'xdg')
    await runCli(['--version'], { ...env, XDG_CACHE_HOME: xdg })
    expect(readdirSync(join(xdg, 'clawlink', 'v8'))).toHaveLength(1)
    expect(caches()).toEqual([])
    const off = await runCli(['--version'], { ...env, CLAWLINK_NO_COMPILE_CACHE: '1' })
    expect(off.code).toBe(0)
    expect(line(off.stderr)).toEqual(['startup: compile cache off'])
    expect(caches()).toEqual([])
  })
})
