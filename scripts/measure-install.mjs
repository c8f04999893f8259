#!/usr/bin/env node
// Installed size of @clawlink/cli and @clawlink/mcp with all their dependencies, as `npm i -g` leaves them:
// builds the checkout, publishes its public packages to a throw-away Verdaccio on loopback (third-party
// dependencies come through it from the registry npm already uses), installs each package alone into an empty
// prefix and sums the bytes of every file there. Budgets (issue 14): cli ≤ 6 MiB, mcp ≤ 10 MiB; exits 1 above.
//   usage: node scripts/measure-install.mjs        (results: BENCHMARKS.md "Install size")
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { arch, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const MiB = 1024 * 1024
const BUDGETS = { '@clawlink/cli': 6 * MiB, '@clawlink/mcp': 10 * MiB }

const { isolatedEnv, runOk, startLocalRegistry, treeBytes } = await import(
  join(root, 'packages/release-test/dist/index.js')
).catch(() => {
  throw new Error('packages/release-test is not built: run `pnpm turbo run build` first')
})

function countPackages(dir) {
  let n = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const path = join(dir, entry.name)
    if (entry.name.startsWith('@')) n += countPackages(path)
    else if (entry.name !== '.bin') {
      n += 1
      const nested = join(path, 'node_modules')
      try {
        n += countPackages(nested)
      } catch {}
    }
  }
  return n
}

await runOk('pnpm', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: root,
  env: isolatedEnv({ TURBO_TELEMETRY_DISABLED: '1' }),
  timeoutMs: 600_000,
})
const work = mkdtempSync(join(tmpdir(), 'clawlink-measure-'))
const registry = await startLocalRegistry(work)
let over = false
try {
  await runOk('pnpm', ['-r', 'publish', '--registry', registry.url, '--no-git-checks'], {
    cwd: root,
    env: registry.env(),
    timeoutMs: 300_000,
  })
  const npmVersion = (await runOk('npm', ['--version'])).stdout.trim()
  console.log(
    `${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model.trim()}, ${process.platform}-${arch()}, Node ${process.version}, npm ${npmVersion}`,
  )
  console.log('| package | installed bytes | MiB | budget | packages | keytar built | npm i -g time |')
  console.log('|---|---:|---:|---:|---:|---|---:|')
  for (const [name, budget] of Object.entries(BUDGETS)) {
    const prefix = join(work, name.replace('/', '-'))
    mkdirSync(prefix)
    const { ms } = await runOk('npm', ['i', '-g', '--prefix', prefix, name], {
      env: registry.env(),
      timeoutMs: 600_000,
    })
    const bytes = treeBytes(prefix)
    const packages = countPackages(join(prefix, 'lib', 'node_modules'))
    const keytar = existsSync(
      join(prefix, 'lib', 'node_modules', name, 'node_modules', 'keytar', 'build', 'Release', 'keytar.node'),
    )
    if (bytes > budget) over = true
    console.log(
      `| ${name} | ${bytes} | ${(bytes / MiB).toFixed(2)} | ${budget / MiB} MiB ${bytes > budget ? '✗' : '✓'} | ${packages} | ${keytar ? 'yes' : 'no'} | ${(ms / 1000).toFixed(1)} s |`,
    )
  }
} finally {
  await registry.stop()
  rmSync(work, { recursive: true, force: true })
}
process.exitCode = over ? 1 : 0
