export {
  createPkcs11Signer,
  describePkcs11Key,
  type Pkcs11Check,
  type Pkcs11Signer,
  type Pkcs11SignerOptions,
} from './pkcs11-signer.js'
export { closePkcs11Sessions } from './session.js'
export { describePkcs11Uri, formatPkcs11Id, type Pkcs11Uri, parsePkcs11Uri } from './uri.js'
export type { Pkcs11SignerErrorCode } from './errors.js'
