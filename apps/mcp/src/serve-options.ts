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
  'replica-id'?: string | undefined
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
  /** `--replica-id` (else CLAWLINK_MCP_REPLICA_ID): the prefix `ID.` of every Mcp-Session-Id this process issues. */
  replicaId: string | undefined
}

/** A replica id: 1 to 32 of a-z, 0-9 and `-`, not starting with `-` (it leads the session ids, so a proxy routes by it). */
const REPLICA_ID = /^[a-z0-9][a-z0-9-]{0,31}$/

/**
 * `--replica-id ID`, else CLAWLINK_MCP_REPLICA_ID, else none.
 * @throws HttpSetupError HTTP_REPLICA_ID
 */
export function replicaIdOf(flags: ServeFlags, env: NodeJS.ProcessEnv): string | undefined {
  const fromFlag = flags['replica-id'] !== undefined
  const id = fromFlag ? flags['replica-id'] : env.CLAWLINK_MCP_REPLICA_ID
  if (id === undefined || (!fromFlag && id === '')) return undefined
  if (REPLICA_ID.test(id)) return id
  const where = fromFlag ? '--replica-id' : 'CLAWLINK_MCP_REPLICA_ID'
  throw new HttpSetupError('HTTP_REPLICA_ID', `${where} ${JSON.stringify(id)} is not a replica id`, {
    remedy:
      'use 1 to 32 of a-z, 0-9 and -, starting with a letter or digit, unique per replica: e.g. --replica-id r1',
  })
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
  const replicaId = replicaIdOf(flags, env)
  return { address, token, oauth, allowOrigins, idleTimeoutMs: idleS * 1000, replicaId }
}
