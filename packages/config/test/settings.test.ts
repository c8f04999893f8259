import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64UrlEncode } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  describeSettings,
  describeSignerSpec,
  loadSigner,
  profilePaths,
  resolveSettings,
  saveProfileSettings,
} from '../src/index.js'
import { signerSpecFromFlags } from '../src/signer-spec.js'

const SECRET = 'tok-0123456789abcdef-SECRET'

function sandbox(config?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-config-'))
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    CLAWLINK_HOME: join(dir, 'clawlink'),
  }
  mkdirSync(env.OPENCLAW_STATE_DIR!, { recursive: true })
  if (config !== undefined) writeFileSync(join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'), config)
  return { dir, env, configFile: join(env.OPENCLAW_STATE_DIR!, 'openclaw.json') }
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('resolveSettings: URL', () => {
  it('defaults to ws://127.0.0.1:18789', async () => {
    const { env } = sandbox()
    const s = await resolveSettings({ flags: {}, env })
    expect([s.url, s.urlSource]).toEqual(['ws://127.0.0.1:18789', 'default'])
    expect(s.openclawConfigFound).toBe(false)
  })
  it('reads gateway.port from a JSON5 config with comments and trailing commas', async () => {
    const { env } = sandbox(`{
      // the gateway
      gateway: { port: 18999, auth: { mode: 'token', token: '${SECRET}', }, },
    }`)
    const s = await resolveSettings({ flags: {}, env })
    expect(s.url).toBe('ws://127.0.0.1:18999')
    expect(s.token).toBe(SECRET)
    expect(s.tokenSource).toBe('gateway.auth.token in openclaw.json')
  })
  it('flag > env > remote config > port (docs/protocol.md §6.3)', async () => {
    const { env } = sandbox(
      `{ gateway: { mode: 'remote', port: 1, remote: { url: 'wss://gw.example:443' } } }`,
    )
    expect((await resolveSettings({ flags: {}, env })).url).toBe('wss://gw.example:443')
    expect(
      (await resolveSettings({ flags: {}, env: { ...env, OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:2' } })).url,
    ).toBe('ws://127.0.0.1:2')
    expect(
      (await resolveSettings({ flags: {}, env: { ...env, CLAWDBOT_GATEWAY_URL: 'ws://127.0.0.1:4' } }))
        .urlSource,
    ).toBe('CLAWDBOT_GATEWAY_URL')
    const s = await resolveSettings({
      flags: { url: 'ws://127.0.0.1:3' },
      env: { ...env, OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:2' },
    })
    expect([s.url, s.urlSource]).toEqual(['ws://127.0.0.1:3', '--url'])
  })
  it('OPENCLAW_GATEWAY_PORT beats gateway.port; tls.enabled gives wss', async () => {
    const { env } = sandbox(`{ gateway: { port: 1000, tls: { enabled: true } } }`)
    expect((await resolveSettings({ flags: {}, env: { ...env, OPENCLAW_GATEWAY_PORT: '2000' } })).url).toBe(
      'wss://127.0.0.1:2000',
    )
  })
  it('refuses a non-ws URL', async () => {
    const { env } = sandbox()
    expect((await configError(resolveSettings({ flags: { url: 'http://x' }, env }))).code).toBe('INVALID_URL')
  })
})

describe('resolveSettings: secrets', () => {
  it('local: gateway.auth.token › env › gateway.remote.token; remote: remote.token first (OpenClaw 9.6 docs)', async () => {
    const { env } = sandbox(`{ gateway: { auth: { token: 'from-auth' }, remote: { token: 'from-remote' } } }`)
    expect((await resolveSettings({ flags: {}, env })).token).toBe('from-auth')
    expect(
      (await resolveSettings({ flags: {}, env: { ...env, OPENCLAW_GATEWAY_TOKEN: 'from-env' } })).token,
    ).toBe('from-auth')
    const noAuth = sandbox(`{ gateway: { remote: { token: 'from-remote' } } }`)
    expect((await resolveSettings({ flags: {}, env: noAuth.env })).token).toBe('from-remote')
    expect(
      (await resolveSettings({ flags: {}, env: { ...noAuth.env, OPENCLAW_GATEWAY_TOKEN: 'from-env' } }))
        .token,
    ).toBe('from-env')
    expect(
      (await resolveSettings({ flags: {}, env: { ...noAuth.env, CLAWDBOT_GATEWAY_TOKEN: 'legacy' } })).token,
    ).toBe('legacy')
    const remote = sandbox(
      `{ gateway: { mode: 'remote', auth: { token: 'from-auth' }, remote: { url: 'ws://127.0.0.1:1', token: 'from-remote' } } }`,
    )
    expect(
      (await resolveSettings({ flags: {}, env: { ...remote.env, OPENCLAW_GATEWAY_TOKEN: 'from-env' } }))
        .token,
    ).toBe('from-remote')
  })
  it('--token-file wins, trims the newline (CRLF too); --token-stdin reads stdin', async () => {
    const { env, dir } = sandbox()
    writeFileSync(join(dir, 'token'), `${SECRET}\r\n`, { mode: 0o600 })
    const s = await resolveSettings({
      flags: { tokenFile: join(dir, 'token') },
      env: { ...env, OPENCLAW_GATEWAY_TOKEN: 'x' },
    })
    expect(s.token).toBe(SECRET)
    expect(
      (await resolveSettings({ flags: { tokenStdin: true }, env, readStdinSecret: async () => 'piped\n' }))
        .token,
    ).toBe('piped')
  })
  it('missing, empty or directory token files are clear errors', async () => {
    const { env, dir } = sandbox()
    expect((await configError(resolveSettings({ flags: { tokenFile: join(dir, 'nope') }, env }))).code).toBe(
      'SECRET_FILE_UNREADABLE',
    )
    writeFileSync(join(dir, 'empty'), '\n', { mode: 0o600 })
    expect((await configError(resolveSettings({ flags: { tokenFile: join(dir, 'empty') }, env }))).code).toBe(
      'SECRET_FILE_EMPTY',
    )
    expect((await configError(resolveSettings({ flags: { tokenFile: dir }, env }))).code).toBe(
      'SECRET_FILE_UNREADABLE',
    )
  })
  it('a token or password file others can read is refused with the chmod that fixes it, and left as it was', async () => {
    const { env, dir } = sandbox()
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = join(dir, `open-${mode.toString(8)}`)
      writeFileSync(file, `${SECRET}\n`, { mode })
      chmodSync(file, mode)
      for (const flags of [{ tokenFile: file }, { passwordFile: file }]) {
        const error = await configError(resolveSettings({ flags, env }))
        expect(error.code).toBe('SECRET_FILE_INSECURE')
        expect(error.message).toContain(mode.toString(8))
        expect(error.message).not.toContain(SECRET)
        expect(error.remedy).toBe(`chmod 600 ${file}`)
      }
      expect(statSync(file).mode & 0o777).toBe(mode)
      expect(readFileSync(file, 'utf8')).toBe(`${SECRET}\n`)
    }
    const private600 = join(dir, 'private')
    writeFileSync(private600, `${SECRET}\n`, { mode: 0o600 })
    expect((await resolveSettings({ flags: { tokenFile: private600 }, env })).token).toBe(SECRET)
  })
  it('SecretRef env and file (through secrets.providers) work; exec is refused, not run', async () => {
    const { env, dir } = sandbox()
    writeFileSync(join(dir, 'pw.json'), '{"gw":{"pw":"file-secret"}}', { mode: 0o600 })
    const cfg = (gateway: string, extra = '') =>
      writeFileSync(join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'), `{ gateway: ${gateway} ${extra} }`)
    cfg(`{ auth: { token: { source: 'env', provider: 'default', id: 'MY_TOKEN' } } }`)
    expect((await resolveSettings({ flags: {}, env: { ...env, MY_TOKEN: 'env-secret' } })).token).toBe(
      'env-secret',
    )
    cfg(
      `{ auth: { password: { source: 'file', provider: 'fm', id: '/gw/pw' } } }`,
      `, secrets: { providers: { fm: { source: 'file', path: '${join(dir, 'pw.json')}' } } }`,
    )
    const s = await resolveSettings({ flags: {}, env })
    expect([s.password, s.passwordSource]).toEqual(['file-secret', 'gateway.auth.password in openclaw.json'])
    cfg(`{ auth: { token: { source: 'exec', provider: 'op', id: 'rm -rf /' } } }`)
    expect((await configError(resolveSettings({ flags: {}, env }))).code).toBe('SECRET_REF_UNSUPPORTED')
  })
  it('describeSettings never shows a secret', async () => {
    const { env } = sandbox(`{ gateway: { auth: { token: '${SECRET}' } } }`)
    const text = JSON.stringify(describeSettings(await resolveSettings({ flags: {}, env })))
    expect(text).not.toContain(SECRET)
    expect(text).toContain(`${SECRET.length} chars`)
  })
})

describe('corrupt or unreadable openclaw.json', () => {
  it('CONFIG_PARSE with file:line:column, file unchanged, no secret in the message', async () => {
    const content = `{\n  gateway: {\n    auth: { token: '${SECRET}' }\n    port: 1\n  }\n}\n`
    const { env, configFile } = sandbox(content)
    const before =
      createHash('sha256').update(readFileSync(configFile)).digest('hex') + statSync(configFile).mtimeMs
    const error = await configError(resolveSettings({ flags: {}, env }))
    expect(error.code).toBe('CONFIG_PARSE')
    expect(error.message).toMatch(new RegExp(`${configFile}:4:\\d+`))
    expect(error.message).not.toContain(SECRET)
    expect(error.remedy).toContain('OPENCLAW_CONFIG_PATH')
    expect(
      createHash('sha256').update(readFileSync(configFile)).digest('hex') + statSync(configFile).mtimeMs,
    ).toBe(before)
  })
  it('CONFIG_UNREADABLE for a directory in its place', async () => {
    const { env, configFile } = sandbox()
    mkdirSync(configFile)
    expect((await configError(resolveSettings({ flags: {}, env }))).code).toBe('CONFIG_UNREADABLE')
  })
})

describe('profile and signer', () => {
  it('one profile dir for CLI and MCP; settings round-trip with 0600', async () => {
    const { env } = sandbox()
    const s = await resolveSettings({ flags: {}, env })
    expect(s.paths.identityFile).toBe(join(env.CLAWLINK_HOME!, 'default', 'device-key.json'))
    expect(s.signer).toEqual({ kind: 'file' })
    saveProfileSettings(s.paths, { version: 1, signer: { kind: 'keychain', account: 'work' } })
    expect(statSync(s.paths.settingsFile).mode & 0o777).toBe(0o600)
    const again = await resolveSettings({ flags: {}, env })
    expect(again.signer).toEqual({ kind: 'keychain', account: 'work' })
    expect(again.signerSource).toBe(s.paths.settingsFile)
    expect((await resolveSettings({ flags: { signer: 'file' }, env })).signer).toEqual({ kind: 'file' })
  })
  it('a corrupt settings.json is PROFILE_CORRUPT and left alone', async () => {
    const { env } = sandbox()
    const paths = profilePaths(env.CLAWLINK_HOME!, 'default')
    mkdirSync(paths.dir, { recursive: true })
    writeFileSync(paths.settingsFile, '{"version":1,')
    expect((await configError(resolveSettings({ flags: {}, env }))).code).toBe('PROFILE_CORRUPT')
    expect(readFileSync(paths.settingsFile, 'utf8')).toBe('{"version":1,')
  })
  it('refuses a profile name with a slash', async () => {
    const { env } = sandbox()
    expect((await configError(resolveSettings({ flags: { profile: '../x' }, env }))).code).toBe(
      'INVALID_PROFILE',
    )
  })
  it('parses signer flags', () => {
    expect(signerSpecFromFlags({ signer: 'agent', agentKey: 'SHA256:abc' })).toEqual({
      kind: 'agent',
      key: 'SHA256:abc',
    })
    expect(signerSpecFromFlags({ signer: 'exec', execCommand: '["/bin/kms","sign"]' })).toEqual({
      kind: 'exec',
      command: ['/bin/kms', 'sign'],
    })
    expect(() => signerSpecFromFlags({ signer: 'exec', execCommand: 'kms sign' })).toThrow(ConfigError)
    expect(signerSpecFromFlags({ signer: './x.mjs', signerOption: ['a=b=c'] }, '/opt')).toEqual({
      kind: 'module',
      module: '/opt/x.mjs',
      options: { a: 'b=c' },
    })
    expect(() => signerSpecFromFlags({ signer: 'not a name!' })).toThrow(ConfigError)
  })
  it('parses --signer pkcs11 --pkcs11-uri, refusing a PIN inside the URI, and names token and object', () => {
    const uri = 'pkcs11:token=hsm%20one;object=device;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so'
    const spec = signerSpecFromFlags({ signer: 'pkcs11', pkcs11Uri: uri })
    expect(spec).toEqual({ kind: 'pkcs11', uri })
    expect(describeSignerSpec(spec!, '/x')).toBe('pkcs11 (token "hsm one", object "device" id %01)')
    const codeOf = (flags: Parameters<typeof signerSpecFromFlags>[0]) => {
      try {
        signerSpecFromFlags(flags)
        return undefined
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        return [(error as ConfigError).code, (error as ConfigError).message]
      }
    }
    expect(codeOf({ signer: 'pkcs11' })).toEqual(['SIGNER_OPTIONS', '--signer pkcs11 needs --pkcs11-uri'])
    const [code, message] = codeOf({ signer: 'pkcs11', pkcs11Uri: 'pkcs11:token=t?pin-value=4321' })!
    expect(code).toBe('SIGNER_OPTIONS')
    expect(message).toContain('pin-value is refused')
    expect(message).not.toContain('4321')
    expect(codeOf({ signer: 'pkcs11', pkcs11Uri: 'not-a-uri' })?.[0]).toBe('SIGNER_OPTIONS')
  })
  it('loads the file signer lazily and creates the key in the profile', async () => {
    const { env } = sandbox()
    const s = await resolveSettings({ flags: {}, env })
    const signer = await loadSigner(s.signer, s.paths)
    expect(signer?.publicKey).toHaveLength(32)
    expect(statSync(s.paths.identityFile).mode & 0o777).toBe(0o600)
    expect(await loadSigner({ kind: 'none' }, s.paths)).toBeUndefined()
  })
  it('loads a plug-in module signer and checks its shape', async () => {
    const { env } = sandbox()
    const s = await resolveSettings({ flags: {}, env })
    const good = new URL('../../testkit/fixtures/plugin-signer.mjs', import.meta.url).pathname
    const signer = await loadSigner(
      {
        kind: 'module',
        module: good,
        options: { seedHex: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60' },
      },
      s.paths,
    )
    expect(base64UrlEncode(signer!.publicKey)).toBe('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')
    const bad = new URL('./fixtures/bad-signer.mjs', import.meta.url).pathname
    const invalid = await configError(loadSigner({ kind: 'module', module: bad, options: {} }, s.paths))
    expect([invalid.code, invalid.message]).toEqual([
      'SIGNER_PLUGIN_INVALID',
      expect.stringContaining("algorithm must be 'ed25519'"),
    ])
    const missing = await configError(
      loadSigner({ kind: 'module', module: '/nonexistent/x.mjs', options: {} }, s.paths),
    )
    expect(missing.code).toBe('SIGNER_PLUGIN_NOT_FOUND')
    const pkg = await configError(
      loadSigner({ kind: 'module', module: 'clawlink-no-such-signer-pkg', options: {} }, s.paths),
    )
    expect(pkg.code).toBe('SIGNER_PLUGIN_NOT_FOUND')
  })
})
