import { escapeControlChars, safeJson } from '@clawlink/client'
import { approveCommand, ClawlinkError, type ClawlinkErrorOptions, GatewayError } from '@clawlink/protocol'
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server'
import { noteAuditCode } from './audit.js'

/**
 * Thrown inside a tool to return an isError result whose text tells the assistant what happened (`message`) and
 * what to do (`remedy`); on the common error base, with its one constructor shape.
 */
export class ToolRefusal extends ClawlinkError {
  override name = 'ToolRefusal'
  constructor(code: string, message: string, options: ClawlinkErrorOptions) {
    super(code, message, options)
  }
}

/**
 * Thrown to ask the user: the tool returns {@link ConfirmationNeeded.result}, the client asks the user and calls
 * again with the answer (MCP 2026-07-28 input-required results; the SDK sends older clients an elicitation).
 */
export class ConfirmationNeeded extends Error {
  constructor(readonly result: InputRequiredResult) {
    super('the user must confirm first')
  }
}

/** Largest text an MCP result may carry; bigger results ask the assistant to narrow the query. */
export const MAX_RESULT_CHARS = 256 * 1024

// Errors whose generic fix names CLI flags: here the fix is a change to the MCP client's configuration of
// clawlink-mcp, which the user (not the assistant) makes.
const CONFIG_FIX = 'the MCP client\'s configuration for clawlink-mcp (its "args" or "env")'
const MCP_REMEDY: Record<string, string> = {
  AUTH_TOKEN_MISSING: `the user adds the gateway token to ${CONFIG_FIX}: "--token-file", "/path/to/token-file" in args, or OPENCLAW_GATEWAY_TOKEN in env; then restart the server`,
  AUTH_TOKEN_MISMATCH: `the token clawlink-mcp uses is not this gateway's gateway.auth.token: the user fixes the token file or OPENCLAW_GATEWAY_TOKEN in ${CONFIG_FIX}`,
  AUTH_PASSWORD_MISSING: `the user adds "--password-file", "/path/to/file" to ${CONFIG_FIX}`,
  AUTH_PASSWORD_MISMATCH: `the user fixes the password file in ${CONFIG_FIX}`,
  INSECURE_URL: `the user changes "--url" in ${CONFIG_FIX} to wss:// (with "--tls-fingerprint" for a self-signed certificate)`,
  TLS_UNTRUSTED: `the gateway's certificate is not trusted: the user verifies the SHA-256 fingerprint named above out of band (on the gateway host), and only if it matches adds "--tls-fingerprint", "<that fingerprint>" to ${CONFIG_FIX}`,
  TLS_PIN_MISMATCH: `the user verifies the gateway certificate and updates "--tls-fingerprint" in ${CONFIG_FIX}`,
  CONNECT_REFUSED: `the gateway is not running at that address: the user starts it, or fixes "--url" in ${CONFIG_FIX}`,
  DEADLINE_EXCEEDED: `the gateway did not answer within this call's limit: retry later; if it is just slow, the user raises "--call-timeout" in ${CONFIG_FIX}`,
}

/** One line: gateway text in an error can neither drive a terminal nor start a (fake) line of its own. */
const oneLine = (text: string): string => escapeControlChars(text, { singleLine: true })

/**
 * The error text an assistant reads: what happened, the stable code and what to do. Gateway-supplied text is
 * escaped (no control characters reach the client); pairing errors name the command the operator runs.
 */
export function errorText(error: unknown): string {
  if (error instanceof ToolRefusal)
    return oneLine(`${error.message}${error.remedy ? ` ${error.remedy}` : ''} [${error.code}]`)
  const e = error as { code?: unknown; message?: unknown; remedy?: unknown }
  if (e && typeof e.code === 'string' && typeof e.remedy === 'string') {
    const pairing =
      error instanceof GatewayError && (e.code === 'PAIRING_REQUIRED' || e.code === 'SCOPE_UPGRADE_PENDING')
        ? ` The operator must approve this device on the gateway host: ${approveCommand(error.requestId)}.`
        : ''
    const remedy = MCP_REMEDY[e.code] ?? e.remedy
    return oneLine(`${String(e.message)} [${e.code}] What to do: ${remedy}${pairing}`)
  }
  return oneLine(`unexpected error: ${error instanceof Error ? error.message : String(error)}`)
}

/** The code of an error for logs and the audit trail. */
export function errorCode(error: unknown): string {
  if (error instanceof ToolRefusal) return error.code
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' ? code : 'INTERNAL'
}

/** Every string in `value` with its control characters shown as visible escapes (newlines and tabs kept). */
function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return escapeControlChars(value)
  if (Array.isArray(value)) return value.map(escapeStrings)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStrings(v)]))
  return value
}

/**
 * A successful tool result: structured content plus its JSON as text, size-capped. Gateway strings reach the
 * client with their control characters escaped, in both.
 */
export function resultOf(content: Record<string, unknown>): CallToolResult {
  const structuredContent = escapeStrings(content) as Record<string, unknown>
  const text = safeJson(structuredContent)
  if (text.length > MAX_RESULT_CHARS) {
    return failure(
      new ToolRefusal(
        'RESULT_TOO_LARGE',
        `The result is ${Math.round(text.length / 1024)} KiB, more than this server returns at once (${MAX_RESULT_CHARS / 1024} KiB).`,
        { remedy: 'Narrow the query (a part of the job name) or ask for fewer items.' },
      ),
    )
  }
  return { content: [{ type: 'text', text }], structuredContent }
}

/**
 * An isError result; with `facts` (a run's record) also as `structuredContent`, escaped like a success's, so a
 * client reads runId and status without parsing the text.
 */
export function failure(error: unknown, facts?: Record<string, unknown>): CallToolResult {
  noteAuditCode(errorCode(error))
  const result: CallToolResult = { isError: true, content: [{ type: 'text', text: errorText(error) }] }
  if (facts) result.structuredContent = escapeStrings(facts) as Record<string, unknown>
  return result
}

/** `text` as one sentence: exactly one period at its end, however the gateway ended it. */
export function sentence(text: string): string {
  return `${text.replace(/[\s.]+$/u, '')}.`
}

/** Runs a tool body and turns every failure into an isError result the assistant can act on. */
export async function guarded(
  fn: () => Promise<Record<string, unknown>>,
): Promise<CallToolResult | InputRequiredResult> {
  try {
    return resultOf(await fn())
  } catch (error) {
    if (error instanceof ConfirmationNeeded) return error.result
    return failure(error)
  }
}

/** ISO time, or null for a missing or impossible time. */
export function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString()
}
