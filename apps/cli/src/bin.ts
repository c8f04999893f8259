#!/usr/bin/env node
import { main } from './main.js'
import { guardBrokenPipes, outputClosed, sanitizeForTerminal } from './output.js'

guardBrokenPipes()
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    if (outputClosed()) process.exit(code)
    // Sockets and timers are closed by then; exit at once so nothing lingers after the answer.
    process.stdout.write('', () => process.exit(code))
  },
  (error: unknown) => {
    process.stderr.write(
      `clawlink: internal error: ${sanitizeForTerminal(error instanceof Error ? error.message : String(error))}\n`,
    )
    process.exit(1)
  },
)
