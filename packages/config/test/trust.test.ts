import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { moduleForNobody, runNodeAsNobody } from '@clawlink/testkit/harness'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadProfileSettings, loadSigner, profilePaths, resolveSettings } from '../src/index.js'
import { errorOf } from './helpers.js'

const NOBODY = 65534
const DAEMON = 1

function profile(signer: unknown = { kind: 'keychain', account: 'work' }) {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-trust-'))
  const paths = profilePaths(join(dir, 'clawlink'), 'default')
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 })
  writeFileSync(paths.settingsFile, JSON.stringify({ version: 1, signer }), { mode: 0o600 })
  const env = {
    HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    CLAWLINK_HOME: join(dir, 'clawlink'),
  }
  return { dir, paths, env }
}

describe("the profile's settings.json is trusted only if it is yours and not writable by others (issue 10)", () => {
  it('accepts a 0600 file in a 0700 folder', () => {
    const { paths } = profile()
    expect(loadProfileSettings(paths)?.signer).toEqual({ kind: 'keychain', account: 'work' })
  })
  it('refuses a group-writable settings.json with the chmod that fixes it', async () => {
    const { paths, env } = profile()
    chmodSync(paths.settingsFile, 0o620)
    const error = errorOf(() => loadProfileSettings(paths))
    expect([error.code, error.remedy]).toEqual(['PROFILE_INSECURE', `chmod go-w ${paths.settingsFile}`])
    await expect(resolveSettings({ flags: {}, env })).rejects.toMatchObject({ code: 'PROFILE_INSECURE' })
  })
  it('refuses a world-writable profile folder', () => {
    const { paths } = profile()
    chmodSync(paths.dir, 0o777)
    const error = errorOf(() => loadProfileSettings(paths))
    expect(error.code).toBe('PROFILE_INSECURE')
    expect(error.message).toContain(paths.dir)
  })
  it('refuses settings.json owned by another user (chown nobody; needs root, as in CI)', () => {
    expect(process.getuid?.(), 'this test chowns a file: run it as root (CI does)').toBe(0)
    const { paths } = profile()
    chownSync(paths.settingsFile, NOBODY, NOBODY)
    const error = errorOf(() => loadProfileSettings(paths))
    expect(error.code).toBe('PROFILE_INSECURE')
    expect(error.remedy).toContain(`chown 0 ${paths.settingsFile}`)
  })
  it('refuses a symlinked settings.json', () => {
    const { paths, dir } = profile()
    writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify({ version: 1, signer: { kind: 'none' } }))
    rmSync(paths.settingsFile)
    symlinkSync(join(dir, 'elsewhere.json'), paths.settingsFile)
    expect(errorOf(() => loadProfileSettings(paths)).message).toContain('symlink')
  })
  it('as a non-root user (nobody): own files pass, a file of another user (daemon) is refused', async () => {
    expect(process.getuid?.(), 'this test switches to nobody with setpriv: run it as root (CI does)').toBe(0)
    const built = new URL('../dist/index.js', import.meta.url).pathname
    expect(existsSync(built), 'build @clawlink/config first (pnpm turbo run build)').toBe(true)
    // The package's entry plus the display-name helper (not exported: only settings use it).
    const entry = join(mkdtempSync(join(tmpdir(), 'clawlink-nobody-entry-')), 'entry.js')
    const names = new URL('../dist/client-name.js', import.meta.url).pathname
    writeFileSync(
      entry,
      `export * from ${JSON.stringify(built)}\nexport { clientDisplayName } from ${JSON.stringify(names)}\n`,
    )
    const dist = await moduleForNobody(entry)
    onTestFinished(() => rmSync(dirname(entry), { recursive: true, force: true }))
    onTestFinished(() => dist.remove())
    const { dir, paths } = profile()
    for (const p of [dir, join(dir, 'clawlink'), paths.dir, paths.settingsFile]) chownSync(p, NOBODY, NOBODY)
    const script = `
      const { loadProfileSettings, profilePaths, clientDisplayName } = await import(${JSON.stringify(dist.path)})
      const paths = profilePaths(${JSON.stringify(join(dir, 'clawlink'))}, 'default')
      let result
      try { result = { signer: loadProfileSettings(paths).signer } } catch (e) { result = { code: e.code, message: e.message } }
      console.log(JSON.stringify({ uid: process.getuid(), name: clientDisplayName('default', process.env), ...result }))`
    const run = () =>
      JSON.parse(runNodeAsNobody(script)) as {
        uid: number
        name: string
        signer?: unknown
        code?: string
        message?: string
      }
    const own = run()
    expect(own.uid).toBe(NOBODY)
    expect(own.signer).toEqual({ kind: 'keychain', account: 'work' })
    expect(own.name).toBe(`clawlink default (nobody@${hostname().split('.')[0]})`)
    chownSync(paths.settingsFile, DAEMON, DAEMON)
    chmodSync(paths.settingsFile, 0o644) // readable, so only the owner check can refuse it
    const theirs = run()
    expect([theirs.code, theirs.message]).toEqual([
      'PROFILE_INSECURE',
      expect.stringContaining(`uid ${DAEMON}, not by you (uid ${NOBODY})`),
    ])
  })
})

describe('plug-in signers only from a file path or an installed package (issue 10)', () => {
  const URLS = [
    'data:text/javascript,globalThis.__clawlinkPwned=1;export function createSigner(){}',
    'http://127.0.0.1:9/signer.mjs',
    'https://example.invalid/signer.mjs',
    'file:///tmp/signer.mjs',
    'node:child_process',
    'child_process',
  ]
  it.each(URLS)('settings.json with module %s is refused before anything loads', async (module) => {
    const { paths, env } = profile({ kind: 'module', module, options: {} })
    expect(errorOf(() => loadProfileSettings(paths)).code).toBe('SIGNER_PLUGIN_REFUSED')
    await expect(resolveSettings({ flags: {}, env })).rejects.toMatchObject({ code: 'SIGNER_PLUGIN_REFUSED' })
    await expect(loadSigner({ kind: 'module', module, options: {} }, paths)).rejects.toMatchObject({
      code: 'SIGNER_PLUGIN_REFUSED',
    })
    expect((globalThis as { __clawlinkPwned?: number }).__clawlinkPwned).toBeUndefined()
  })
  it.each(URLS)('--signer %s is refused', async (module) => {
    const { env } = profile()
    await expect(resolveSettings({ flags: { signer: module }, env })).rejects.toMatchObject({
      code: 'SIGNER_PLUGIN_REFUSED',
    })
  })
  it('settings.json with a malformed signer is PROFILE_CORRUPT', () => {
    for (const signer of [
      { kind: 'exec', command: 'rm -rf /' },
      { kind: 'file', keyFile: 'relative/key.json' },
      { kind: 'module', module: './relative.mjs', options: {} },
      { kind: 'teleport' },
    ]) {
      const { paths } = profile(signer)
      expect(['PROFILE_CORRUPT', 'SIGNER_PLUGIN_REFUSED']).toContain(
        errorOf(() => loadProfileSettings(paths)).code,
      )
    }
  })
})
