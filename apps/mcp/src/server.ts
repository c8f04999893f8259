import { createJobCache, type GatewayClient, type JobCache } from '@clawlink/client'
import { McpServer } from '@modelcontextprotocol/server'
import { elicitationValidator } from './elicit-schema.js'
import { Gateways, type NamedGateway } from './gateways.js'
import type { McpPolicy } from './policy.js'
import { TASKS_CAPABILITY, TaskRegistry } from './tasks.js'
import { registerCheckTool } from './tools/check.js'
import { registerPreviewTool } from './tools/preview.js'
import { registerReadTools } from './tools/read.js'
import { registerRunTool } from './tools/run.js'
import { registerWriteTools } from './tools/write.js'

/**
 * One job list per gateway client, kept fresh by cron events, so a warm run by name costs one cron.run. Shared by
 * every MCP session of a process (HTTP serves many on one gateway client): one listing, one set of listeners.
 */
export class JobLists {
  private readonly current = new Map<string, { client: GatewayClient; cache: JobCache }>()

  /**
   * The list of `client`, the session of gateway `key` (its context), made on first use (a new client, after a
   * reconnect from scratch, gets a new one).
   */
  of(client: GatewayClient, key = ''): JobCache {
    let entry = this.current.get(key)
    if (entry?.client !== client) {
      entry?.cache.close()
      entry = { client, cache: createJobCache(client) }
      this.current.set(key, entry)
    }
    return entry.cache
  }

  close(): void {
    for (const entry of this.current.values()) entry.cache.close()
    this.current.clear()
  }
}

/** Options of {@link createClawlinkMcpServer}. */
export interface ClawlinkMcpOptions extends McpPolicy {
  /** Opens (once) and returns the persistent gateway session; connecting is bounded by `signal`. */
  getClient?: (signal?: AbortSignal) => Promise<GatewayClient>
  /** The URL `getClient` connects to, for the audit line. */
  gatewayUrl?: string
  /** One gateway per context (`--context`), the first the default; instead of `getClient`. */
  gateways?: readonly NamedGateway[]
  /** Upper bound of any one tool call, and of a run_cron_job wait without `timeoutSeconds`. */
  callTimeoutMs: number
  /** Ask the user (MCP elicitation) before every run_cron_job and every write. */
  confirm?: boolean
  /** Job lists shared with the process's other MCP sessions; else the server keeps its own. */
  jobLists?: JobLists
  /** Tasks shared with the process's other MCP sessions; else the server keeps its own. */
  tasks?: TaskRegistry
  version: string
}

/**
 * The clawlink MCP server: cron tools over one persistent gateway session, with an allow-list, a read-only
 * switch, confirmation through the user and a per-call timeout for operators who hand it to an assistant
 * (docs/architecture.md "The apps"). The tools present what the client's cron use-case returns; the server has no protocol
 * sequence of its own.
 */
export function createClawlinkMcpServer(options: ClawlinkMcpOptions): McpServer {
  const ownTasks = options.tasks === undefined
  const tasks = options.tasks ?? new TaskRegistry()
  const server = new McpServer(
    { name: 'clawlink-mcp', version: options.version },
    {
      // tasks: the 2025-11-25 task methods, served by tasks.ts below the server (2025-era sessions only).
      capabilities: { tools: { listChanged: false }, tasks: TASKS_CAPABILITY } as never,
      // Lists change only with a new server version: a client may keep them for a minute (each configuration lists its own) (2026-07-28 cache hints).
      cacheHints: { 'tools/list': { ttlMs: 60_000, cacheScope: 'private' } },
      // Checks --confirm answers without ajv, which bundle.mjs leaves out (elicit-schema.ts).
      jsonSchemaValidator: elicitationValidator,
    },
  )
  // Write tools: only with --allow-write, and never under read-only, whatever else is set.
  const allowWrite = options.allowWrite === true && !options.readOnly
  const gateways = new Gateways(
    options.gateways ??
      (options.getClient
        ? [{ name: null, url: options.gatewayUrl ?? '', getClient: options.getClient }]
        : []),
  )
  const policy: McpPolicy = {
    allowJobs: options.allowJobs,
    readOnly: options.readOnly,
    allowWrite,
    allowDisabled: options.allowDisabled === true,
    contexts: gateways.names,
  }
  const deps = { gateways, policy, callTimeoutMs: options.callTimeoutMs }
  const own = options.jobLists === undefined
  const jobLists = options.jobLists ?? new JobLists()
  const getJobs = (client: GatewayClient, key?: string): JobCache => jobLists.of(client, key)
  if (!options.readOnly)
    registerRunTool(server, { ...deps, getJobs, confirm: options.confirm === true, tasks })
  if (allowWrite) registerWriteTools(server, { ...deps, confirm: options.confirm === true })
  registerPreviewTool(server, deps)
  registerReadTools(server, deps)
  registerCheckTool(server, deps)
  const close = server.close.bind(server)
  server.close = async () => {
    if (own) jobLists.close()
    if (ownTasks) tasks.close()
    await close()
  }
  return server
}
