import { auditLogPath, type ProfilePaths, resolvePath } from '@clawlink/config'
import { type AuditLog, createAuditLog } from './audit.js'
import {
  HttpSetupError,
  type ListenAddress,
  loadHttpToken,
  normalizeOrigin,
  parseListen,
} from './http-guard.js'
import { type OAuthFlags, type OAuthSetup, oauthSetup } from './oauth-options.js'

/** The flags of clawlink-mcp that choose the audit log and the HTTP transport. */
export interface ServeFlags extends OAuthFlags {
  'audit-log'?: string | undefined
  http?: string | undefined
  'http-token-file'?: string | undefined
  'http-allow-origin'?: string[] | undefined
  'http-idle-timeout'?: string | undefined
}

/** The audit log of `--audit-log FILE|off` (else CLAWLINK_MCP_AUDIT_LOG, else `<profile dir>/audit.jsonl`). */
export function openAudit(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  paths: ProfilePaths,
): AuditLog | undefined {
  const path = auditLogPath(flags['audit-log'], paths, env, process.cwd())
  return path === undefined ? undefined : createAuditLog({ path })
}

/** What `--http` serves, checked before anything listens. */
export interface HttpSetup {
  address: ListenAddress
  /** The static bearer token; undefined in OAuth mode. */
  token: string | undefined
  /** OAuth resource-server mode (`--oauth-issuer`/`--oauth-audience`), when asked for. */
  oauth: OAuthSetup | undefined
  allowOrigins: string[]
  idleTimeoutMs: number
}

/**
 * Validates the HTTP flags: a static token is required on every address, unless OAuth mode is on.
 * @throws HttpSetupError, OAuthSetupError
 */
export function httpSetup(flags: ServeFlags, env: NodeJS.ProcessEnv): HttpSetup {
  const address = parseListen(flags.http ?? '')
  const idleS = Number(flags['http-idle-timeout'] ?? 1800)
  if (!Number.isFinite(idleS) || idleS <= 0 || idleS > 7 * 86_400)
    throw new HttpSetupError(
      'HTTP_LISTEN_INVALID',
      `--http-idle-timeout ${JSON.stringify(flags['http-idle-timeout'])} is not a number of seconds`,
      { remedy: 'e.g. --http-idle-timeout 1800 (30 minutes), at most 604800' },
    )
  const oauth = oauthSetup(flags)
  const token = oauth
    ? undefined
    : loadHttpToken(
        flags['http-token-file'] === undefined
          ? undefined
          : resolvePath(flags['http-token-file'], env, process.cwd()),
        env,
        address,
      )
  const allowOrigins = (flags['http-allow-origin'] ?? []).map(normalizeOrigin)
  return { address, token, oauth, allowOrigins, idleTimeoutMs: idleS * 1000 }
}
