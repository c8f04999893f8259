import type { ResolvedJob } from '@clawlink/client'
import { escapeControlChars } from '@clawlink/client'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ToolRefusal } from './present.js'

/**
 * Asks the user — through the MCP client, never the assistant — whether to run `job` now (MCP elicitation).
 * Anything but an explicit yes refuses: a decline, a cancel, or a client that cannot ask the user at all.
 * @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED
 */
export async function confirmRun(server: McpServer, job: ResolvedJob, signal: AbortSignal): Promise<void> {
  const label = escapeControlChars(job.name ?? job.id, { singleLine: true })
  if (!server.server.getClientCapabilities()?.elicitation) {
    throw new ToolRefusal(
      `This server asks the user before running a job (--confirm), but this MCP client cannot ask the user (it does not support elicitation), so "${label}" was not run. Ask the user to run it from a client that supports elicitation, or to remove --confirm for clawlink-mcp.`,
      'CONFIRMATION_UNAVAILABLE',
    )
  }
  const answer = await server.server.elicitInput(
    {
      message: `Run the OpenClaw cron job "${label}" (${job.id}) now?`,
      requestedSchema: {
        type: 'object',
        properties: { run: { type: 'boolean', title: `Run "${label}" now`, default: false } },
        required: ['run'],
      },
    },
    { signal },
  )
  if (answer.action === 'accept' && answer.content?.run === true) return
  throw new ToolRefusal(
    `The user did not confirm running "${label}" (${answer.action === 'accept' ? 'answered no' : answer.action}); nothing was run.`,
    'DECLINED',
  )
}
