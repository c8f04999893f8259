import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { base64UrlEncode, SignerError } from '@clawlink/protocol'
import { runSignerConformance, vectorSeed } from '@clawlink/testkit/conformance'
import { afterAll, describe, expect, it } from 'vitest'
import { createKeychainSigner, deleteKeychainSeed, exportKeychainSeed } from '../src/index.js'

// A real Secret Service comes from scripts/with-keyring.sh (gnome-keyring on a private D-Bus).
const keyring = process.env.CLAWLINK_KEYRING === '1'
if (!keyring && process.env.CLAWLINK_REQUIRE_REAL === '1') {
  throw new Error('CLAWLINK_REQUIRE_REAL=1 but no keyring: run the tests under scripts/with-keyring.sh')
}
const service = `clawlink-test-${process.pid}-${randomBytes(3).toString('hex')}`
const accounts: string[] = []
const account = () => {
  const a = `acct-${accounts.length}-${randomBytes(3).toString('hex')}`
  accounts.push(a)
  return a
}

// Stored before keytar is first loaded in this process: libsecret in a process without a GLib main loop does not
// see items another process creates after its first use (found here; see the closing notes).
const vectorAccount = account()
if (keyring) {
  await promisify(execFile)(
    'sh',
    ['-c', 'printf %s "$SEED" | secret-tool store --label "clawlink test" service "$SVC" account "$ACCT"'],
    { env: { ...process.env, SEED: base64UrlEncode(vectorSeed()), SVC: service, ACCT: vectorAccount } },
  )
}

describe.skipIf(!keyring)('keychain signer in a real Secret Service (gnome-keyring)', () => {
  afterAll(async () => {
    for (const a of accounts) await deleteKeychainSeed({ account: a, service }).catch(() => false)
  })

  runSignerConformance('keychain', {
    create: () => createKeychainSigner({ account: account(), service }),
    // The vector seed was put into the Secret Service by another client (secret-tool, below) and the signer
    // must find it there (create: false): the golden signatures prove it signs with what the Secret Service
    // returns, not with a seed it kept in memory.
    createFromVectorSeed: () => createKeychainSigner({ account: vectorAccount, service, create: false }),
  })

  it('imports a seed (importSeed) and signs the golden vectors with it too', async () => {
    const signer = await createKeychainSigner({ account: account(), service, importSeed: vectorSeed() })
    expect(base64UrlEncode(signer.publicKey)).toBe('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')
  })

  it('creates the seed on first use and finds the same key again', async () => {
    const a = account()
    const first = await createKeychainSigner({ account: a, service })
    expect(first.created).toBe(true)
    const again = await createKeychainSigner({ account: a, service })
    expect(again.created).toBe(false)
    expect(base64UrlEncode(again.publicKey)).toBe(base64UrlEncode(first.publicKey))
  })

  it('KEY_NOT_FOUND with create:false, KEY_EXISTS on import over a key', async () => {
    const a = account()
    await expect(createKeychainSigner({ account: a, service, create: false })).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
    })
    await createKeychainSigner({ account: a, service })
    await expect(
      createKeychainSigner({ account: a, service, importSeed: vectorSeed() }),
    ).rejects.toMatchObject({ code: 'KEY_EXISTS' })
  })

  it('exports only with confirmation, and then the exact seed', async () => {
    const a = account()
    await createKeychainSigner({ account: a, service, importSeed: vectorSeed() })
    await expect(exportKeychainSeed({ account: a, service, confirm: false })).rejects.toBeInstanceOf(
      SignerError,
    )
    expect(await exportKeychainSeed({ account: a, service, confirm: true })).toEqual(vectorSeed())
  })
})

describe('without a reachable keychain', () => {
  it('fails with KEYCHAIN_UNAVAILABLE naming the file signer, in bounded time (no hang)', async () => {
    const script = `
      import('${new URL('../dist/index.js', import.meta.url).href}').then(async (m) => {
        try { await m.createKeychainSigner({ account: 'x', service: 'clawlink-nobus', timeoutMs: 3000 }); console.log('NO_ERROR') }
        catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, remedy: e.remedy })) }
      })`
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    }
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env,
      timeout: 20_000,
    })
    const result = JSON.parse(stdout.trim())
    expect(result).toMatchObject({ name: 'SignerError', code: 'KEYCHAIN_UNAVAILABLE' })
    expect(result.remedy).toContain('--signer file')
  })
})
