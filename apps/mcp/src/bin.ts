#!/usr/bin/env node
import { main } from './main.js'

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code)
  },
  (error: unknown) => {
    process.stderr.write(`[clawlink-mcp] fatal: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
