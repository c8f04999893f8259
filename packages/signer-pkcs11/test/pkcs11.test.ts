import { execFileSync, spawn } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hexEncode, SignerError, utf8Encode } from '@clawlink/protocol'
import { runSignerConformance, vectorSeed } from '@clawlink/testkit/conformance'
import * as ed from '@noble/ed25519'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closePkcs11Sessions, createPkcs11Signer, describePkcs11Key } from '../src/index.js'
import { createSoftHsm, hasSoftHsm, type SoftHsm, USER_PIN } from './softhsm.js'

async function failure(promise: Promise<unknown>): Promise<SignerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SignerError)
  return error as SignerError
}

describe.skipIf(!hasSoftHsm)('pkcs11 signer against a real SoftHSM2 token', () => {
  let hsm: SoftHsm
  let pinFile: string
  /** URI on the main token with the PIN from a 0600 pin-source file. */
  const main = (path: string) => `${hsm.uri('main', path)}&pin-source=file:${pinFile}`

  beforeAll(() => {
    hsm = createSoftHsm()
    pinFile = join(hsm.dir, 'pin')
    writeFileSync(pinFile, `${USER_PIN}\n`, { mode: 0o600 })
    // SoftHSM2 lists tokens as they were at C_Initialize: make them all before the first signer.
    hsm.initToken('main')
    hsm.keygen('main', 'dev1', '01')
    hsm.importSeed('main', 'vector', '0a', hexEncode(vectorSeed()))
    hsm.keygen('main', 'twin', '21')
    hsm.keygen('main', 'twin', '22')
    hsm.keygen('main', 'p256', '31', 'EC:prime256v1')
    hsm.initToken('other')
    hsm.keygen('other', 'dev2', '02')
    hsm.initTokenWithoutUserPin('nopin')
  })
  afterAll(() => {
    closePkcs11Sessions()
    hsm?.remove()
  })

  let n = 0
  runSignerConformance('pkcs11 (SoftHSM2)', {
    create: () => createPkcs11Signer({ uri: main(`;object=fresh-${++n}`), generate: true }),
    createFromVectorSeed: () => createPkcs11Signer({ uri: main(';object=vector') }),
  })

  it('reads the public key pkcs11-tool exports, and signs as node:crypto verifies', async () => {
    const signer = await createPkcs11Signer({ uri: main(';object=dev1;id=%01') })
    const pem = execFileSync(
      'pkcs11-tool',
      ['--module', hsm.module, '--token-label', 'main', '--read-object', '--type', 'pubkey', '--id', '01'],
      { env: hsm.env },
    )
    const spki = createPublicKey(pem.toString()).export({ format: 'der', type: 'spki' })
    expect(Buffer.from(signer.publicKey)).toEqual(spki.subarray(12))
    expect([signer.token, signer.keyLabel, signer.keyId, signer.generated]).toEqual([
      'main',
      'dev1',
      '%01',
      false,
    ])
    const payload = utf8Encode('v3|dev|cli|cli|operator|operator.admin|1|tok|nonce')
    expect(await ed.verifyAsync(await signer.sign(payload), payload, signer.publicKey)).toBe(true)
  })

  it('generates a non-extractable, sensitive key pair on the token once, then reuses it', async () => {
    const first = await createPkcs11Signer({ uri: main(';object=made-here;id=%77'), generate: true })
    const again = await createPkcs11Signer({ uri: main(';object=made-here'), generate: true })
    expect(first.generated).toBe(true)
    expect(again.generated).toBe(false)
    expect(again.publicKey).toEqual(first.publicKey)
    const listing = execFileSync(
      'pkcs11-tool',
      [
        '--module',
        hsm.module,
        '--token-label',
        'main',
        '--login',
        '--pin',
        USER_PIN,
        // pkcs11-tool 0.23 lists every object whatever --id says: the block is picked below.
        '--list-objects',
      ],
      { env: hsm.env },
    ).toString()
    const privateBlock = listing
      .split(/(?=Private Key Object|Public Key Object)/)
      .find((b) => b.startsWith('Private') && /label:\s+made-here\s/.test(b) && /ID:\s+77\s/.test(b))
    expect(privateBlock).toContain('EC_EDWARDS')
    expect(privateBlock).toMatch(/Access:.*sensitive.*never extractable/)
  })

  it('signs concurrent payloads on one session, each verified', async () => {
    const signer = await createPkcs11Signer({ uri: main(';object=dev1') })
    const payloads = Array.from({ length: 40 }, (_, i) => utf8Encode(`payload-${i}`))
    const signatures = await Promise.all(payloads.map((p) => signer.sign(p)))
    for (const [i, s] of signatures.entries())
      expect(await ed.verifyAsync(s, payloads[i]!, signer.publicKey)).toBe(true)
  })

  it('aborts a signature queued behind others', async () => {
    const signer = await createPkcs11Signer({ uri: main(';object=dev1') })
    const controller = new AbortController()
    const busy = Array.from({ length: 20 }, (_, i) => signer.sign(utf8Encode(`busy-${i}`)))
    const queued = signer.sign(utf8Encode('late'), { signal: controller.signal })
    controller.abort()
    expect((await failure(queued)).code).toBe('ABORTED')
    expect(await Promise.all(busy)).toHaveLength(20)
  })

  it('wrong PIN: PKCS11_PIN_INCORRECT without the PIN in the message; the right one then logs in', async () => {
    const error = await failure(createPkcs11Signer({ uri: hsm.uri('other', ';object=dev2'), pin: '999999' }))
    expect(error.code).toBe('PKCS11_PIN_INCORRECT')
    expect(error.message).toContain('token "other"')
    expect(`${error.message} ${error.remedy}`).not.toContain('999999')
    const signer = await createPkcs11Signer({ uri: hsm.uri('other', ';object=dev2'), pin: USER_PIN })
    expect(signer.keyLabel).toBe('dev2')
  })

  it('a user PIN the token holds locked/unset: PKCS11_PIN_LOCKED until the SO sets one', async () => {
    const uri = hsm.uri('nopin')
    const error = await failure(createPkcs11Signer({ uri, pin: USER_PIN }))
    expect(error.code).toBe('PKCS11_PIN_LOCKED')
    expect(error.remedy).toContain('--login-type so --init-pin')
    hsm.setUserPinAsSo('nopin')
    // The SO's reset happened in another process: look at the token afresh.
    closePkcs11Sessions()
    const after = await failure(createPkcs11Signer({ uri, pin: USER_PIN }))
    expect(after.code).toBe('PKCS11_KEY_NOT_FOUND')
    expect(after.message).toContain('private keys there: none')
  })

  it('absent token: PKCS11_TOKEN_NOT_FOUND naming the tokens present', async () => {
    const error = await failure(createPkcs11Signer({ uri: hsm.uri('nosuch', ';object=dev1'), pin: USER_PIN }))
    expect(error.code).toBe('PKCS11_TOKEN_NOT_FOUND')
    expect(error.message).toContain('present: ')
    expect(error.message).toContain('"main" (serial ')
    expect(error.message).toContain('"other" (serial ')
  })

  it('no such key: PKCS11_KEY_NOT_FOUND listing the keys there', async () => {
    const error = await failure(createPkcs11Signer({ uri: main(';object=nope') }))
    expect(error.code).toBe('PKCS11_KEY_NOT_FOUND')
    expect(error.message).toContain('label "dev1" id %01')
    expect(error.remedy).toContain('--pkcs11-generate')
  })

  it('two keys with one label: PKCS11_KEY_AMBIGUOUS listing both; id= picks one', async () => {
    const error = await failure(createPkcs11Signer({ uri: main(';object=twin') }))
    expect(error.code).toBe('PKCS11_KEY_AMBIGUOUS')
    expect(error.message).toContain('label "twin" id %21')
    expect(error.message).toContain('label "twin" id %22')
    const one = await createPkcs11Signer({ uri: main(';object=twin;id=%22') })
    expect(one.keyId).toBe('%22')
  })

  it('an EC P-256 key: PKCS11_KEY_NOT_ED25519', async () => {
    const error = await failure(createPkcs11Signer({ uri: main(';object=p256') }))
    expect(error.code).toBe('PKCS11_KEY_NOT_ED25519')
    expect(error.message).toContain('EC (ECDSA)')
  })

  it('module missing or not a PKCS#11 module: PKCS11_MODULE_NOT_FOUND / PKCS11_MODULE_INVALID', async () => {
    const missing = await failure(
      createPkcs11Signer({ uri: 'pkcs11:token=main?module-path=/nonexistent/libp11.so' }),
    )
    expect(missing.code).toBe('PKCS11_MODULE_NOT_FOUND')
    expect(missing.message).toContain('/nonexistent/libp11.so')
    const bogus = join(hsm.dir, 'not-a-module.so')
    writeFileSync(bogus, 'text, not ELF')
    const invalid = await failure(createPkcs11Signer({ uri: `pkcs11:token=main?module-path=${bogus}` }))
    expect(invalid.code).toBe('PKCS11_MODULE_INVALID')
    const none = await failure(createPkcs11Signer({ uri: 'pkcs11:token=main' }))
    expect(none.code).toBe('PKCS11_MODULE_NOT_FOUND')
  })

  it('PIN sources: a readable-by-others pin file is refused; no PIN at all is PKCS11_PIN_REQUIRED', async () => {
    const loose = join(hsm.dir, 'loose-pin')
    writeFileSync(loose, USER_PIN)
    chmodSync(loose, 0o644)
    closePkcs11Sessions()
    const insecure = await failure(createPkcs11Signer({ uri: `${hsm.uri('main')}&pin-source=file:${loose}` }))
    expect(insecure.code).toBe('PKCS11_PIN_FILE_INSECURE')
    expect(insecure.remedy).toContain('chmod 600')
    const saved = process.env.CLAWLINK_PKCS11_PIN
    delete process.env.CLAWLINK_PKCS11_PIN
    try {
      expect((await failure(createPkcs11Signer({ uri: hsm.uri('main', ';object=dev1') }))).code).toBe(
        'PKCS11_PIN_REQUIRED',
      )
      process.env.CLAWLINK_PKCS11_PIN = USER_PIN
      expect((await createPkcs11Signer({ uri: hsm.uri('main', ';object=dev1') })).keyLabel).toBe('dev1')
    } finally {
      if (saved === undefined) delete process.env.CLAWLINK_PKCS11_PIN
      else process.env.CLAWLINK_PKCS11_PIN = saved
    }
  })

  it('asks for the PIN on a terminal without echoing it', async () => {
    // `script` gives the child a real pseudo-terminal; the PIN is typed once the prompt shows.
    const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')
    const code = `import { createPkcs11Signer } from ${JSON.stringify(dist)}
const s = await createPkcs11Signer({ uri: ${JSON.stringify(hsm.uri('other', ';object=dev2'))} })
console.log("SIGNER-OK", s.keyLabel, String((await s.sign(new TextEncoder().encode("x"))).length))`
    const env = { ...hsm.env }
    delete env.CLAWLINK_PKCS11_PIN
    const child = spawn(
      'script',
      ['-qec', `${process.execPath} --input-type=module -e '${code}'`, '/dev/null'],
      {
        env,
      },
    )
    let output = ''
    const done = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.stdout.on('data', (chunk: Buffer) => {
      const before = output
      output += chunk.toString()
      if (!before.includes('PIN for token') && output.includes('PIN for token "other": '))
        child.stdin.write(`${USER_PIN}\r`)
    })
    const timer = setTimeout(() => child.kill(), 20_000)
    expect(await done, output).toBe(0)
    clearTimeout(timer)
    expect(output).toContain('PIN for token "other": ')
    expect(output).toMatch(/SIGNER-OK dev2 64/)
    expect(output).not.toContain(USER_PIN)
  })

  it('describePkcs11Key walks module, slot, login and key, and stops at the failing step with its fix', async () => {
    const good = await describePkcs11Key(main(';object=dev1'))
    expect(good.map((c) => [c.step, c.ok])).toEqual([
      ['uri', true],
      ['module', true],
      ['slot', true],
      ['login', true],
      ['key', true],
    ])
    expect(good[2]!.detail).toContain('token "main"')
    expect(good[4]!.detail).toContain('Ed25519 key label "dev1" id %01')
    const absent = await describePkcs11Key(hsm.uri('gone'))
    expect(absent.at(-1)).toMatchObject({ step: 'slot', ok: false })
    expect(absent.at(-1)!.fix).toContain('plug the token in')
    const wrongKey = await describePkcs11Key(main(';object=p256'))
    expect(wrongKey.at(-1)).toMatchObject({ step: 'key', ok: false })
    expect(wrongKey.at(-1)!.detail).toContain('PKCS11_KEY_NOT_ED25519')
  })
})
