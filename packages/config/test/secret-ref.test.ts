// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${VAR}" is the OpenClaw config syntax under test
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SecretContext } from '../src/index.js'
import { errorOf } from './helpers.js'
import { parseJsonPointer, readJsonPointer, resolveSecretInput, substituteEnv } from '../src/secret-ref.js'

const SECRET = 'tok-4f9c2a-SECRET-value'
const KEY = 'gateway.auth.token'

/** A sandbox: a config dir, a home, and files the providers point at (all 0600, single link). */
function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-secretref-'))
  const home = join(dir, 'home')
  mkdirSync(home)
  const file = (name: string, content: string, mode = 0o600) => {
    const path = join(dir, name)
    writeFileSync(path, content, { mode })
    chmodSync(path, mode)
    return path
  }
  file(
    'secrets.json',
    JSON.stringify({
      gateway: { token: SECRET, port: 1 },
      'a/b': { 'c~d': 'escaped' },
      list: ['x', 'second'],
    }),
  )
  file('single.txt', `${SECRET}\n`)
  writeFileSync(join(home, 'home.json'), JSON.stringify({ t: 'from-home' }), { mode: 0o600 })
  return { dir, home, file }
}

function ctxWith(
  dir: string,
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): SecretContext {
  return { env: { HOME: join(dir, 'home'), ...env }, config, configDir: dir }
}

const providers = (extra: Record<string, unknown> = {}) => ({
  secrets: {
    providers: {
      fm: { source: 'file', path: 'secrets.json' },
      one: { source: 'file', path: 'single.txt', mode: 'singleValue' },
      ...extra,
    },
  },
})

type Row = [
  label: string,
  value: unknown,
  config: Record<string, unknown>,
  env: Record<string, string>,
  expected: string | undefined,
]

const OK: Row[] = [
  ['plain string', SECRET, {}, {}, SECRET],
  ['empty string is unset', '', {}, {}, undefined],
  ['${VAR} inside a string', 'pre-${MY_GW_TOKEN}-post', {}, { MY_GW_TOKEN: 'x' }, 'pre-x-post'],
  ['$${VAR} escapes to a literal', 'a$${MY_GW_TOKEN}b', {}, {}, 'a${MY_GW_TOKEN}b'],
  ['lowercase ${var} is not substituted', '${lower}', {}, {}, '${lower}'],
  ['"${VAR}" shorthand', '${MY_GW_TOKEN}', {}, { MY_GW_TOKEN: SECRET }, SECRET],
  ['"$VAR" shorthand', '$MY_GW_TOKEN', {}, { MY_GW_TOKEN: SECRET }, SECRET],
  [
    'env ref, default provider',
    { source: 'env', provider: 'default', id: 'MY_GW_TOKEN' },
    {},
    { MY_GW_TOKEN: SECRET },
    SECRET,
  ],
  ['env ref, implicit provider', { source: 'env', id: 'MY_GW_TOKEN' }, {}, { MY_GW_TOKEN: SECRET }, SECRET],
  [
    'env ref, declared provider with allowlist',
    { source: 'env', provider: 'ops', id: 'MY_GW_TOKEN' },
    { secrets: { providers: { ops: { source: 'env', allowlist: ['MY_GW_TOKEN'] } } } },
    { MY_GW_TOKEN: SECRET },
    SECRET,
  ],
  [
    'env ref, default alias changed by secrets.defaults.env',
    { source: 'env', id: 'MY_GW_TOKEN' },
    { secrets: { defaults: { env: 'ops' }, providers: { ops: { source: 'env' } } } },
    { MY_GW_TOKEN: SECRET },
    SECRET,
  ],
  [
    'default env alias used by a file entry: built-in env reader wins',
    { source: 'env', provider: 'default', id: 'MY_GW_TOKEN' },
    { secrets: { providers: { default: { source: 'file', path: 'secrets.json' } } } },
    { MY_GW_TOKEN: SECRET },
    SECRET,
  ],
  [
    'file ref, JSON pointer',
    { source: 'file', provider: 'fm', id: '/gateway/token' },
    providers(),
    {},
    SECRET,
  ],
  [
    'file ref, RFC 6901 ~1 and ~0',
    { source: 'file', provider: 'fm', id: '/a~1b/c~0d' },
    providers(),
    {},
    'escaped',
  ],
  ['file ref, array index', { source: 'file', provider: 'fm', id: '/list/1' }, providers(), {}, 'second'],
  ['file ref, singleValue', { source: 'file', provider: 'one', id: 'value' }, providers(), {}, SECRET],
  [
    'file ref, provider from secrets.defaults.file',
    { source: 'file', id: '/gateway/token' },
    { secrets: { ...providers().secrets, defaults: { file: 'fm' } } },
    {},
    SECRET,
  ],
  [
    'file provider path with ~',
    { source: 'file', provider: 'h', id: '/t' },
    providers({ h: { source: 'file', path: '~/home.json' } }),
    {},
    'from-home',
  ],
  [
    'file provider path with ${VAR}',
    { source: 'file', provider: 'v', id: '/t' },
    providers({ v: { source: 'file', path: '${SECRETS_HOME}/home.json' } }),
    { SECRETS_HOME: '__HOME__' },
    'from-home',
  ],
]

describe('resolveSecretInput: every form that resolves', () => {
  it.each(OK)('%s', (_label, value, config, env, expected) => {
    const { dir, home } = sandbox()
    const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '__HOME__' ? home : v]))
    expect(resolveSecretInput(value, KEY, ctxWith(dir, config, e))).toBe(expected)
  })
})

type ErrRow = [
  label: string,
  value: unknown,
  config: Record<string, unknown>,
  env: Record<string, string>,
  code: string,
  mentions: string[],
]

const ERRORS: ErrRow[] = [
  ['unset ${VAR}', '${MY_GW_TOKEN}', {}, {}, 'ENV_VAR_MISSING', [KEY, 'MY_GW_TOKEN']],
  ['empty ${VAR}', 'x${MY_GW_TOKEN}', {}, { MY_GW_TOKEN: '' }, 'ENV_VAR_MISSING', [KEY, 'MY_GW_TOKEN']],
  [
    'unset env ref',
    { source: 'env', provider: 'default', id: 'NOPE_TOKEN' },
    {},
    {},
    'ENV_VAR_MISSING',
    [KEY, 'NOPE_TOKEN'],
  ],
  [
    'env id not an env name',
    { source: 'env', id: 'lower' },
    {},
    { lower: 'x' },
    'SECRET_REF_INVALID',
    [KEY, 'lower'],
  ],
  [
    'bad provider name',
    { source: 'env', provider: 'Bad!', id: 'X' },
    {},
    { X: 'x' },
    'SECRET_REF_INVALID',
    [KEY, 'Bad!'],
  ],
  [
    'env var outside the allowlist',
    { source: 'env', provider: 'ops', id: 'OTHER' },
    { secrets: { providers: { ops: { source: 'env', allowlist: [] } } } },
    { OTHER: 'x' },
    'SECRET_REF_INVALID',
    [KEY, 'allowlist'],
  ],
  [
    'explicit "default" after the env default moved',
    { source: 'env', provider: 'default', id: 'X' },
    { secrets: { defaults: { env: 'ops' } } },
    { X: 'x' },
    'SECRET_REF_INVALID',
    [KEY, 'default'],
  ],
  [
    'undeclared file provider',
    { source: 'file', provider: 'nope', id: '/x' },
    providers(),
    {},
    'SECRET_REF_INVALID',
    [KEY, 'secrets.providers'],
  ],
  [
    'file id not a pointer',
    { source: 'file', provider: 'fm', id: 'gateway/token' },
    providers(),
    {},
    'SECRET_REF_INVALID',
    [KEY, 'JSON pointer'],
  ],
  [
    'bad ~ escape',
    { source: 'file', provider: 'fm', id: '/a~2' },
    providers(),
    {},
    'SECRET_REF_INVALID',
    [KEY],
  ],
  [
    'pointer to nothing',
    { source: 'file', provider: 'fm', id: '/gateway/nope' },
    providers(),
    {},
    'SECRET_REF_NOT_FOUND',
    [KEY, '/gateway/nope'],
  ],
  [
    'pointer to a number',
    { source: 'file', provider: 'fm', id: '/gateway/port' },
    providers(),
    {},
    'SECRET_REF_NOT_FOUND',
    [KEY],
  ],
  [
    'singleValue with a pointer id',
    { source: 'file', provider: 'one', id: '/x' },
    providers(),
    {},
    'SECRET_REF_INVALID',
    [KEY, 'singleValue'],
  ],
  [
    'unknown file mode',
    { source: 'file', provider: 'm', id: '/x' },
    providers({ m: { source: 'file', path: 'secrets.json', mode: 'yaml' } }),
    {},
    'SECRET_REF_INVALID',
    ['secrets.providers.m'],
  ],
  [
    'provider without path',
    { source: 'file', provider: 'p', id: '/x' },
    providers({ p: { source: 'file' } }),
    {},
    'SECRET_REF_INVALID',
    ['secrets.providers.p'],
  ],
  [
    'missing file',
    { source: 'file', provider: 'g', id: '/x' },
    providers({ g: { source: 'file', path: 'gone.json' } }),
    {},
    'SECRET_FILE_UNREADABLE',
    [KEY, 'ENOENT'],
  ],
  [
    'file larger than maxBytes',
    { source: 'file', provider: 's', id: '/gateway/token' },
    providers({ s: { source: 'file', path: 'secrets.json', maxBytes: 10 } }),
    {},
    'SECRET_FILE_UNREADABLE',
    [KEY, '10 bytes'],
  ],
  [
    'exec ref',
    { source: 'exec', provider: 'vault', id: 'gw/token' },
    {},
    {},
    'SECRET_REF_UNSUPPORTED',
    [KEY, 'never runs'],
  ],
  ['store ref', { source: 'store', provider: 'default', id: 'GW' }, {}, {}, 'SECRET_REF_UNSUPPORTED', [KEY]],
  ['unknown source', { source: 'vault', id: 'x' }, {}, {}, 'SECRET_REF_INVALID', [KEY, 'vault']],
  ['a number', 42, {}, {}, 'SECRET_REF_INVALID', [KEY]],
]

describe('resolveSecretInput: every error names the key and never the secret', () => {
  it.each(ERRORS)('%s', (_label, value, config, env, code, mentions) => {
    const { dir } = sandbox()
    const error = errorOf(() => resolveSecretInput(value, KEY, ctxWith(dir, config, env)))
    expect(error.code).toBe(code)
    for (const m of mentions) expect(error.message).toContain(m)
    expect(`${error.message} ${error.remedy}`).not.toContain(SECRET)
    expect(error.remedy.length).toBeGreaterThan(5)
  })
})

describe('file provider: the file must be private (OpenClaw secretref-contract)', () => {
  const ref = { source: 'file', provider: 'fm', id: '/gateway/token' }
  it('refuses group/world permissions, a symlink, a hard link, another owner; never quotes the content', () => {
    const { dir, file } = sandbox()
    const ctx = (path: string) => ctxWith(dir, { secrets: { providers: { fm: { source: 'file', path } } } })
    const loose = file('loose.json', JSON.stringify({ gateway: { token: SECRET } }), 0o640)
    const e1 = errorOf(() => resolveSecretInput(ref, KEY, ctx(loose)))
    expect([e1.code, e1.remedy]).toEqual(['SECRET_FILE_INSECURE', `chmod 600 ${loose}`])
    symlinkSync(join(dir, 'secrets.json'), join(dir, 'link.json'))
    expect(errorOf(() => resolveSecretInput(ref, KEY, ctx(join(dir, 'link.json')))).message).toContain(
      'symlink',
    )
    const linked = file('linked.json', JSON.stringify({ gateway: { token: SECRET } }))
    linkSync(linked, join(dir, 'second-name.json'))
    expect(errorOf(() => resolveSecretInput(ref, KEY, ctx(linked))).message).toContain('hard link')
    const garbage = file('garbage.json', `not json ${SECRET}`)
    const e4 = errorOf(() => resolveSecretInput(ref, KEY, ctx(garbage)))
    expect(e4.code).toBe('SECRET_FILE_UNREADABLE')
    expect(e4.message).not.toContain(SECRET)
    expect(e4.cause).toBeUndefined()
  })
  it('refuses a file owned by another user (chown to nobody; needs root, as in CI)', () => {
    expect(process.getuid?.(), 'this test chowns a file: run it as root (CI does)').toBe(0)
    const { dir, file } = sandbox()
    const theirs = file('theirs.json', JSON.stringify({ gateway: { token: SECRET } }))
    chownSync(theirs, 65534, 65534)
    const ctx = ctxWith(dir, { secrets: { providers: { fm: { source: 'file', path: theirs } } } })
    const error = errorOf(() => resolveSecretInput(ref, KEY, ctx))
    expect([error.code, error.message]).toEqual([
      'SECRET_FILE_INSECURE',
      expect.stringContaining('uid 65534'),
    ])
  })
})

describe('${VAR} substitution and JSON pointers', () => {
  it.each([
    ['${A}${B}', { A: '1', B: '2' }, '12'],
    ['$${A}', {}, '${A}'],
    ['$$${A}', { A: 'x' }, '$${A}'],
    ['${_UNDER}', { _UNDER: 'u' }, 'u'],
    ['$A stays in a longer string', {}, '$A stays in a longer string'],
    ['${a}', { a: 'x' }, '${a}'],
  ])('substituteEnv(%j)', (input, env, expected) => {
    expect(substituteEnv(input, 'gateway.remote.url', env)).toBe(expected)
  })
  it.each([
    ['/a~1b', ['a/b']],
    ['/c~0d', ['c~d']],
    ['/~01', ['~1']],
    ['/', ['']],
    ['/a/b', ['a', 'b']],
    ['', undefined],
    ['a/b', undefined],
    ['/a~', undefined],
  ])('parseJsonPointer(%j)', (pointer, expected) => {
    expect(parseJsonPointer(pointer)).toEqual(expected)
  })
  it('readJsonPointer walks objects and arrays, own keys only', () => {
    const doc = { a: [{ b: 'x' }], '': 'empty' }
    expect(readJsonPointer(doc, ['a', '0', 'b'])).toBe('x')
    expect(readJsonPointer(doc, [''])).toBe('empty')
    expect(readJsonPointer(doc, ['a', '01'])).toBeUndefined()
    expect(readJsonPointer(doc, ['toString'])).toBeUndefined()
  })
})
