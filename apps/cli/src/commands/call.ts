import { readFileSync } from 'node:fs'
import { GatewayError } from '@clawlink/protocol'
import { commandTimeout, onePositional, parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, writeJson } from '../output.js'
import { closest } from '../suggest.js'
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
        { remedy: 'check the path after @', exitCode: EXIT.USAGE },
      )
    }
  }
  try {
    return JSON.parse(source)
  } catch (error) {
    throw new CliError('USAGE', `--params is not valid JSON: ${(error as Error).message}`, {
      remedy: `e.g. --params '{"id":"…"}'`,
      exitCode: EXIT.USAGE,
    })
  }
}

/**
 * A method the gateway does not know: the fix names the closest method it lists in hello-ok (or those of the same
 * family, e.g. every `cron.*`), so the user never needs a list no command shows.
 */
function unknownMethod(error: GatewayError, method: string, known: readonly string[]): CliError {
  const guess = closest(method, known)
  const family = method.includes('.') ? method.slice(0, method.indexOf('.') + 1) : undefined
  const siblings = family ? known.filter((m) => m.startsWith(family)).sort() : []
  const remedy = guess
    ? `did you mean ${guess}?`
    : siblings.length > 0
      ? `this gateway's ${family}* methods: ${siblings.slice(0, 30).join(', ')}${siblings.length > 30 ? ', …' : ''}`
      : `this gateway lists ${known.length} methods in its hello (clawlink call … --debug shows them); check the name`
  return new CliError('UNKNOWN_METHOD', error.message, { remedy: remedy, exitCode: EXIT.GATEWAY_ERROR })
}

/** Raw `call` params name jobs by id only (no name lookup): the generic "id or exact name" fix would mislead. */
function jobNotFound(error: GatewayError): CliError {
  return new CliError('JOB_NOT_FOUND', error.message, {
    remedy:
      'cron methods called with `clawlink call` take the job id: find it with `clawlink cron list` (or use `clawlink cron run|show <name>`)',
    exitCode: EXIT.JOB_NOT_FOUND,
  })
}

export async function call(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'call')
  const method = onePositional(positionals, 'method', 'clawlink call <method> [--params JSON]')
  const params = parseParams(values.params)
  const json = values.json === true
  const out = createOutput(json)
  const timeoutMs = commandTimeout(values.timeout, false)
  const session = await openSession(values, out, { deadlineMs: timeoutMs })
  try {
    const result = await session.client.request(method, params)
    // Plain: the result itself (pipe it to jq); --json: the same envelope as every other command.
    if (json) out.result('', { ok: true, method, result: result ?? null })
    else writeJson(result ?? null)
    return EXIT.OK
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'UNKNOWN_METHOD')
      throw unknownMethod(error, method, session.client.hello?.methods ?? [])
    if (error instanceof GatewayError && error.code === 'JOB_NOT_FOUND') throw jobNotFound(error)
    throw error
  } finally {
    await session.close()
  }
}
