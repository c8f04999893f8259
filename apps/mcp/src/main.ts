import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import type { GatewayClient } from '@clawlink/client'
import {
  ConfigError,
  openGatewayClient,
  resolveSettings,
  SETTINGS_OPTIONS,
  settingsFlagsFromValues,
} from '@clawlink/config'
import { approveCommand } from '@clawlink/protocol'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createClawlinkMcpServer } from './server.js'

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

export const HELP = `clawlink-mcp — an MCP server (stdio) that lets AI assistants run OpenClaw cron jobs safely

Usage: clawlink-mcp [options]

Tools: run_cron_job, list_cron_jobs, get_cron_runs, cron_status.

Guardrails:
  --allow-job JOB        only this job (id or exact name) may be run; repeatable (env CLAWLINK_MCP_ALLOW_JOBS=a,b)
  --read-only            do not offer run_cron_job at all (env CLAWLINK_MCP_READ_ONLY=1)
  --call-timeout SECS    upper bound of any tool call, and of run_cron_job's wait (default 120)

Connection (same as the clawlink CLI; the token never goes on the command line):
  --url URL              else OPENCLAW_GATEWAY_URL, gateway.remote.url, ws://127.0.0.1:<gateway.port|18789>
  --token-file FILE      else OPENCLAW_GATEWAY_TOKEN, gateway.auth.token in openclaw.json
  --password-file FILE   else OPENCLAW_GATEWAY_PASSWORD
  --tls-fingerprint SHA  pin a wss:// certificate (repeatable)
  --profile NAME         clawlink profile shared with the CLI (default "default"): one pairing serves both
  --signer KIND          file | keychain | agent | exec | ./module.mjs (default: the profile's)
  --wait-approval        if the gateway wants an operator to approve this device or its scopes, wait for it
                         (the requestId and approve command are logged; docs/remote-gateway.md)

The server ends when its client closes stdin, or on SIGTERM/SIGINT, and closes its gateway session.
Logs go to stderr; stdout carries only MCP messages.`

const OPTIONS = {
  ...SETTINGS_OPTIONS,
  'allow-job': { type: 'string', multiple: true },
  'read-only': { type: 'boolean' },
  'call-timeout': { type: 'string' },
  'wait-approval': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values']

function log(message: string): void {
  process.stderr.write(`[clawlink-mcp] ${message}\n`)
}

function parse(argv: string[]): Values | number {
  try {
    if (argv.some((a) => /^--(token|password)(=|$)/.test(a)))
      throw new Error(
        'secrets are not accepted on the command line: use --token-file or OPENCLAW_GATEWAY_TOKEN',
      )
    return parseArgs({ args: argv, options: OPTIONS, strict: true }).values
  } catch (error) {
    log(`${(error as Error).message}\nsee: clawlink-mcp --help`)
    return 2
  }
}

/** One persistent gateway session, opened by the first tool call and kept (with reconnects) for the server's life. */
function sessionOpener(
  settings: Awaited<ReturnType<typeof resolveSettings>>,
  url: string,
  waitApproval: boolean,
) {
  let session: Promise<GatewayClient> | undefined
  const get = (): Promise<GatewayClient> => {
    session ??= openGatewayClient(settings, {
      version: VERSION,
      reconnect: true,
      waitApproval,
      onProgress: (event) => {
        if (event.kind === 'warning') log(event.message)
        else if (event.kind === 'approval-pending')
          log(
            `waiting for approval: on the gateway host run: ${approveCommand(event.requestId)}${event.replaces ? ` (request ${event.replaces} expired)` : ''}`,
          )
        else if (event.kind === 'connected') log(`connected to ${url}: protocol ${event.protocol}`)
        else if (event.kind === 'reconnect-scheduled')
          log(`connection lost; reconnecting in ${event.delayMs} ms`)
        else if (event.kind === 'reconnect-paused') log(`reconnect paused: ${event.error.message}`)
      },
    })
      .then(async ({ client }) => {
        await client.connect()
        return client
      })
      .catch((error: unknown) => {
        session = undefined // the next call tries again
        throw error
      })
    return session
  }
  const close = async (): Promise<void> => {
    const current = session
    session = undefined
    await current?.then((c) => c.close()).catch(() => undefined)
  }
  return { get, close }
}

/** Starts the server on stdio; resolves when it is listening. Exit code on bad arguments. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  const values = parse(argv)
  if (typeof values === 'number') return values
  if (values.help) {
    process.stderr.write(`${HELP}\n`)
    return 0
  }
  if (values.version) {
    process.stderr.write(`clawlink-mcp ${VERSION}\n`)
    return 0
  }
  let settings: Awaited<ReturnType<typeof resolveSettings>>
  try {
    settings = await resolveSettings({ flags: settingsFlagsFromValues(values), env })
  } catch (error) {
    if (error instanceof ConfigError) {
      log(`${error.message}\nfix: ${error.remedy}`)
      return 3
    }
    throw error
  }
  const allowJobs = [
    ...(values['allow-job'] ?? []),
    ...(env.CLAWLINK_MCP_ALLOW_JOBS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ]
  const readOnly = values['read-only'] === true || env.CLAWLINK_MCP_READ_ONLY === '1'
  const callTimeoutS = Number(values['call-timeout'] ?? 120)
  if (!Number.isFinite(callTimeoutS) || callTimeoutS <= 0 || callTimeoutS > 86_400) {
    log('--call-timeout must be a number of seconds from 1 to 86400')
    return 2
  }
  const gateway = sessionOpener(settings, settings.url, values['wait-approval'] === true)
  const server = createClawlinkMcpServer({
    getClient: gateway.get,
    allowJobs,
    readOnly,
    callTimeoutMs: callTimeoutS * 1000,
    version: VERSION,
  })
  const transport = new StdioServerTransport()
  // The server must not outlive its client: stdin's end, the transport's close and SIGTERM/SIGINT all end it.
  let stopping = false
  const stop = (why: string): void => {
    if (stopping) return
    stopping = true
    log(`stopping (${why})`)
    const hardStop = setTimeout(() => process.exit(0), 3000)
    hardStop.unref()
    void Promise.allSettled([gateway.close(), server.close()]).then(() => process.exit(0))
  }
  transport.onclose = () => stop('client closed the connection')
  process.stdin.once('end', () => stop('stdin closed'))
  process.stdin.once('close', () => stop('stdin closed'))
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  await server.connect(transport)
  log(
    `ready (${readOnly ? 'read-only' : allowJobs.length > 0 ? `allow-list: ${allowJobs.join(', ')}` : 'any job may run'}); gateway ${settings.url}`,
  )
  return undefined
}
