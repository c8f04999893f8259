import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolvePath, resolveSettings } from '../src/index.js'
import { expandHome } from '../src/home.js'
import { clientDisplayName, shortHostName, withKeyTag } from '../src/client-name.js'
import { signerSpecFromFlags } from '../src/signer-spec.js'

const HOME = '/home/ada'

describe('~ expansion', () => {
  it.each([
    ['~', HOME],
    ['~/x/y', `${HOME}/x/y`],
    ['~user/x', '~user/x'],
    ['/abs/~/x', '/abs/~/x'],
    ['rel', 'rel'],
  ])('expandHome(%j)', (input, expected) => {
    expect(expandHome(input, { HOME })).toBe(expected)
  })
  it('resolvePath makes relative paths absolute against the base', () => {
    expect(resolvePath('a/b', { HOME }, '/base')).toBe('/base/a/b')
    expect(resolvePath('~/a', { HOME }, '/base')).toBe(`${HOME}/a`)
  })

  it('every path option and path variable expands ~ (flags, CLAWLINK_HOME, OPENCLAW_CONFIG_PATH, openclaw.json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-paths-'))
    const home = join(dir, 'home')
    mkdirSync(join(home, 'oc'), { recursive: true })
    writeFileSync(join(home, 'tok'), 'tilde-token\n', { mode: 0o600 })
    writeFileSync(join(home, 'pw'), 'tilde-password\n', { mode: 0o600 })
    writeFileSync(join(home, 'gw.json'), '{"t":"from-provider"}', { mode: 0o600 })
    writeFileSync(
      join(home, 'oc', 'openclaw.json'),
      JSON.stringify({
        gateway: { remote: { token: { source: 'file', provider: 'fm', id: '/t' } } },
        secrets: { providers: { fm: { source: 'file', path: '~/gw.json' } } },
      }),
    )
    const env = { HOME: home, CLAWLINK_HOME: '~/cl', OPENCLAW_CONFIG_PATH: '~/oc/openclaw.json' }
    const fromFiles = await resolveSettings({
      flags: { tokenFile: '~/tok', passwordFile: '~/pw', keyFile: '~/key.json' },
      env,
      cwd: '/',
    })
    expect([fromFiles.token, fromFiles.tokenSource]).toEqual(['tilde-token', `--token-file ${home}/tok`])
    expect(fromFiles.password).toBe('tilde-password')
    expect(fromFiles.signer).toEqual({ kind: 'file', keyFile: `${home}/key.json` })
    expect(fromFiles.paths.dir).toBe(`${home}/cl/default`)
    expect(fromFiles.openclawConfigPath).toBe(`${home}/oc/openclaw.json`)
    const fromConfig = await resolveSettings({ flags: { profileDir: '~/pd' }, env, cwd: '/' })
    expect([fromConfig.token, fromConfig.tokenSource]).toEqual([
      'from-provider',
      'gateway.remote.token in openclaw.json',
    ])
    expect(fromConfig.paths.dir).toBe(`${home}/pd/default`)
  })

  it('signer paths: module, --exec-public-key file, --agent-socket', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-paths-'))
    const env = { HOME: dir }
    expect(signerSpecFromFlags({ signer: '~/signers/kms.mjs' }, '/', env)).toEqual({
      kind: 'module',
      module: `${dir}/signers/kms.mjs`,
      options: {},
    })
    const pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()
    writeFileSync(join(dir, 'pub.pem'), pem)
    const exec = signerSpecFromFlags(
      { signer: 'exec', execCommand: '["/bin/kms"]', execPublicKey: '~/pub.pem' },
      '/',
      env,
    )
    expect(exec).toEqual({ kind: 'exec', command: ['/bin/kms'], publicKey: pem.trim() })
    const literal = signerSpecFromFlags(
      {
        signer: 'exec',
        execCommand: '["/bin/kms"]',
        execPublicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      },
      '/',
      env,
    )
    expect(literal).toMatchObject({ publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
    expect(signerSpecFromFlags({ signer: 'agent', agentSocket: '~/agent.sock' }, '/', env)).toEqual({
      kind: 'agent',
      socket: `${dir}/agent.sock`,
    })
  })
})

describe('client display name: one distinct client per profile, user and host (issue 11)', () => {
  it('is "clawlink <profile> (<user>@<short host>)"', () => {
    const name = clientDisplayName('work', {}, 'build-7.ci.example.com')
    expect(name).toMatch(/^clawlink work \([^\s()@]+@build-7\)$/)
    expect(clientDisplayName('work', {}, 'h')).not.toBe(clientDisplayName('home', {}, 'h'))
  })
  it('drops control characters (C0, DEL, C1, bidi) and caps each part', () => {
    expect(shortHostName('ev\u001b]0;pwn\u0007il\u009b.x')).toBe('ev]0;pwnil')
    expect(shortHostName('a\u202eb')).toBe('ab')
    expect(shortHostName('')).toBe('host')
    expect(shortHostName('x'.repeat(100))).toHaveLength(32)
    expect(clientDisplayName('p', {}, '\u0000\u0001')).toMatch(/@host\)$/)
  })
  it('carries the first 8 hex of the deviceId, so two keys are two clients (issue 22)', () => {
    const base = clientDisplayName('default', {}, 'ci')
    const a = withKeyTag(base, 'A1B2C3D4e5f6')
    expect(a).toBe(`${base} #a1b2c3d4`)
    expect(withKeyTag(base, 'ffff0000aaaa')).not.toBe(a)
    expect(withKeyTag(base, undefined)).toBe(base)
  })
  it('resolveSettings returns it for the profile in use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-name-'))
    const env = { HOME: dir, OPENCLAW_STATE_DIR: join(dir, 's'), CLAWLINK_HOME: join(dir, 'c') }
    const s = await resolveSettings({ flags: { profile: 'ci-7' }, env })
    expect(s.clientDisplayName).toMatch(/^clawlink ci-7 \(.+@.+\)$/)
    expect(s.clientDisplayName).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  })
})
