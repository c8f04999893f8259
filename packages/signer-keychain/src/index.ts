export {
  createKeychainSigner,
  deleteKeychainSeed,
  exportKeychainSeed,
  type KeychainSigner,
  type KeychainSignerOptions,
} from './keychain-signer.js'
