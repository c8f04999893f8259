import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64UrlEncode, deriveDeviceId, SignerError, seedToPkcs8Pem } from '@clawlink/protocol'
import { runSignerConformance, vectorSeed } from '@clawlink/testkit/conformance'
import { moduleForNobody, runNodeAsNobody } from '@clawlink/testkit/harness'
import { describe, expect, it } from 'vitest'
import { createFileSigner, exportSeedFromFile, importSeedToFile } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'clawlink-signer-file-'))
let n = 0
const fresh = () => join(root, `case-${++n}`, 'device-key.json')

runSignerConformance('file', {
  create: () => createFileSigner({ path: fresh() }),
  createFromVectorSeed: () => importSeedToFile(fresh(), vectorSeed()),
})

function fingerprint(path: string): string {
  const s = statSync(path)
  return `${createHash('sha256').update(readFileSync(path)).digest('hex')}:${s.mtimeMs}:${s.mode}`
}

async function errorOf(promise: Promise<unknown>): Promise<SignerError> {
  const error = await promise.catch((e: unknown) => e)
  expect(error).toBeInstanceOf(SignerError)
  return error as SignerError
}

describe('createFileSigner', () => {
  it('creates the key on first use: file 0600, folder 0700, our documented JSON', async () => {
    const path = fresh()
    const signer = await createFileSigner({ path })
    expect(signer.created).toBe(true)
    expect(signer.kind).toBe('clawlink')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700)
    const data = JSON.parse(readFileSync(path, 'utf8'))
    expect(Object.keys(data).sort()).toEqual(['algorithm', 'createdAtMs', 'publicKey', 'seed', 'version'])
    expect(data).toMatchObject({
      version: 1,
      algorithm: 'ed25519',
      publicKey: base64UrlEncode(signer.publicKey),
    })
  })

  it('loads the same key again and never rewrites it', async () => {
    const path = fresh()
    const first = await createFileSigner({ path })
    const before = fingerprint(path)
    const again = await createFileSigner({ path })
    expect(again.created).toBe(false)
    expect(again.publicKey).toEqual(first.publicKey)
    expect(fingerprint(path)).toBe(before)
  })

  it('concurrent first uses agree on one key', async () => {
    const path = fresh()
    const signers = await Promise.all(Array.from({ length: 8 }, () => createFileSigner({ path })))
    expect(new Set(signers.map((s) => deriveDeviceId(s.publicKey))).size).toBe(1)
    expect(signers.filter((s) => s.created)).toHaveLength(1)
  })

  it('KEY_NOT_FOUND when creation is off', async () => {
    const error = await errorOf(createFileSigner({ path: fresh(), create: false }))
    expect(error.code).toBe('KEY_NOT_FOUND')
    expect(error.remedy).toContain('clawlink device init')
  })

  it('refuses a key readable by group or others, naming chmod 600, and leaves it alone', async () => {
    const path = fresh()
    await createFileSigner({ path })
    chmodSync(path, 0o644)
    const before = fingerprint(path)
    const error = await errorOf(createFileSigner({ path }))
    expect(error.code).toBe('KEY_FILE_INSECURE')
    expect(error.remedy).toBe(`chmod 600 ${path}`)
    expect(fingerprint(path)).toBe(before)
  })

  const bad: [string, string | null][] = [
    ['empty', ''],
    ['truncated', '{"version":1,"algorithm":"ed25519","seed":"AAAA'],
    ['not JSON', 'hello world'],
    ['a JSON array', '[1,2,3]'],
    [
      'a PEM public key',
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n',
    ],
    ['random JSON', '{"hello":"world"}'],
    ['a short seed', '{"version":1,"algorithm":"ed25519","publicKey":"x","seed":"AAAA","createdAtMs":1}'],
    [
      'an unknown version',
      '{"version":9,"algorithm":"ed25519","publicKey":"x","seed":"AAAA","createdAtMs":1}',
    ],
  ]
  for (const [what, content] of bad) {
    it(`KEY_FILE_CORRUPT for ${what}, file untouched`, async () => {
      const path = fresh()
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, content ?? '', { mode: 0o600 })
      const before = fingerprint(path)
      const error = await errorOf(createFileSigner({ path }))
      expect(error.code).toBe('KEY_FILE_CORRUPT')
      expect(error.message).toContain(path)
      expect(error.message).not.toMatch(/seed":/)
      expect(fingerprint(path)).toBe(before)
    })
  }

  it('KEY_FILE_UNREADABLE when the path is a directory', async () => {
    const path = fresh()
    mkdirSync(path, { recursive: true, mode: 0o700 })
    expect((await errorOf(createFileSigner({ path }))).code).toBe('KEY_FILE_UNREADABLE')
  })

  it('KEY_FILE_UNREADABLE when permissions forbid reading (as root: checked as the unprivileged user nobody)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-unreadable-'))
    chmodSync(dir, 0o755)
    const path = join(dir, 'device-key.json')
    await createFileSigner({ path })
    chmodSync(path, 0o000)
    const before = fingerprint(path)
    if (process.getuid?.() !== 0) {
      expect((await errorOf(createFileSigner({ path }))).code).toBe('KEY_FILE_UNREADABLE')
    } else {
      // root reads any file, so ask the same question as `nobody` (setpriv is in util-linux).
      const dist = await moduleForNobody(new URL('../dist/index.js', import.meta.url).pathname)
      const script = `import(${JSON.stringify(dist.path)}).then((m) => m.createFileSigner({ path: ${JSON.stringify(path)} })).then(() => console.log('READ'), (e) => console.log(e.code))`
      try {
        const out = runNodeAsNobody(script, { HOME: '/nonexistent' })
        expect(out.toString().trim()).toBe('KEY_FILE_UNREADABLE')
      } finally {
        dist.remove()
      }
    }
    expect(fingerprint(path)).toBe(before)
    rmSync(dir, { recursive: true, force: true })
  })
})

describe("OpenClaw's legacy identity/device.json (docs/protocol.md §6.5)", () => {
  it('signs with it, read-only', async () => {
    const path = fresh()
    mkdirSync(join(path, '..'), { recursive: true })
    const seed = vectorSeed()
    const privateKey = createPrivateKey(seedToPkcs8Pem(seed))
    const identity = {
      version: 1,
      deviceId: '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9',
      publicKeyPem: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }),
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      createdAtMs: 1,
    }
    writeFileSync(path, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 })
    const before = fingerprint(path)
    const signer = await createFileSigner({ path })
    expect(signer.kind).toBe('openclaw-legacy')
    expect(deriveDeviceId(signer.publicKey)).toBe(identity.deviceId)
    expect(fingerprint(path)).toBe(before)
  })
})

describe('import and export (migration)', () => {
  it('never overwrites an existing key', async () => {
    const path = fresh()
    await createFileSigner({ path })
    const before = fingerprint(path)
    expect((await errorOf(importSeedToFile(path, vectorSeed()))).code).toBe('KEY_EXISTS')
    expect(fingerprint(path)).toBe(before)
  })
  it('exports only with an explicit confirmation', async () => {
    const path = fresh()
    await importSeedToFile(path, vectorSeed())
    expect(() => exportSeedFromFile(path, { confirm: false })).toThrow(SignerError)
    expect(exportSeedFromFile(path, { confirm: true })).toEqual(vectorSeed())
  })
})
