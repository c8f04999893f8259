import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SignerError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { CKR, mapPkcs11Error } from '../src/binding.js'

const here = dirname(fileURLToPath(import.meta.url))
// The real error class pkcs11js throws, so the mapping is checked against its actual shape.
const { Pkcs11Error } = createRequire(import.meta.url)('pkcs11js') as {
  Pkcs11Error: new (message: string, code: number, method: string) => Error
}

function ckr(name: string, code: number): Error {
  return new Pkcs11Error(`${name}:${code}`, code, 'C_Login')
}

describe('PKCS#11 return values → typed errors', () => {
  it.each([
    ['CKR_PIN_INCORRECT', CKR.PIN_INCORRECT, 'PKCS11_PIN_INCORRECT'],
    ['CKR_PIN_LEN_RANGE', CKR.PIN_LEN_RANGE, 'PKCS11_PIN_INCORRECT'],
    ['CKR_PIN_LOCKED', CKR.PIN_LOCKED, 'PKCS11_PIN_LOCKED'],
    ['CKR_USER_PIN_NOT_INITIALIZED', CKR.USER_PIN_NOT_INITIALIZED, 'PKCS11_PIN_LOCKED'],
    ['CKR_MECHANISM_INVALID', CKR.MECHANISM_INVALID, 'PKCS11_MECHANISM_UNSUPPORTED'],
    ['CKR_TOKEN_NOT_PRESENT', CKR.TOKEN_NOT_PRESENT, 'PKCS11_TOKEN_NOT_FOUND'],
    ['CKR_DEVICE_REMOVED', CKR.DEVICE_REMOVED, 'PKCS11_TOKEN_NOT_FOUND'],
    ['CKR_GENERAL_ERROR', 0x5, 'PKCS11_DEVICE_ERROR'],
  ])('%s → %s', (name, code, expected) => {
    const error = mapPkcs11Error(ckr(name, code), 'logging in', 'token "t"')
    expect(error).toBeInstanceOf(SignerError)
    expect(error.code).toBe(expected)
    expect(error.message).toContain(expected === 'PKCS11_MECHANISM_UNSUPPORTED' ? 'CKM_EDDSA' : name)
    expect(error.remedy).toBeTruthy()
  })
})

describe('pkcs11js absent', () => {
  it('creating a signer fails with PKCS11_NOT_BUILT naming what to install', () => {
    const script = `import { createPkcs11Signer } from ${JSON.stringify(join(here, '..', 'dist', 'index.js'))}
createPkcs11Signer({ uri: 'pkcs11:token=t?module-path=${process.execPath}' }).then(
  () => console.log('no error'),
  (e) => console.log(JSON.stringify({ code: e.code, remedy: e.remedy })),
)`
    const out = execFileSync(
      process.execPath,
      ['--require', join(here, 'fixtures', 'hide-pkcs11js.cjs'), '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    )
    const result = JSON.parse(out) as { code: string; remedy: string }
    expect(result.code).toBe('PKCS11_NOT_BUILT')
    expect(result.remedy).toContain('pkcs11js')
  })
})
