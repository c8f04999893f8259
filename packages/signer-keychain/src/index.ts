export {
  createKeychainSigner,
  deleteKeychainSeed,
  exportKeychainSeed,
  type KeychainSigner,
  type KeychainSignerOptions,
} from './keychain-signer.js'
export type { KeychainSignerErrorCode } from './keychain-signer.js'
