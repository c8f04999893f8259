import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { errorOf } from './helpers.js'
import {
  type ConfigError,
  formatContexts,
  loadContexts,
  parseContexts,
  resolveSettings,
  saveContexts,
} from '../src/index.js'
import { contextsFilePath } from '../src/contexts-file.js'

const PIN = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89'
const SECRET = 'ctx-token-0123456789-SECRET'

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-ctx-'))
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    CLAWLINK_HOME: join(dir, 'clawlink'),
  }
  mkdirSync(env.CLAWLINK_HOME!, { recursive: true, mode: 0o700 })
  mkdirSync(env.OPENCLAW_STATE_DIR!, { recursive: true })
  const tokenFile = join(dir, 'home.token')
  writeFileSync(tokenFile, `${SECRET}\n`, { mode: 0o600 })
  return { dir, env, tokenFile, file: contextsFilePath(env) }
}

const GOOD = `# mine
current = home

[home]
url = wss://gw.home:18789
tls-fingerprint = ${PIN}
token-file = home.token
profile = ops

[lab]
url = ws://127.0.0.1:18789
`

describe('contexts file: parse and write', () => {
  it('reads sections, repeats and relative token files (relative to the file), and writes them back', () => {
    const file = parseContexts(GOOD, '/etc/x/contexts.conf', {})
    expect(file.current).toBe('home')
    expect(file.contexts).toEqual([
      {
        name: 'home',
        url: 'wss://gw.home:18789',
        tlsFingerprints: [PIN],
        tokenFile: '/etc/x/home.token',
        profile: 'ops',
        line: 4,
      },
      { name: 'lab', url: 'ws://127.0.0.1:18789', tlsFingerprints: [], line: 10 },
    ])
    const again = parseContexts(formatContexts(file), '/etc/x/contexts.conf', {})
    expect(again.contexts.map(({ line, ...c }) => c)).toEqual(file.contexts.map(({ line, ...c }) => c))
  })

  it.each([
    [
      'a misspelt key',
      GOOD.replace('tls-fingerprint', 'tls-fingerprnt'),
      6,
      /unknown key "tls-fingerprnt" in \[home\]: did you mean "tls-fingerprint"/,
    ],
    [
      'a line that is not key = value',
      GOOD.replace('profile = ops', 'profile ops'),
      8,
      /cannot read "profile ops"/,
    ],
    [
      'a URL that is not ws(s)',
      GOOD.replace('ws://127.0.0.1:18789', 'http://127.0.0.1:18789'),
      11,
      /not a ws:\/\/ or wss:\/\/ URL/,
    ],
    ['a short pin', GOOD.replace(PIN, 'AB:CD'), 6, /not a SHA-256 fingerprint/],
    ['a section without url', GOOD.replace('url = ws://127.0.0.1:18789', ''), 10, /context "lab" has no url/],
    ['a duplicate context', `${GOOD}\n[home]\nurl = ws://x:1\n`, 13, /defined twice \(first on line 4\)/],
    [
      'a current that does not exist',
      GOOD.replace('current = home', 'current = hom'),
      2,
      /current context "hom" is not defined/,
    ],
    ['a bad context name', GOOD.replace('[lab]', '[la b]'), 10, /invalid context name "la b"/],
  ])('%s → CONTEXT_INVALID naming the file and line', (_what, text, line, message) => {
    const error = errorOf(() => parseContexts(text, '/c/contexts.conf', {}))
    expect(error.code).toBe('CONTEXT_INVALID')
    expect(error.message).toContain(`/c/contexts.conf line ${line}: `)
    expect(error.message).toMatch(message)
  })

  it('save writes 0600 and load reads it back; a group-writable file is refused', () => {
    const { env, file } = sandbox()
    saveContexts({
      path: file,
      current: 'lab',
      contexts: [{ name: 'lab', url: 'ws://127.0.0.1:1', tlsFingerprints: [] }],
    })
    expect(loadContexts(env)).toMatchObject({ current: 'lab', contexts: [{ name: 'lab' }] })
    expect(readFileSync(file, 'utf8')).toContain('[lab]')
    chmodSync(file, 0o664)
    expect(errorOf(() => loadContexts(env)).code).toBe('PROFILE_INSECURE')
  })
})

describe('resolveSettings with contexts', () => {
  function withContexts(text: (tokenFile: string) => string) {
    const box = sandbox()
    writeFileSync(box.file, text(box.tokenFile), { mode: 0o600 })
    return box
  }
  const two = (tokenFile: string) =>
    `current = lab\n\n[home]\nurl = wss://gw.home:18789\ntls-fingerprint = ${PIN}\ntoken-file = ${tokenFile}\nprofile = ops\n\n[lab]\nurl = ws://127.0.0.1:2\n`

  it('--context supplies URL, pin, token file and profile; its URL counts as explicit (no env/openclaw.json secrets)', async () => {
    const { env } = withContexts(two)
    writeFileSync(
      join(env.OPENCLAW_STATE_DIR!, 'openclaw.json'),
      JSON.stringify({ gateway: { auth: { password: 'cfg-pw' } } }),
    )
    const s = await resolveSettings({
      flags: { context: 'home' },
      env: { ...env, OPENCLAW_GATEWAY_PASSWORD: 'env-pw' },
    })
    expect(s).toMatchObject({ url: 'wss://gw.home:18789', token: SECRET, profile: 'ops', context: 'home' })
    expect(s.password).toBeUndefined()
    expect(s.tlsFingerprints.map((p) => p.replace(/[^0-9a-f]/gi, '').toLowerCase())).toEqual([
      PIN.replace(/:/g, '').toLowerCase(),
    ])
    expect(s.urlSource).toBe('context "home", chosen by --context')
    expect(s.tlsSource).toBe('context "home", chosen by --context')
  })

  it('precedence: --context › CLAWLINK_CONTEXT › current; explicit flags win; --url drops the current one', async () => {
    const { env, dir } = withContexts(two)
    expect((await resolveSettings({ flags: {}, env, useContexts: true })).context).toBe('lab')
    expect(
      (await resolveSettings({ flags: {}, env: { ...env, CLAWLINK_CONTEXT: 'home' }, useContexts: true }))
        .url,
    ).toBe('wss://gw.home:18789')
    const both = await resolveSettings({
      flags: { context: 'lab' },
      env: { ...env, CLAWLINK_CONTEXT: 'home' },
      useContexts: true,
    })
    expect(both.url).toBe('ws://127.0.0.1:2')
    const other = join(dir, 'other.token')
    writeFileSync(other, 'other-token\n', { mode: 0o600 })
    const flagged = await resolveSettings({
      flags: { context: 'home', tokenFile: other, profile: 'p2' },
      env,
    })
    expect(flagged).toMatchObject({ url: 'wss://gw.home:18789', token: 'other-token', profile: 'p2' })
    // An explicit --url is another gateway: the context's token file and pin are not sent there.
    const moved = await resolveSettings({ flags: { context: 'home', url: 'ws://127.0.0.1:9' }, env })
    expect(moved).toMatchObject({
      url: 'ws://127.0.0.1:9',
      token: undefined,
      tlsFingerprints: [],
      urlSource: '--url',
    })
    const plain = await resolveSettings({ flags: { url: 'ws://127.0.0.1:9' }, env, useContexts: true })
    expect(plain.context).toBeUndefined()
    const envUrl = await resolveSettings({
      flags: {},
      env: { ...env, OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:8' },
      useContexts: true,
    })
    expect(envUrl.url).toBe('ws://127.0.0.1:8')
    expect(envUrl.context).toBeUndefined()
    // Without useContexts (the MCP server for now) only an explicit --context applies.
    expect((await resolveSettings({ flags: {}, env })).context).toBeUndefined()
  })

  it('an unknown context and a vanished token file are named', async () => {
    const { env, tokenFile } = withContexts(two)
    const unknown = await resolveSettings({ flags: { context: 'nope' }, env }).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ code: 'CONTEXT_NOT_FOUND' })
    expect((unknown as Error).message).toContain('no context "nope"')
    expect((unknown as ConfigError).remedy).toContain('one of: home, lab')
    rmSync(tokenFile)
    const gone = await resolveSettings({ flags: { context: 'home' }, env }).catch((e: unknown) => e)
    expect(gone).toMatchObject({ code: 'CONTEXT_TOKEN_FILE_MISSING' })
    expect((gone as Error).message).toContain(
      `context "home": its token file ${tokenFile} cannot be read (ENOENT)`,
    )
  })
})
