// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${VAR}" is the OpenClaw config syntax under test
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, type ResolvedSettings, resolveSettings } from '../src/index.js'

/** Which gateway the command targets: the configured local one, the configured remote one, or an override. */
type Origin = 'local' | 'remote' | 'env-url' | 'flag-url'
/** One credential source, set alone. */
type Source = 'env' | 'auth' | 'remote' | 'file' | 'stdin'

function setup(kind: 'token' | 'password', origin: Origin, source: Source) {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-override-'))
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    CLAWLINK_HOME: join(dir, 'clawlink'),
  }
  mkdirSync(env.OPENCLAW_STATE_DIR!, { recursive: true })
  const gateway: Record<string, unknown> = {}
  const remote: Record<string, unknown> = {}
  if (origin === 'remote') {
    gateway.mode = 'remote'
    remote.url = 'ws://127.0.0.1:2001'
  }
  if (source === 'auth') gateway.auth = { [kind]: `secret-from-auth` }
  if (source === 'remote') remote[kind] = 'secret-from-remote'
  if (Object.keys(remote).length > 0) gateway.remote = remote
  writeFileSync(join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'), JSON.stringify({ gateway }))
  if (source === 'env') env[`OPENCLAW_GATEWAY_${kind.toUpperCase()}`] = 'secret-from-env'
  if (origin === 'env-url') env.OPENCLAW_GATEWAY_URL = 'ws://127.0.0.1:2002'
  const flags: Record<string, unknown> = {}
  if (origin === 'flag-url') flags.url = 'ws://127.0.0.1:2003'
  if (source === 'file') {
    writeFileSync(join(dir, 'secret'), 'secret-from-file\n', { mode: 0o600 })
    flags[`${kind}File`] = join(dir, 'secret')
  }
  if (source === 'stdin') flags[`${kind}Stdin`] = true
  return { env, flags }
}

async function resolve(
  kind: 'token' | 'password',
  origin: Origin,
  source: Source,
): Promise<ResolvedSettings> {
  const { env, flags } = setup(kind, origin, source)
  return resolveSettings({ flags, env, readStdinSecret: async () => 'secret-from-stdin\n' })
}

// [origin, source, sent?] — OpenClaw docs/gateway/remote.md "URL override safety" and docs/cli/devices.md.
const RULES: [Origin, Source, boolean][] = [
  ['local', 'env', true],
  ['local', 'auth', true],
  ['local', 'remote', true],
  ['local', 'file', true],
  ['remote', 'env', true],
  ['remote', 'auth', true],
  ['remote', 'remote', true],
  ['remote', 'file', true],
  ['env-url', 'env', true],
  ['env-url', 'auth', false],
  ['env-url', 'remote', false],
  ['env-url', 'file', true],
  ['env-url', 'stdin', true],
  ['flag-url', 'env', false],
  ['flag-url', 'auth', false],
  ['flag-url', 'remote', false],
  ['flag-url', 'file', true],
  ['flag-url', 'stdin', true],
]

describe('credentials go only to the gateway they are configured for (issue 10)', () => {
  for (const kind of ['token', 'password'] as const) {
    it.each(RULES)(`${kind}: %s URL with a secret from %s → sent: %s`, async (origin, source, sent) => {
      const s = await resolve(kind, origin, source)
      const value = kind === 'token' ? s.token : s.password
      const other = kind === 'token' ? s.password : s.token
      expect(other).toBeUndefined()
      if (sent) {
        expect(value).toBe(`secret-from-${source}`)
        expect(s.ignoredSecrets).toEqual([])
      } else {
        expect(value).toBeUndefined()
        expect(s.ignoredSecrets).toHaveLength(1)
        const [ignored] = s.ignoredSecrets
        expect(ignored?.kind).toBe(kind)
        expect(ignored?.source).toContain(
          source === 'env' ? `OPENCLAW_GATEWAY_${kind.toUpperCase()}` : `gateway.${source}.${kind}`,
        )
        expect(ignored?.reason).toContain(
          origin === 'flag-url' ? '--url ws://127.0.0.1:2003' : 'OPENCLAW_GATEWAY_URL',
        )
        expect(ignored?.reason).toContain(`--${kind}-file`)
        expect(ignored?.reason).not.toContain('secret-from')
      }
    })
  }

  it('an override never reads (nor fails on) a secret it does not send', async () => {
    const { env } = setup('token', 'local', 'auth')
    writeFileSync(
      join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'),
      JSON.stringify({ gateway: { auth: { token: '${UNSET_GW_TOKEN}' } } }),
    )
    await expect(resolveSettings({ flags: {}, env })).rejects.toMatchObject({ code: 'ENV_VAR_MISSING' })
    const s = await resolveSettings({ flags: { url: 'ws://127.0.0.1:9' }, env })
    expect(s.token).toBeUndefined()
    expect(s.ignoredSecrets.map((i) => i.source)).toEqual(['gateway.auth.token in openclaw.json'])
  })

  it('a configured but unresolvable gateway.auth.token fails closed: no fall-through to env', async () => {
    const { env } = setup('token', 'local', 'env')
    writeFileSync(
      join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'),
      JSON.stringify({ gateway: { auth: { token: { source: 'env', id: 'UNSET_GW_TOKEN' } } } }),
    )
    const error = await resolveSettings({ flags: {}, env }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain('gateway.auth.token')
  })

  it('remote mode: password order is env › gateway.remote.password › gateway.auth.password', async () => {
    const { env } = setup('password', 'remote', 'env')
    writeFileSync(
      join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'),
      JSON.stringify({
        gateway: {
          mode: 'remote',
          auth: { password: 'a' },
          remote: { url: 'ws://127.0.0.1:1', password: 'r' },
        },
      }),
    )
    expect((await resolveSettings({ flags: {}, env })).password).toBe('secret-from-env')
    delete env.OPENCLAW_GATEWAY_PASSWORD
    expect((await resolveSettings({ flags: {}, env })).password).toBe('r')
  })
})

describe('plaintext ws://', () => {
  it('OPENCLAW_ALLOW_INSECURE_PRIVATE_WS=1 never opens plaintext to a public host; only --allow-insecure-ws does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-insecure-'))
    const env = {
      HOME: dir,
      OPENCLAW_STATE_DIR: join(dir, 'state'),
      CLAWLINK_HOME: join(dir, 'c'),
      OPENCLAW_ALLOW_INSECURE_PRIVATE_WS: '1',
    }
    const viaEnv = await resolveSettings({ flags: { url: 'ws://gateway.example.com:18789' }, env })
    expect(viaEnv.allowInsecurePlaintext).toBe(false)
    const viaFlag = await resolveSettings({
      flags: { url: 'ws://gateway.example.com:18789', allowInsecureWs: true },
      env,
    })
    expect(viaFlag.allowInsecurePlaintext).toBe(true)
  })
})
