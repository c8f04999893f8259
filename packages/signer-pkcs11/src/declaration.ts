import type { SignerDeclaration } from '@clawlink/signer-kit/declaration'
import { describePkcs11Uri, parsePkcs11Uri } from './uri.js'

/** What a profile records of the PKCS#11 signer: an RFC 7512 URI, which never holds the PIN. */
export interface Pkcs11SignerSpec {
  uri: string
}

const EXAMPLE = `--pkcs11-uri 'pkcs11:token=clawlink;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so'`

/** `--signer pkcs11`: a key on a PKCS#11 token. The package and the native pkcs11js load only in `load()`. */
export const pkcs11Signer: SignerDeclaration<'pkcs11', Pkcs11SignerSpec, 'pkcs11-uri', 'pkcs11Uri'> = {
  kind: 'pkcs11',
  options: [
    {
      flag: 'pkcs11-uri',
      key: 'pkcs11Uri',
      arg: 'URI',
      help: "RFC 7512 URI of the key ('pkcs11:token=…;object=…?module-path=…&pin-source=file:…')",
      required: true,
    },
  ],
  initActions: [
    { flag: 'pkcs11-generate', help: 'make the Ed25519 key pair on the token when none matches' },
  ],
  fromFlags(values, ctx) {
    const uri = values.pkcs11Uri
    if (!uri) return ctx.invalid('--signer pkcs11 needs --pkcs11-uri', `e.g. ${EXAMPLE}`)
    try {
      parsePkcs11Uri(uri)
    } catch (cause) {
      const e = cause as Error & { remedy?: string }
      ctx.invalid(`--pkcs11-uri: ${e.message}`, e.remedy ?? `e.g. ${EXAMPLE}`, cause)
    }
    return { uri }
  },
  problem(spec) {
    if (typeof spec.uri !== 'string' || spec.uri.length === 0) return 'uri must be a string'
    try {
      parsePkcs11Uri(spec.uri)
      return undefined
    } catch (error) {
      return `uri: ${(error as Error).message}`
    }
  },
  describe(spec) {
    try {
      return describePkcs11Uri(parsePkcs11Uri(spec.uri))
    } catch {
      return `invalid URI ${spec.uri.slice(0, 60)}`
    }
  },
  async load() {
    // Only here is the PKCS#11 back-end (and through it the native pkcs11js) loaded.
    const { createPkcs11Signer } = await import('./pkcs11-signer.js')
    return (spec, ctx) =>
      createPkcs11Signer({ uri: spec.uri, generate: ctx.actions['pkcs11-generate'] === true })
  },
  async check() {
    const { describePkcs11Key } = await import('./pkcs11-signer.js')
    return (spec) => describePkcs11Key(spec.uri)
  },
}
