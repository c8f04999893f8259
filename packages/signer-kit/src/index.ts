export { type DeadlineOptions, withDeadline } from './deadline.js'
export { type WritePrivateFileOptions, writePrivateFile } from './private-file.js'
export { isRecord } from './records.js'
export { randomSeed, signerFromSeed, throwIfAborted } from './seed-signer.js'
