#!/usr/bin/env node
// The mock model as a process of its own (the harness starts it detached, like the gateways):
// `node dist/model/main.js [--port N] [--ready-file FILE]`. Writes `{"baseUrl","port","pid"}` to FILE (and stdout)
// once it listens; stops on SIGTERM/SIGINT.
import { writeFileSync } from 'node:fs'
import { startMockModel } from './server.js'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

async function main(): Promise<void> {
  const port = Number(arg('--port') ?? 0)
  const model = await startMockModel({
    port,
    log: (line) => process.stdout.write(`${line}\n`),
    ...(arg('--dump') ? { dumpFile: arg('--dump') } : {}),
  })
  const ready = JSON.stringify({ baseUrl: model.baseUrl, port: model.port, pid: process.pid })
  const file = arg('--ready-file')
  if (file) writeFileSync(file, `${ready}\n`, { mode: 0o600 })
  process.stdout.write(`ready ${ready}\n`)
  const stop = () => {
    model.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((error: Error) => {
  process.stderr.write(`[mock-model] ${error.message}\n`)
  process.exit(1)
})
