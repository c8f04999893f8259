import type { ResolvedJob } from '@clawlink/client'
import { escapeControlChars } from '@clawlink/client'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ToolRefusal } from './present.js'

/** What to ask the user: the question, the yes-box's title, and what is done (or not) on refusal. */
interface Question {
  message: string
  title: string
  /** "run", "written": completes "nothing was …". */
  nothing: string
  label: string
  /** The boolean property the user sets to say yes. */
  key: string
}

/**
 * Asks the user — through the MCP client, never the assistant — one yes/no question (MCP elicitation).
 * Anything but an explicit yes refuses: a decline, a cancel, or a client that cannot ask the user at all.
 * @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED
 */
async function ask(server: McpServer, q: Question, signal: AbortSignal): Promise<void> {
  if (!server.server.getClientCapabilities()?.elicitation) {
    throw new ToolRefusal(
      `This server asks the user before it acts (--confirm), but this MCP client cannot ask the user (it does not support elicitation), so nothing was ${q.nothing} for "${q.label}". Ask the user to do it from a client that supports elicitation, or to remove --confirm for clawlink-mcp.`,
      'CONFIRMATION_UNAVAILABLE',
    )
  }
  const answer = await server.server.elicitInput(
    {
      message: q.message,
      requestedSchema: {
        type: 'object',
        properties: { [q.key]: { type: 'boolean', title: q.title, default: false } },
        required: [q.key],
      },
    },
    { signal },
  )
  if (answer.action === 'accept' && answer.content?.[q.key] === true) return
  throw new ToolRefusal(
    `The user did not confirm "${q.label}" (${answer.action === 'accept' ? 'answered no' : answer.action}); nothing was ${q.nothing}.`,
    'DECLINED',
  )
}

const oneLine = (text: string) => escapeControlChars(text, { singleLine: true })

/** Asks the user whether to run `job` now. @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED */
export function confirmRun(server: McpServer, job: ResolvedJob, signal: AbortSignal): Promise<void> {
  const label = oneLine(job.name ?? job.id)
  return ask(
    server,
    {
      message: `Run the OpenClaw cron job "${label}" (${job.id}) now?`,
      title: `Run "${label}" now`,
      nothing: 'run',
      label,
      key: 'run',
    },
    signal,
  )
}

/**
 * Asks the user whether to write a change: `action` ("Create", "Remove" …), the job and the field-level diff.
 * @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED
 */
export function confirmWrite(
  server: McpServer,
  change: { action: string; job: string; diff: string },
  signal: AbortSignal,
): Promise<void> {
  const label = oneLine(change.job)
  return ask(
    server,
    {
      message: `${change.action} the OpenClaw cron job "${label}"?\n${escapeControlChars(change.diff)}`,
      title: `${change.action} "${label}"`,
      nothing: 'written',
      label,
      key: 'write',
    },
    signal,
  )
}
