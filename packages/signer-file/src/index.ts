export {
  createFileSigner,
  deviceIdOfFile,
  exportSeedFromFile,
  type FileSigner,
  type FileSignerOptions,
  importSeedToFile,
  writeNewFileAtomic,
} from './file-signer.js'
export { randomSeed, signerFromSeed, throwIfAborted } from './seed-signer.js'
