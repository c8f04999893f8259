import type { ResolvedJob } from '@clawlink/client'
import { escapeControlChars } from '@clawlink/client'
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  inputRequired,
  inputResponse,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server'
import { elicitationProblem } from './elicit-schema.js'
import { ConfirmationNeeded, ToolRefusal } from './present.js'

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

/** What a tool call can tell about asking its user: whether the client can, and the answers it brought back. */
export interface Asker {
  /** The client declared elicitation (at `initialize`, or in the request's `_meta` on 2026-07-28). */
  canAsk: boolean
  /** The answers of a retried call (2026-07-28 input-required results; the SDK's shim for older clients). */
  responses: Record<string, unknown> | undefined
}

/** The asker of a tool call: elicitation support from the request's `_meta` envelope, else from `initialize`. */
export function askerOf(server: McpServer, ctx: ServerContext): Asker {
  // The envelope's members are wire-only in the SDK's types (2026-07-28 requests carry it; others do not).
  const envelope = ctx.mcpReq.envelope as Record<string, ClientCapabilities | undefined> | undefined
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? server.server.getClientCapabilities()
  return { canAsk: declared?.elicitation !== undefined, responses: ctx.mcpReq.inputResponses }
}

/**
 * Asks the user — through the MCP client, never the assistant — one yes/no question (MCP elicitation).
 * Anything but an explicit yes refuses: a decline, a cancel, or a client that cannot ask the user at all.
 * @throws ConfirmationNeeded the first time; ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED
 */
function ask(asker: Asker, q: Question): void {
  if (!asker.canAsk) {
    throw new ToolRefusal(
      'CONFIRMATION_UNAVAILABLE',
      `This server asks the user before it acts (--confirm), but this MCP client cannot ask the user (it does not support elicitation), so nothing was ${q.nothing} for "${q.label}".`,
      {
        remedy:
          'Ask the user to do it from a client that supports elicitation, or to remove --confirm for clawlink-mcp.',
      },
    )
  }
  const requestedSchema = {
    type: 'object' as const,
    properties: { [q.key]: { type: 'boolean' as const, title: q.title, default: false } },
    required: [q.key],
  }
  const answer = inputResponse(asker.responses, q.key)
  if (answer.kind === 'missing') {
    const elicit = inputRequired.elicit({ message: q.message, requestedSchema })
    throw new ConfirmationNeeded(inputRequired({ inputRequests: { [q.key]: elicit } }))
  }
  // The SDK does not check an answer against the question (2026-07-28 answers are untrusted input): we do.
  const problem =
    answer.kind === 'elicit' && answer.action === 'accept'
      ? elicitationProblem(answer.content ?? {}, requestedSchema)
      : undefined
  if (problem)
    throw new ToolRefusal(
      'DECLINED',
      `The answer to "${q.title}" does not fit the question: ${problem}; nothing was ${q.nothing}.`,
      { remedy: '' },
    )
  const action = answer.kind === 'elicit' ? answer.action : 'cancel'
  const content = answer.kind === 'elicit' ? answer.content : undefined
  if (action === 'accept' && content?.[q.key] === true) return
  throw new ToolRefusal(
    'DECLINED',
    `The user did not confirm "${q.label}" (${action === 'accept' ? 'answered no' : action}); nothing was ${q.nothing}.`,
    { remedy: '' },
  )
}

const oneLine = (text: string) => escapeControlChars(text, { singleLine: true })

/** Asks the user whether to run `job` now. @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED */
export function confirmRun(asker: Asker, job: ResolvedJob): void {
  const label = oneLine(job.name ?? job.id)
  ask(asker, {
    message: `Run the OpenClaw cron job "${label}" (${job.id}) now?`,
    title: `Run "${label}" now`,
    nothing: 'run',
    label,
    key: 'run',
  })
}

/**
 * Asks the user whether to write a change: `action` ("Create", "Remove" …), the job and the field-level diff.
 * @throws ToolRefusal CONFIRMATION_UNAVAILABLE, DECLINED
 */
export function confirmWrite(asker: Asker, change: { action: string; job: string; diff: string }): void {
  const label = oneLine(change.job)
  ask(asker, {
    message: `${change.action} the OpenClaw cron job "${label}"?\n${escapeControlChars(change.diff)}`,
    title: `${change.action} "${label}"`,
    nothing: 'written',
    label,
    key: 'write',
  })
}
