/** The scopes an access token may carry for clawlink-mcp (RFC 9728 `scopes_supported`). */
export const OAUTH_SCOPES = ['clawlink:read', 'clawlink:run', 'clawlink:write'] as const
export type OAuthScope = (typeof OAUTH_SCOPES)[number]

/**
 * The scope each tool needs: reading and listing (`clawlink:read`), running (`clawlink:run`), changing jobs
 * (`clawlink:write`). The scopes are independent: a token that may run a job holds `clawlink:read` as well only
 * if the authorization server granted it. test/oauth-scopes.test.ts checks every registered tool is here.
 */
export const TOOL_SCOPES: Readonly<Record<string, OAuthScope>> = Object.freeze({
  list_cron_jobs: 'clawlink:read',
  get_cron_runs: 'clawlink:read',
  cron_status: 'clawlink:read',
  preview_cron_job: 'clawlink:read',
  check_cron_jobs: 'clawlink:read',
  run_cron_job: 'clawlink:run',
  create_cron_job: 'clawlink:write',
  update_cron_job: 'clawlink:write',
  set_cron_job_enabled: 'clawlink:write',
  remove_cron_job: 'clawlink:write',
})

/**
 * The scope a tool call needs. A name the table does not know needs `clawlink:write`, the strongest: a new tool
 * nobody mapped is never open to a read-only token.
 */
export function requiredScope(toolName: string): OAuthScope {
  return Object.hasOwn(TOOL_SCOPES, toolName) ? (TOOL_SCOPES[toolName] as OAuthScope) : 'clawlink:write'
}

/**
 * The scope an MCP request needs, or undefined when any valid token will do (initialize, ping, tools/list,
 * server/discover, notifications). tools/call: the tool's scope; the task methods: `clawlink:run`, as only
 * run_cron_job makes tasks.
 */
export function requiredScopeForRequest(method: string, toolName?: string): OAuthScope | undefined {
  if (method === 'tools/call') return requiredScope(toolName ?? '')
  if (method.startsWith('tasks/')) return 'clawlink:run'
  return undefined
}

/** The result of {@link checkScope}; `code` is the audit log's (docs/errors.md). */
export type ScopeCheck =
  | { ok: true; scope: OAuthScope }
  | { ok: false; error: 'insufficient_scope'; code: 'INSUFFICIENT_SCOPE'; scope: OAuthScope; reason: string }

/** Whether a verified token may call `toolName`; when not, the scope to ask the authorization server for. */
export function checkScope(auth: { scopes: readonly string[] }, toolName: string): ScopeCheck {
  const scope = requiredScope(toolName)
  if (auth.scopes.includes(scope)) return { ok: true, scope }
  return {
    ok: false,
    error: 'insufficient_scope',
    code: 'INSUFFICIENT_SCOPE',
    scope,
    reason: `${JSON.stringify(toolName.slice(0, 64))} needs the scope ${scope}, which the token does not carry`,
  }
}
