export { CliError, EXIT, type ExitCode, exitCodeFor } from './exit-codes.js'
export { main } from './main.js'
