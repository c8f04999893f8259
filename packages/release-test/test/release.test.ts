import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addModelFreeJob, realGatewaysOrSkip } from '@clawlink/testkit/harness'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type LocalRegistry,
  type PublishedPackage,
  publishFromCleanClone,
  run,
  runOk,
  startLocalRegistry,
  treeBytes,
} from '../src/index.js'
import { startSshAgent, userSandbox, writeConsumer, writeSignerPlugin } from './helpers.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const MiB = 1024 * 1024
/** Installed size with all dependencies (issue 14; BENCHMARKS.md "Install size"). */
const BUDGET: Record<string, number> = { '@clawlink/cli': 6 * MiB, '@clawlink/mcp': 10 * MiB }
const PUBLIC = [
  '@clawlink/cli',
  '@clawlink/client',
  '@clawlink/config',
  '@clawlink/mcp',
  '@clawlink/protocol',
  '@clawlink/signer-agent',
  '@clawlink/signer-file',
  '@clawlink/signer-kit',
  '@clawlink/signer-keychain',
  '@clawlink/signer-pkcs11',
]
const GATEWAY_VERSION = '2026.9.6'

let { gateways, skipReason } = realGatewaysOrSkip()
const gw = gateways.find((g) => g.version === GATEWAY_VERSION)
if (!gw && gateways.length > 0) {
  if (process.env.CLAWLINK_REQUIRE_REAL === '1')
    throw new Error(
      `CLAWLINK_REQUIRE_REAL=1 but no ${GATEWAY_VERSION} gateway is running (CLAWLINK_GATEWAYS)`,
    )
  skipReason = `no ${GATEWAY_VERSION} gateway among ${gateways.map((g) => g.version).join(', ')}`
  gateways = []
}
const log = (message: string) => process.stderr.write(`[release-test] ${message}\n`)

describe.skipIf(!gw)(
  `published packages, installed from a loopback Verdaccio${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let work: string
    let registry: LocalRegistry | undefined
    let published: PublishedPackage[] = []
    let prefix: string
    let user: ReturnType<typeof userSandbox>
    const bin = (name: string) => join(prefix, 'bin', name)
    const version = (name: string) => published.find((p) => p.name === name)?.version ?? 'missing'

    beforeAll(async () => {
      if (!gw) return
      work = mkdtempSync(join(tmpdir(), 'clawlink-release-'))
      registry = await startLocalRegistry(work)
      log(`verdaccio on ${registry.url}`)
      published = await publishFromCleanClone(REPO, join(work, 'clone'), registry)
      prefix = join(work, 'prefix')
      mkdirSync(prefix)
      log(`npm i -g --prefix ${prefix} @clawlink/cli @clawlink/mcp`)
      const install = await runOk('npm', ['i', '-g', '--prefix', prefix, '@clawlink/cli', '@clawlink/mcp'], {
        env: registry.env(),
        timeoutMs: 600_000,
      })
      log(`installed in ${install.ms} ms`)
      user = userSandbox(work, gw.token)
    }, 1_800_000)

    afterAll(async () => {
      await registry?.stop()
      if (work) rmSync(work, { recursive: true, force: true })
    }, 120_000)

    it('publishes every public package from a clean clone, versioned by changesets', async () => {
      expect(published.map((p) => p.name).sort()).toEqual([...PUBLIC].sort())
      const versions = new Set(published.map((p) => p.version))
      expect(versions.size, 'fixed versioning: one version for all').toBe(1)
      for (const p of published) {
        expect(existsSync(join(p.dir, 'CHANGELOG.md')), `${p.name} CHANGELOG.md`).toBe(true)
        const view = await runOk(
          'npm',
          ['view', `${p.name}@${p.version}`, 'version', 'dependencies', '--json'],
          {
            env: registry?.env(),
            timeoutMs: 60_000,
          },
        )
        const info = JSON.parse(view.stdout) as { version: string; dependencies?: Record<string, string> }
        expect(info.version).toBe(p.version)
        for (const range of Object.values(info.dependencies ?? {})) expect(range).not.toMatch(/^workspace:/)
        if (p.name === '@clawlink/cli' || p.name === '@clawlink/mcp') {
          // Bundled (ws too): only what esbuild cannot inline stays a runtime dependency — and the CLI's yaml, kept
          // out of the bundle so that only `cron show/add/edit` load it.
          const expected = p.name === '@clawlink/cli' ? ['json5', 'yaml'] : ['json5']
          expect(Object.keys(info.dependencies ?? {}).sort()).toEqual(expected)
        }
      }
    }, 300_000)

    it('npm i -g installs both bins within the install budgets', () => {
      for (const [name, budget] of Object.entries(BUDGET)) {
        const bytes = treeBytes(join(prefix, 'lib', 'node_modules', name))
        log(
          `${name}@${version(name)} installed: ${(bytes / MiB).toFixed(2)} MiB (budget ${budget / MiB} MiB)`,
        )
        expect(bytes).toBeGreaterThan(100_000)
        expect(bytes).toBeLessThanOrEqual(budget)
      }
      for (const http of ['express', 'hono', '@hono/node-server'])
        expect(existsSync(join(prefix, 'lib', 'node_modules', '@clawlink/mcp', 'node_modules', http))).toBe(
          false,
        )
    })

    it(`installed clawlink: cron run <name> --wait against a real ${GATEWAY_VERSION} gateway`, async () => {
      if (!gw) throw new Error('unreachable')
      const name = `release-${Date.now()}`
      await addModelFreeJob(gw, name, 'hello from the installed clawlink')
      const shown = await runOk(bin('clawlink'), ['--version'], { env: user.env, timeoutMs: 30_000 })
      expect(shown.stdout.trim()).toContain(published[0]?.version ?? 'missing')
      const result = await run(
        bin('clawlink'),
        ['cron', 'run', name, '--wait', '--timeout', '90s', '--url', gw.url, '--token-file', user.tokenFile],
        { env: user.env, timeoutMs: 150_000 },
      )
      expect(result.code, result.stdout + result.stderr).toBe(0)
      expect(result.stdout).toContain(`✓ ${name} finished ok`)
      expect(result.stdout + result.stderr).not.toContain(gw.token)
    }, 200_000)

    it('installed clawlink-mcp: an SDK client spawns it, lists its tools and lists the jobs', async () => {
      if (!gw) throw new Error('unreachable')
      const transport = new StdioClientTransport({
        command: bin('clawlink-mcp'),
        args: ['--url', gw.url, '--token-file', user.tokenFile],
        env: user.env,
        stderr: 'pipe',
      })
      const client = new Client({ name: 'clawlink-release-test', version: '1.0.0' })
      await client.connect(transport)
      try {
        const { tools } = await client.listTools()
        expect(tools.map((t) => t.name).sort()).toEqual([
          'check_cron_jobs',
          'cron_status',
          'get_cron_runs',
          'list_cron_jobs',
          'preview_cron_job',
          'run_cron_job',
        ])
        const listed = await client.callTool({ name: 'list_cron_jobs', arguments: { query: 'release-' } })
        expect(listed.isError, JSON.stringify(listed.content)).toBeFalsy()
        expect(JSON.stringify(listed.content)).toContain('release-')
      } finally {
        await client.close()
      }
    }, 120_000)

    it('npx --yes @clawlink/mcp --help runs the published server', async () => {
      const cwd = mkdtempSync(join(work, 'npx-'))
      const result = await run('npx', ['--yes', '@clawlink/mcp', '--help'], {
        cwd,
        env: registry?.env(),
        timeoutMs: 300_000,
      })
      expect(result.code, result.stderr).toBe(0)
      // The server's help goes to stderr: its stdout carries only MCP messages.
      expect(result.stderr).toContain('Usage: clawlink-mcp [options]')
      expect(result.stderr).toContain('run_cron_job')
      expect(result.stdout).toBe('')
    }, 320_000)

    it('a fresh ESM project installs @clawlink/protocol, runs it and type-checks against it with tsc', async () => {
      const dir = join(work, 'consumer')
      writeConsumer(dir)
      await runOk('npm', ['i', `@clawlink/protocol@${version('@clawlink/protocol')}`], {
        cwd: dir,
        env: registry?.env(),
        timeoutMs: 300_000,
      })
      const ran = await runOk(process.execPath, ['main.js'], { cwd: dir, timeoutMs: 30_000 })
      const out = JSON.parse(ran.stdout) as { deviceId: string; scopes: string[]; vectors: string }
      expect(out.deviceId).toBe(createHash('sha256').update(new Uint8Array(32)).digest('hex'))
      expect(out.scopes).toContain('operator.admin')
      expect(out.vectors).toBe('object')
      const tsc = await run(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', dir], { timeoutMs: 120_000 })
      expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0)
      expect(
        readFileSync(join(dir, 'node_modules', '@clawlink', 'protocol', 'dist', 'index.d.ts'), 'utf8'),
      ).toMatch(/deriveDeviceId/)
    }, 400_000)

    it('a signer plug-in installed from the registry is found by --signer <package>', async () => {
      if (!registry) throw new Error('no registry')
      const plugin = '@clawlink-test/signer-fixture'
      const dir = join(work, 'plugin')
      writeSignerPlugin(dir, plugin, `^${version('@clawlink/signer-agent')}`)
      await runOk('npm', ['publish', '--registry', registry.url], {
        cwd: dir,
        env: registry.env(),
        timeoutMs: 120_000,
      })
      await runOk('npm', ['i', '-g', '--prefix', prefix, plugin], { env: registry.env(), timeoutMs: 300_000 })
      const agent = await startSshAgent(join(work, 'agent'))
      try {
        const box = userSandbox(work, 'unused')
        const init = await run(
          bin('clawlink'),
          ['device', 'init', '--json', '--signer', plugin, '--signer-option', `socket=${agent.socket}`],
          { env: box.env, timeoutMs: 60_000 },
        )
        expect(init.code, init.stdout + init.stderr).toBe(0)
        expect(JSON.parse(init.stdout)).toMatchObject({ ok: true, deviceId: agent.deviceId })
        // The profile remembers the plug-in: `device show` resolves the package again by name.
        const show = await run(bin('clawlink'), ['device', 'show', '--json'], {
          env: box.env,
          timeoutMs: 60_000,
        })
        expect(show.code, show.stdout + show.stderr).toBe(0)
        expect(JSON.parse(show.stdout)).toMatchObject({
          deviceId: agent.deviceId,
          signer: `plug-in ${plugin}`,
        })
        const missing = await run(
          bin('clawlink'),
          ['device', 'show', '--signer', '@clawlink-test/not-installed'],
          {
            env: userSandbox(work, 'unused').env,
            timeoutMs: 60_000,
          },
        )
        expect(missing.code).not.toBe(0)
        expect(missing.stderr + missing.stdout).toContain('is not installed')
      } finally {
        agent.stop()
      }
    }, 400_000)
  },
)
