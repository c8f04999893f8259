import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { escapeControlChars, type GatewayClient, strayNote } from '@clawlink/client'
import {
  builtinSigners,
  ConfigError,
  openGatewayClient,
  type resolveSettings,
  SETTINGS_OPTIONS,
} from '@clawlink/config'
import { approveCommand } from '@clawlink/protocol'
import { ambiguousNameEntries, resolveGatewaySettings } from './gateway-settings.js'
import { HttpSetupError } from './http-guard.js'
import { OAuthSetupError } from './oauth-options.js'
import { httpSetup, openAudit, type ServeFlags } from './serve-options.js'
// The MCP SDK (with zod and ajv, most of the bundle) loads with server.js, after the gateway connect has begun.
import type { createClawlinkMcpServer } from './server.js'
import { instrumentServer } from './instrument.js'
import { TaskRegistry } from './tasks.js'
// 2026-07-28 tasks (and through them the tools and the SDK) load after the gateway connect has begun, like server.js.
import type { ModernTasks } from './tasks-modern.js'
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

export const HELP = `clawlink-mcp — an MCP server (stdio, or Streamable HTTP) that lets AI assistants run OpenClaw cron jobs safely

Usage: clawlink-mcp [options]                 serve one client on stdin/stdout
       clawlink-mcp --http [HOST:]PORT [...]  serve http://HOST:PORT/mcp to many clients (HOST default 127.0.0.1)

Tools: run_cron_job, preview_cron_job, list_cron_jobs, get_cron_runs, cron_status, check_cron_jobs; with
--allow-write also create_cron_job, update_cron_job, set_cron_job_enabled, remove_cron_job.
run_cron_job sends progress notifications while it waits (at least every 5 s, so a client that resets its
timeout on progress never times out), honours the client's cancellation, and accepts task-augmented calls
(MCP tasks): the job itself is never touched by a cancel.

Guardrails:
  --allow-job JOB        only this job (id or exact name) may be run; repeatable (env CLAWLINK_MCP_ALLOW_JOBS=a,b).
                         Prefer ids: a name also admits any job that later gets that name (a warning at start
                         names entries that match several jobs). CONTEXT:JOB admits it on that context only; a
                         bare JOB on every context
  --allow-disabled       let run_cron_job run a disabled job (a deliberate hand run); without it a disabled job
                         is refused (JOB_DISABLED) and 9.x gateways get cron.run mode if-enabled
  --read-only            do not offer run_cron_job at all (env CLAWLINK_MCP_READ_ONLY=1); wins over --allow-write
  --allow-write          offer the write tools (create, update, enable/disable, remove jobs); bound by --allow-job
                         (a created or renamed job must carry an allowed name) and --confirm (env
                         CLAWLINK_MCP_ALLOW_WRITE=1)
  --call-timeout SECS    upper bound of any tool call (default 120); also run_cron_job's wait when the call gives
                         no timeoutSeconds — a timeoutSeconds the caller gives (up to 3600) is honoured
  --confirm              ask the user (MCP elicitation) before every run and write; a client that cannot ask
                         gets a refusal (env CLAWLINK_MCP_CONFIRM=1)

Audit log (one JSON line per tool call; read it with: clawlink audit):
  --audit-log FILE|off   where to append it (default <profile dir>/audit.jsonl; env CLAWLINK_MCP_AUDIT_LOG)

Streamable HTTP:
  --http [HOST:]PORT     serve /mcp over HTTP instead of stdio; binds 127.0.0.1 unless HOST says otherwise
  --http-token-file FILE the bearer token clients send (Authorization: Bearer …), from a 0600 file; else env
                         CLAWLINK_MCP_HTTP_TOKEN. Required: the server does not start without one
  --http-allow-origin O  also accept browser requests from origin O (repeatable); by default only requests
                         without Origin or from http(s)://localhost|127.0.0.1|[::1] on the served port
  --http-idle-timeout S  close an MCP session after S seconds without a request (default 1800)
  --replica-id ID        every Mcp-Session-Id this replica issues starts with "ID." (1-32 of a-z 0-9 -), so a load
                         balancer can send a 2025-11-25 session's requests to the replica that holds it (README
                         "Team deployment"; env CLAWLINK_MCP_REPLICA_ID)
  --task-secret-file F   the key (a 0600 file of 32+ bytes) that signs run_cron_job task ids of 2026-07-28 clients:
                         any replica with the same file answers tasks/get for the run. Without it a random key of
                         this process: replicas behind one load balancer need the shared file
                         (make one: (umask 077; openssl rand -hex 32 > FILE))

OAuth 2.1 resource server (instead of the static token; both flags together):
  --oauth-issuer URL     take JWT access tokens from this authorization server (its keys via its metadata)
  --oauth-audience URL   this server's resource URL as clients reach it (tokens' aud); scopes clawlink:read,
                         clawlink:run, clawlink:write decide which tools a token may call

Connection (same as the clawlink CLI; the token never goes on the command line):
  --url URL              else OPENCLAW_GATEWAY_URL, gateway.remote.url, ws://127.0.0.1:<gateway.port|18789>
  --token-file FILE      else OPENCLAW_GATEWAY_TOKEN, gateway.auth.token in openclaw.json
  --password-file FILE   else OPENCLAW_GATEWAY_PASSWORD
  --tls-fingerprint SHA  pin a wss:// certificate (repeatable)
  --context NAME         a gateway of the contexts file (clawlink context add); repeatable: one gateway session per
                         context, tools take an optional "gateway" argument (default: the first context)
  --profile NAME         clawlink profile shared with the CLI (default "default"): one pairing serves both
  --signer KIND          ${builtinSigners.map((d) => d.kind).join(' | ')} | ./module.mjs (default: the profile's)
  --wait-approval        if the gateway wants an operator to approve this device or its scopes, wait for it
                         (the requestId and approve command are logged; docs/remote-gateway.md)

On stdio the server ends when its client closes stdin; in both modes on SIGTERM/SIGINT, closing its gateway
session (HTTP: every MCP session shares that one gateway session). Logs go to stderr; on stdio, stdout carries
only MCP messages.`

const OPTIONS = {
  ...SETTINGS_OPTIONS,
  context: { type: 'string', multiple: true },
  'allow-job': { type: 'string', multiple: true },
  'allow-disabled': { type: 'boolean' },
  'read-only': { type: 'boolean' },
  'allow-write': { type: 'boolean' },
  'call-timeout': { type: 'string' },
  confirm: { type: 'boolean' },
  'audit-log': { type: 'string' },
  http: { type: 'string' },
  'http-token-file': { type: 'string' },
  'http-allow-origin': { type: 'string', multiple: true },
  'http-idle-timeout': { type: 'string' },
  'replica-id': { type: 'string' },
  'oauth-issuer': { type: 'string' },
  'oauth-audience': { type: 'string' },
  'task-secret-file': { type: 'string' },
  'wait-approval': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values']

/** A line on stderr; gateway text in it (a warning, a close reason) shows its control characters escaped. */
function log(message: string): void {
  process.stderr.write(`[clawlink-mcp] ${escapeControlChars(message)}\n`)
}

function parse(argv: string[]): Values | number {
  try {
    if (argv.some((a) => /^--(token|password|http-token)(=|$)/.test(a)))
      throw new Error(
        'secrets are not accepted on the command line: use --token-file (OPENCLAW_GATEWAY_TOKEN) or --http-token-file (CLAWLINK_MCP_HTTP_TOKEN)',
      )
    return parseArgs({ args: argv, options: OPTIONS, strict: true }).values
  } catch (error) {
    log(`${(error as Error).message}\nsee: clawlink-mcp --help`)
    return 2
  }
}

/**
 * One persistent gateway session, opened by the first tool call and kept (with reconnects) for the server's life.
 * Each call connects under its own signal, so a gateway that never completes the handshake (or an approval that
 * never comes, with --wait-approval) costs a call no more than the call's limit.
 */
function sessionOpener(
  settings: Awaited<ReturnType<typeof resolveSettings>>,
  url: string,
  waitApproval: boolean,
) {
  let opened: Promise<GatewayClient> | undefined
  const get = async (signal?: AbortSignal): Promise<GatewayClient> => {
    opened ??= openGatewayClient(settings, {
      version: VERSION,
      reconnect: true,
      waitApproval,
      onProgress: (event) => {
        if (event.kind === 'warning') log(event.message)
        else if (event.kind === 'approval-pending')
          log(
            `waiting for approval: on the gateway host run: ${approveCommand(event.requestId)}${event.replaces ? ` (request ${event.replaces} expired)` : ''}`,
          )
        else if (event.kind === 'approval-stray') {
          const note = strayNote(event)
          if (note) log(note)
        } else if (event.kind === 'connected') log(`connected to ${url}: protocol ${event.protocol}`)
        else if (event.kind === 'reconnect-scheduled')
          log(`connection lost; reconnecting in ${event.delayMs} ms`)
        else if (event.kind === 'reconnect-paused') log(`reconnect paused: ${event.error.message}`)
        else if (event.kind === 'credentials-reloaded')
          log(`the gateway token changed: read it again from ${event.source ?? 'its source'}`)
      },
    })
      .then(({ client }) => client)
      .catch((error: unknown) => {
        opened = undefined // the next call tries again
        throw error
      })
    const client = await opened
    await client.connect(signal ? { signal } : {})
    return client
  }
  const close = async (): Promise<void> => {
    const current = opened
    opened = undefined
    await current?.then((c) => c.close()).catch(() => undefined)
  }
  return { get, close }
}

/** Starts the server on stdio or HTTP; resolves when it is listening. Exit code on bad arguments. */
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
  let resolved: Awaited<ReturnType<typeof resolveGatewaySettings>>
  try {
    resolved = await resolveGatewaySettings(values, env)
    if (typeof resolved === 'string') {
      log(`${resolved}\nsee: clawlink-mcp --help`)
      return 2
    }
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
  const allowWrite = values['allow-write'] === true || env.CLAWLINK_MCP_ALLOW_WRITE === '1'
  const callTimeoutS = Number(values['call-timeout'] ?? 120)
  if (!Number.isFinite(callTimeoutS) || callTimeoutS <= 0 || callTimeoutS > 86_400) {
    log('--call-timeout must be a number of seconds from 1 to 86400')
    return 2
  }
  const settings = resolved[0]!.settings
  const audit = openAudit(values, env, settings.paths)
  const sessions = resolved.map((r) => ({
    name: r.name,
    url: r.settings.url,
    ...sessionOpener(r.settings, r.settings.url, values['wait-approval'] === true),
  }))
  const gateway = {
    get: sessions[0]!.get,
    close: () => Promise.all(sessions.map((s) => s.close())).then(() => undefined),
  }
  // On stdio, connect while the MCP SDK loads and the client initialises: the first tool call finds it ready.
  if (values.http === undefined)
    for (const s of sessions)
      s.get().catch((error: unknown) => log(`gateway ${s.url} not ready yet: ${(error as Error).message}`))
  warnAmbiguous(allowJobs, sessions)
  const { createClawlinkMcpServer, JobLists } = await import('./server.js')
  const { openModernTasks } = await import('./task-keys.js')
  const jobLists = new JobLists() // one warm job list for every MCP session (HTTP serves many)
  const tasks = new TaskRegistry() // the process's tasks: a client may poll them on any of its sessions
  const newServer = () =>
    createClawlinkMcpServer({
      gateways: sessions.map(({ name, url, get }) => ({ name, url, getClient: get })),
      jobLists,
      tasks,
      allowJobs,
      readOnly,
      allowWrite,
      allowDisabled: values['allow-disabled'] === true,
      confirm: values.confirm === true || env.CLAWLINK_MCP_CONFIRM === '1',
      callTimeoutMs: callTimeoutS * 1000,
      version: VERSION,
    })
  const policy = readOnly
    ? 'read-only'
    : allowJobs.length > 0
      ? `allow-list: ${allowJobs.join(', ')}`
      : 'any job may run'
  const where = sessions.map((s) => (s.name ? `${s.name}=${s.url}` : s.url)).join(', ')
  const readyText = `${policy}${allowWrite && !readOnly ? '; write tools on' : ''}; audit log ${audit?.path ?? 'off'}; gateway ${where}`
  const contexts = sessions.flatMap((s) => (s.name ? [s.name] : []))
  const confirm = values.confirm === true || env.CLAWLINK_MCP_CONFIRM === '1'
  // Tasks of 2026-07-28 clients (HTTP and stdio) run on the context the call names, the first by default.
  const modern = readOnly
    ? undefined
    : openModernTasks({
        file: values['task-secret-file'],
        env,
        gateways: sessions.map(({ name, url, get }) => ({ name, url, getClient: get })),
        jobLists,
        policy: {
          allowJobs,
          readOnly,
          allowWrite,
          allowDisabled: values['allow-disabled'] === true,
          contexts,
        },
        confirm,
        audit,
        log,
        http: values.http !== undefined,
      })
  if (typeof modern === 'number') return modern
  if (values.http !== undefined)
    return serveOverHttp(values, env, newServer, audit, { tasks, modern }, gateway.close, readyText)
  await serveOverStdio(newServer(), { tasks, modern }, gateway, audit, readyText)
  return undefined
}

/** Warns on stderr (in the background) when an allow-list entry by name matches several jobs. */
function warnAmbiguous(
  allowJobs: readonly string[],
  sessions: Parameters<typeof ambiguousNameEntries>[1],
): void {
  ambiguousNameEntries(allowJobs, sessions).then(
    (found) => {
      for (const { entry, jobs } of found)
        log(
          `warning: --allow-job "${entry}" is a name that ${jobs.length} jobs carry (${jobs.join(', ')}): it admits all of them, and any job later given that name; allow jobs by id instead`,
        )
    },
    (error: unknown) => log(`could not check the allow-list against the jobs: ${(error as Error).message}`),
  )
}

/** The one way the server stops: once, closing what `closers` opens (3 s at most), then the audit log. */
function stopper(
  closers: () => Promise<unknown>[],
  audit: ReturnType<typeof openAudit>,
): (why: string) => void {
  let stopping = false
  return (why) => {
    if (stopping) return
    stopping = true
    log(`stopping (${why})`)
    const hardStop = setTimeout(() => process.exit(0), 3000)
    hardStop.unref()
    void Promise.allSettled(closers()).then(() => {
      audit?.close()
      process.exit(0)
    })
  }
}

/**
 * Serves one client on stdin/stdout, either era (the SDK's serveStdio picks it from the client's first
 * message); the server must not outlive the client.
 */
async function serveOverStdio(
  server: ReturnType<typeof createClawlinkMcpServer>,
  { tasks, modern }: { tasks: TaskRegistry; modern: ModernTasks | undefined },
  gateway: ReturnType<typeof sessionOpener>,
  audit: ReturnType<typeof openAudit>,
  readyText: string,
): Promise<void> {
  const { StdioServerTransport, serveStdio } = await import('@modelcontextprotocol/server/stdio')
  const stdio = new StdioServerTransport()
  // The server must not outlive its client: stdin's end, the transport's close and SIGTERM/SIGINT all end it.
  const stop = stopper(() => [gateway.close(), server.close()], audit)
  process.stdin.once('end', () => stop('stdin closed'))
  process.stdin.once('close', () => stop('stdin closed'))
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  const instrumented = instrumentServer(server, { audit, transport: 'stdio', tasks })
  // 2026-07-28 clients' run_cron_job tasks (tasks-modern.ts): answered below the SDK, announced in discover.
  const { withModernTasks } = await import('./task-keys.js')
  const { TASKS_EXTENSION } = await import('./tasks-modern.js')
  if (modern) server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } })
  const transport = modern ? withModernTasks(stdio, modern, log) : stdio
  serveStdio(() => instrumented, { transport, onerror: (e) => log(e.message) })
  log(`ready on stdio (${readyText})`)
}

/** Serves Streamable HTTP until SIGTERM/SIGINT; every MCP session shares the one gateway session. */
async function serveOverHttp(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  newServer: () => ReturnType<typeof createClawlinkMcpServer>,
  audit: ReturnType<typeof openAudit>,
  taskKinds: { tasks: TaskRegistry; modern: ModernTasks | undefined },
  closeGateway: () => Promise<void>,
  readyText: string,
): Promise<number | undefined> {
  const { tasks, modern: modernTasks } = taskKinds
  let setup: ReturnType<typeof httpSetup>
  let oauth: import('./oauth-gate.js').OAuthGate | undefined
  try {
    setup = httpSetup(flags, env)
    if (setup.oauth) oauth = await (await import('./oauth-gate.js')).startOAuthGate(setup.oauth, audit)
  } catch (error) {
    if (error instanceof OAuthSetupError) {
      log(`${error.message} [${error.code}]\nfix: ${error.remedy}`)
      return 2
    }
    if (!(error instanceof HttpSetupError)) throw error
    log(`${error.message} [${error.code}]\nfix: ${error.remedy}`)
    return error.code === 'HTTP_TOKEN_MISSING' || error.code === 'HTTP_TOKEN_FILE' ? 3 : 2
  }
  const { serveHttp } = await import('./http.js')
  let endpoint: Awaited<ReturnType<typeof serveHttp>>
  try {
    endpoint = await serveHttp({ ...setup, oauth, createServer: newServer, audit, tasks, modernTasks, log })
  } catch (error) {
    log(`cannot listen on ${setup.address.host}:${setup.address.port}: ${(error as Error).message}`)
    await closeGateway()
    return 1
  }
  const stop = stopper(() => [endpoint.close(), closeGateway()], audit)
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  const auth = oauth ? `; OAuth: issuer ${oauth.setup.issuer}, resource ${oauth.setup.audience}` : ''
  const replica = setup.replicaId ? `; replica ${setup.replicaId}` : ''
  log(`ready on ${endpoint.url} (${readyText}${auth}${replica})`)
  return undefined
}
