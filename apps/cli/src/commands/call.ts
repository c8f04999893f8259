import { readFileSync } from 'node:fs'
import { commandTimeout, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput } from '../output.js'
import { openSession } from '../session.js'

function parseParams(text: string | undefined): unknown {
  if (text === undefined) return {}
  let source = text
  if (text.startsWith('@')) {
    try {
      source = readFileSync(text.slice(1), 'utf8')
    } catch (error) {
      throw new CliError(
        'USAGE',
        `cannot read ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        'check the path after @',
        EXIT.USAGE,
      )
    }
  }
  try {
    return JSON.parse(source)
  } catch (error) {
    throw new CliError(
      'USAGE',
      `--params is not valid JSON: ${(error as Error).message}`,
      `e.g. --params '{"id":"…"}'`,
      EXIT.USAGE,
    )
  }
}

export async function call(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'call')
  const method = onePositional(positionals, 'method', 'clawlink call <method> [--params JSON]')
  const params = parseParams(values.params)
  const out = createOutput(true)
  const timeoutMs = commandTimeout(values.timeout, false)
  const session = await openSession(values, out, { deadlineMs: timeoutMs })
  try {
    const result = await session.client.request(method, params)
    out.result('', result ?? null)
    return EXIT.OK
  } finally {
    await session.close()
  }
}
