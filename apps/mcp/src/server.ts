import type { GatewayClient } from '@clawlink/client'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { McpPolicy } from './policy.js'
import { registerReadTools } from './tools/read.js'
import { registerRunTool } from './tools/run.js'

/** Options of {@link createClawlinkMcpServer}. */
export interface ClawlinkMcpOptions extends McpPolicy {
  /** Opens (once) and returns the persistent gateway session; connecting is bounded by `signal`. */
  getClient: (signal?: AbortSignal) => Promise<GatewayClient>
  /** Upper bound of any one tool call, and of `timeoutSeconds`. */
  callTimeoutMs: number
  version: string
}

/**
 * The clawlink MCP server: cron tools over one persistent gateway session, with an allow-list, a read-only
 * switch and a per-call timeout for operators who hand it to an assistant (DESIGN.md "MCP server"). The tools
 * present what the client's cron use-case returns; the server has no protocol sequence of its own.
 */
export function createClawlinkMcpServer(options: ClawlinkMcpOptions): McpServer {
  const server = new McpServer({ name: 'clawlink-mcp', version: options.version })
  const policy: McpPolicy = { allowJobs: options.allowJobs, readOnly: options.readOnly }
  const deps = { getClient: options.getClient, policy, callTimeoutMs: options.callTimeoutMs }
  if (!options.readOnly) registerRunTool(server, deps)
  registerReadTools(server, deps)
  return server
}
