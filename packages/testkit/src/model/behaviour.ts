/**
 * What the loopback model does with one chat-completions request: chosen by a marker in the last user message
 * (docs/testing.md "A model on loopback").
 */

/** One behaviour of the mock model. */
export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'slow'; seconds: number }
  | { kind: 'tool' }
  | { kind: 'http'; status: number }
  | { kind: 'hang' }

/** The request's bits the mock looks at. */
export interface ChatRequest {
  messages?: unknown
  tools?: unknown
  stream?: unknown
  model?: unknown
}

interface Message {
  role?: unknown
  content?: unknown
}

const MARKER = /\[mock:(ok|slow|tool|http|hang)(?::(\d{1,4}))?\]/

/** The longest `[mock:slow:N]` honoured (N above it is clamped). */
export const MAX_SLOW_SECONDS = 3600

/** The text of a message's content: a string or an array of `{type:'text', text}` parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : ''))
    .join('')
}

function messagesOf(request: ChatRequest): Message[] {
  return Array.isArray(request.messages)
    ? request.messages.filter((m): m is Message => !!m && typeof m === 'object')
    : []
}

/**
 * The user turn that carries a marker — the last user message that has one, else the last user message (the
 * gateway puts its system prompt before it, and may add a user message of internal context after it) — and the
 * messages that follow it (tool results of this turn).
 */
export function lastUserTurn(request: ChatRequest): { text: string; after: Message[] } {
  const messages = messagesOf(request)
  let last: number | undefined
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role !== 'user') continue
    last ??= i
    if (MARKER.test(contentText(messages[i]!.content))) {
      last = i
      break
    }
  }
  if (last === undefined) return { text: '', after: [] }
  return { text: contentText(messages[last]!.content), after: messages.slice(last + 1) }
}

/** The behaviour the last user message asks for; `ok` when it names none (or names one badly). */
export function behaviourOf(text: string): Behaviour {
  const match = MARKER.exec(text)
  if (!match) return { kind: 'ok' }
  const arg = match[2] === undefined ? undefined : Number(match[2])
  switch (match[1]) {
    case 'slow':
      return { kind: 'slow', seconds: Math.min(arg ?? 10, MAX_SLOW_SECONDS) }
    case 'http':
      return arg !== undefined && arg >= 400 && arg <= 599 ? { kind: 'http', status: arg } : { kind: 'ok' }
    case 'tool':
      return { kind: 'tool' }
    case 'hang':
      return { kind: 'hang' }
    default:
      return { kind: 'ok' }
  }
}

/** A stats key for a behaviour: `ok`, `slow`, `tool`, `http:400`, `hang`. */
export function behaviourKey(b: Behaviour): string {
  return b.kind === 'http' ? `http:${b.status}` : b.kind
}

/** Whether a tool result came back after the user turn (then the tool behaviour answers in text). */
export function hasToolResult(after: readonly Message[]): boolean {
  return after.some((m) => m.role === 'tool')
}

interface ToolSpec {
  name: string
  required: string[]
  properties: Record<string, { type?: unknown }>
}

function toolSpecs(tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return []
  const specs: ToolSpec[] = []
  for (const tool of tools) {
    const fn = tool && typeof tool === 'object' ? (tool as { function?: unknown }).function : undefined
    if (!fn || typeof fn !== 'object') continue
    const { name, parameters } = fn as { name?: unknown; parameters?: unknown }
    if (typeof name !== 'string') continue
    const params = (parameters && typeof parameters === 'object' ? parameters : {}) as {
      required?: unknown
      properties?: unknown
    }
    specs.push({
      name,
      required: Array.isArray(params.required) ? params.required.filter((r) => typeof r === 'string') : [],
      properties: (params.properties && typeof params.properties === 'object'
        ? params.properties
        : {}) as ToolSpec['properties'],
    })
  }
  return specs
}

/** Read-only tools, most harmless first. */
const PREFERRED = ['ls', 'list', 'list_dir', 'glob', 'read', 'session_status', 'sessions_list']

/** The tool to call (a harmless one from the request's list) with valid JSON arguments; none when no tools came. */
export function pickToolCall(tools: unknown): { name: string; arguments: string } | undefined {
  const specs = toolSpecs(tools)
  if (specs.length === 0) return undefined
  const spec =
    PREFERRED.map((n) => specs.find((s) => s.name === n)).find((s) => s !== undefined) ??
    specs.find((s) => s.required.length === 0) ??
    specs[0]!
  const args: Record<string, unknown> = {}
  for (const key of spec.required) {
    const type = spec.properties[key]?.type
    args[key] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? false : '.'
  }
  if (spec.name === 'ls' || spec.name === 'list' || spec.name === 'list_dir') args.path ??= '.'
  return { name: spec.name, arguments: JSON.stringify(args) }
}

/** The names of the tools a request offered (for the stats). */
export function toolNames(tools: unknown): string[] {
  return toolSpecs(tools).map((s) => s.name)
}
