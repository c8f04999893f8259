export { type PublishedPackage, publicPackages, publishFromCleanClone } from './publish.js'
export { isolatedEnv, killGroup, type RunOptions, type RunResult, run, runOk, treeBytes } from './run.js'
export { ensureVerdaccio, type LocalRegistry, startLocalRegistry, VERDACCIO_VERSION } from './verdaccio.js'
