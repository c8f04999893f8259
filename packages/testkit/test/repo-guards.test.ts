// The two guards CI runs over the whole repository (scripts/test.sh): scripts/check-cycles.mjs fails on an import
// circle, scripts/test-summary.mjs on a shrunk test count. Each is run here on a small tree of its own.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const scripts = new URL('../../../scripts/', import.meta.url).pathname
const trees: string[] = []
afterEach(() => {
  for (const t of trees.splice(0)) rmSync(t, { recursive: true, force: true })
})

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'clawlink-guards-'))
  trees.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

function run(script: string, root: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(scripts, script), '--root', root], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  return { code: r.status, out: r.stdout }
}

describe('check-cycles', () => {
  const base = {
    'packages/a/src/one.ts': "import { two } from './two.js'\nexport const one = two\n",
    'packages/a/src/three.ts': 'export const three = 3\n',
    'packages/a/src/one.test.ts': "import './two.js'\n",
    'apps/.keep': '',
  }

  it('passes a tree without a circle (a test file importing back does not count)', () => {
    const root = tree({ ...base, 'packages/a/src/two.ts': "import './three.js'\nexport const two = 2\n" })
    expect(run('check-cycles.mjs', root)).toEqual({ code: 0, out: 'no import circles in 3 source files\n' })
  })

  it('fails on a circle of named imports, of type imports and of bare imports, naming each', () => {
    for (const back of [
      "import { one } from './one.js'\nexport const two = () => one\n",
      "import type { one } from './one.js'\nexport const two = 2 as unknown as typeof one\n",
      "import './one.js'\nexport const two = 2\n",
    ]) {
      const root = tree({ ...base, 'packages/a/src/two.ts': back })
      const r = run('check-cycles.mjs', root)
      expect(r.code, back).toBe(1)
      expect(r.out).toContain(
        'import circle: packages/a/src/one.ts → packages/a/src/two.ts → packages/a/src/one.ts',
      )
    }
  })
})

describe('test-summary', () => {
  function suite(passed: number, minimum: number | undefined, skipped = 0): string {
    const minimums = minimum === undefined ? {} : { '@x/a': minimum }
    return tree({
      'scripts/test-minimums.json': JSON.stringify(minimums),
      'packages/a/package.json': JSON.stringify({ name: '@x/a', scripts: { test: 'vitest run' } }),
      'apps/b/package.json': JSON.stringify({ name: '@x/b' }),
      'packages/a/test-results.json': JSON.stringify({
        numPassedTests: passed,
        numFailedTests: 0,
        numPendingTests: skipped,
        testResults: [],
      }),
    })
  }
  const ci = { CLAWLINK_REQUIRE_REAL: '1' }

  it('passes a suite at its minimum', () => {
    const r = run('test-summary.mjs', suite(12, 12), ci)
    expect(r.code).toBe(0)
    expect(r.out).toContain('Tests: 12 passed, 0 failed, 0 skipped')
  })

  it('in CI fails a suite below its minimum, one without a minimum, and one with a skip', () => {
    const shrunk = run('test-summary.mjs', suite(11, 12), ci)
    expect(shrunk.code).toBe(1)
    expect(shrunk.out).toContain('FAILED: @x/a: 11 passed, fewer than its minimum 12')
    const unlisted = run('test-summary.mjs', suite(11, undefined), ci)
    expect(unlisted.code).toBe(1)
    expect(unlisted.out).toContain('FAILED: @x/a: no minimum in scripts/test-minimums.json')
    const skipped = run('test-summary.mjs', suite(12, 12, 1), ci)
    expect(skipped.code).toBe(1)
    expect(skipped.out).toContain('FAILED: tests were skipped')
  })

  it('outside CI only notes a shrunk suite', () => {
    const r = run('test-summary.mjs', suite(11, 12))
    expect(r.code).toBe(0)
    expect(r.out).toContain('note: @x/a: 11 passed, fewer than its minimum 12')
  })
})
