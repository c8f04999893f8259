export {
  createFileSigner,
  deviceIdOfFile,
  exportSeedFromFile,
  type FileSigner,
  type FileSignerOptions,
  importSeedToFile,
} from './file-signer.js'
export type { FileSignerErrorCode } from './file-signer.js'
