#!/usr/bin/env node
// Sums the vitest JSON reports of every package (written by each package's `test` script) and prints one line
// "Tests: N passed, N failed, N skipped". Exits 1 when a test failed or a package wrote no report.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// The repository, or the tree named by --root DIR (its own test gives it one with a shrunk suite).
const rootAt = process.argv.indexOf('--root')
const root = rootAt > 0 ? `${process.argv[rootAt + 1]}/` : new URL('..', import.meta.url).pathname
const totals = { passed: 0, failed: 0, skipped: 0 }
// The fewest tests each report may pass (scripts/test-minimums.json): a suite that shrinks — a narrowed
// CLAWLINK_GATEWAY_VERSIONS, a deleted file, a describe that no longer collects — fails CI instead of passing quietly.
const minimums = JSON.parse(readFileSync(join(root, 'scripts', 'test-minimums.json'), 'utf8'))
const shrunk = []
let problems = 0
const rows = []
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, name)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (!pkg.scripts?.test) continue
    const reports = readdirSync(dir).filter((f) => /^test-results.*\.json$/.test(f))
    if (reports.length === 0) {
      rows.push(`  ${pkg.name.padEnd(28)} NO REPORT (tests did not run)`)
      problems++
      continue
    }
    for (const file of reports.sort()) {
      const r = JSON.parse(readFileSync(join(dir, file), 'utf8'))
      const passed = r.numPassedTests ?? 0
      // numFailedTestSuites counts every describe above a failed test too; a file that failed with no failed
      // test in it (it did not load, a hook threw) is counted once instead.
      const brokenFiles = (r.testResults ?? []).filter(
        (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
      ).length
      const failed = (r.numFailedTests ?? 0) + brokenFiles
      const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
      totals.passed += passed
      totals.failed += failed
      totals.skipped += skipped
      const label = file === 'test-results.json' ? '' : ` (${file.replace(/^test-results-?|\.json$/g, '')})`
      const key = pkg.name + label
      const floor = minimums[key]
      if (typeof floor !== 'number') shrunk.push(`${key}: no minimum in scripts/test-minimums.json`)
      else if (passed < floor) shrunk.push(`${key}: ${passed} passed, fewer than its minimum ${floor}`)
      rows.push(
        `  ${(pkg.name + label).padEnd(36)} ${String(passed).padStart(4)} passed ${String(failed).padStart(3)} failed ${String(skipped).padStart(3)} skipped`,
      )
    }
  }
}
console.log(rows.join('\n'))
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
// In CI (CLAWLINK_REQUIRE_REAL=1) a skipped test is a test that did not run: the suite fails.
const skipsFail = process.env.CLAWLINK_REQUIRE_REAL === '1' && totals.skipped > 0
if (skipsFail) console.log('FAILED: tests were skipped; with CLAWLINK_REQUIRE_REAL=1 every test must run')
// Locally (a narrowed run, one package) a shrunk count is only reported; in CI it fails the suite.
for (const line of shrunk)
  console.log(`${process.env.CLAWLINK_REQUIRE_REAL === '1' ? 'FAILED' : 'note'}: ${line}`)
const shrunkFails = process.env.CLAWLINK_REQUIRE_REAL === '1' && shrunk.length > 0
process.exitCode =
  totals.failed > 0 || problems > 0 || totals.passed === 0 || skipsFail || shrunkFails ? 1 : 0
if (!existsSync(root)) process.exitCode = 1
