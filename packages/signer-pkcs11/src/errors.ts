import { SignerError, type SignerErrorCode } from '@clawlink/protocol'

/** The PKCS#11 signer's own `SignerError` codes, besides protocol's generic ones (rows in docs/errors.md). */
export type Pkcs11SignerErrorCode =
  | SignerErrorCode
  | 'PKCS11_NOT_BUILT'
  | 'PKCS11_URI_INVALID'
  | 'PKCS11_MODULE_NOT_FOUND'
  | 'PKCS11_MODULE_INVALID'
  | 'PKCS11_TOKEN_NOT_FOUND'
  | 'PKCS11_PIN_REQUIRED'
  | 'PKCS11_PIN_FILE_INSECURE'
  | 'PKCS11_PIN_INCORRECT'
  | 'PKCS11_PIN_LOCKED'
  | 'PKCS11_KEY_NOT_FOUND'
  | 'PKCS11_KEY_AMBIGUOUS'
  | 'PKCS11_KEY_NOT_ED25519'
  | 'PKCS11_MECHANISM_UNSUPPORTED'
  | 'PKCS11_DEVICE_ERROR'

/** {@link SignerError} narrowed to those codes (the same class at run time): a misspelt code does not compile. */
export const Pkcs11SignerError = SignerError<Pkcs11SignerErrorCode>
export type Pkcs11SignerError = SignerError<Pkcs11SignerErrorCode>
