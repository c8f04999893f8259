import fc from 'fast-check'
import { SignerError } from '@clawlink/protocol'
import { describe, expect, it } from 'vitest'
import { describePkcs11Uri, formatPkcs11Id, parsePkcs11Uri } from './uri.js'

// A fixed number of runs, not a time budget: on a loaded CI machine they take several times the 5 s default.
const PROPERTY_TIMEOUT_MS = 60_000

function code(text: string): string | undefined {
  try {
    parsePkcs11Uri(text)
    return undefined
  } catch (error) {
    expect(error).toBeInstanceOf(SignerError)
    return (error as SignerError).code
  }
}

describe('parsePkcs11Uri (RFC 7512)', () => {
  it('reads path attributes, %-decoding values and the id as bytes', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=5c2b;model=SoftHSM%20v2;object=dev%3B1;type=private;id=%01%ab%FF;slot-id=42',
    )
    expect(uri).toEqual({
      token: 'My Token',
      manufacturer: 'SoftHSM project',
      serial: '5c2b',
      model: 'SoftHSM v2',
      object: 'dev;1',
      type: 'private',
      id: Uint8Array.from([0x01, 0xab, 0xff]),
      slotId: 42,
    })
  })

  it('reads the RFC 7512 §3.3 examples', () => {
    expect(parsePkcs11Uri('pkcs11:')).toEqual({})
    expect(parsePkcs11Uri('pkcs11:object=my-pubkey;type=public')).toEqual({
      object: 'my-pubkey',
      type: 'public',
    })
    expect(
      parsePkcs11Uri(
        'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=',
      ),
    ).toMatchObject({ token: 'The Software PKCS#11 Softtoken', manufacturer: 'Snake Oil, Inc.', serial: '' })
    expect(parsePkcs11Uri('pkcs11:slot-description=Sun%20Metaslot').slotDescription).toBe('Sun Metaslot')
    expect(
      parsePkcs11Uri(
        'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token;library-version=1.23',
      ),
    ).toEqual({
      libraryManufacturer: 'Snake Oil, Inc.',
      libraryDescription: 'Soft Token',
      libraryVersion: '1.23',
    })
    expect(parsePkcs11Uri('pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1').token).toBe(
      'Name with a small A with acute: á',
    )
    expect(parsePkcs11Uri('pkcs11:x-vendor-attr=foo;object=k').object).toBe('k')
  })

  it('reads module-path, module-name and pin-source from the query', () => {
    expect(
      parsePkcs11Uri(
        'pkcs11:object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/home/u/.pin',
      ),
    ).toEqual({ object: 'k', modulePath: '/usr/lib/softhsm/libsofthsm2.so', pinSource: '/home/u/.pin' })
    expect(parsePkcs11Uri('pkcs11:?pin-source=file:///run/pin%20file').pinSource).toBe('/run/pin file')
    expect(parsePkcs11Uri('pkcs11:?pin-source=/run/pin').pinSource).toBe('/run/pin')
    expect(parsePkcs11Uri('pkcs11:?module-name=softhsm2').moduleName).toBe('softhsm2')
    expect(parsePkcs11Uri('pkcs11:?x-foo=1&module-name=ykcs11').moduleName).toBe('ykcs11')
  })

  it('refuses pin-value: the PIN would be stored in the profile and shown in argv', () => {
    try {
      parsePkcs11Uri('pkcs11:token=t?pin-value=123456')
      expect.unreachable()
    } catch (error) {
      expect((error as SignerError).code).toBe('PKCS11_URI_INVALID')
      expect((error as SignerError).message).not.toContain('123456')
      expect((error as SignerError).remedy).toContain('pin-source')
    }
  })

  it.each([
    ['not a pkcs11 URI', 'pkcs12:token=x'],
    ['empty', ''],
    ['unknown path attribute', 'pkcs11:colour=blue'],
    ['repeated path attribute', 'pkcs11:token=a;token=b'],
    ['attribute without =', 'pkcs11:token'],
    ['empty attribute name', 'pkcs11:=x'],
    ['bad escape', 'pkcs11:id=%0g'],
    ['truncated escape', 'pkcs11:id=%0'],
    ['space', 'pkcs11:token=a b'],
    ['fragment', 'pkcs11:token=a#frag'],
    ['bad type', 'pkcs11:type=secret'],
    ['non-decimal slot-id', 'pkcs11:slot-id=0x1'],
    ['invalid UTF-8', 'pkcs11:token=%C3%28'],
    ['relative module-path', 'pkcs11:?module-path=libsofthsm2.so'],
    ['module-name with a slash', 'pkcs11:?module-name=../x'],
    ['both module-path and module-name', 'pkcs11:?module-path=/a.so&module-name=b'],
    ['relative pin-source', 'pkcs11:?pin-source=file:pin.txt'],
    ['pin-source with another scheme', 'pkcs11:?pin-source=https://x/pin'],
    ['unknown query attribute', 'pkcs11:?pin=1'],
    ['repeated query attribute', 'pkcs11:?module-name=a&module-name=b'],
  ])('refuses %s', (_, text) => {
    expect(code(text)).toBe('PKCS11_URI_INVALID')
  })

  it(
    'only ever throws SignerError PKCS11_URI_INVALID, for arbitrary text after pkcs11:',
    () => {
      const piece = fc.constantFrom(
        ';',
        '=',
        '?',
        '&',
        '%',
        '%0',
        '%41',
        'id',
        'token',
        'module-path',
        '/',
        ' ',
        'é',
      )
      const text = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.array(piece).map((p) => p.join('')),
      )
      fc.assert(
        fc.property(text, (t) => {
          const result = code(`pkcs11:${t}`)
          return result === undefined || result === 'PKCS11_URI_INVALID'
        }),
        { numRuns: 2000 },
      )
    },
    PROPERTY_TIMEOUT_MS,
  )

  it('formats ids and names token and object for humans', () => {
    expect(formatPkcs11Id(Uint8Array.from([1, 0xab]))).toBe('%01%ab')
    expect(describePkcs11Uri(parsePkcs11Uri('pkcs11:token=hsm;object=dev;id=%01'))).toBe(
      'token "hsm", object "dev" id %01',
    )
    expect(describePkcs11Uri(parsePkcs11Uri('pkcs11:serial=abc'))).toBe(
      'token with serial abc, its only Ed25519 key',
    )
  })
})
