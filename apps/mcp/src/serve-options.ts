import { auditLogPath, type ProfilePaths, resolvePath } from '@clawlink/config'
import { type AuditLog, createAuditLog } from './audit.js'
import {
  HttpSetupError,
  type ListenAddress,
  loadHttpToken,
  normalizeOrigin,
  parseListen,
} from './http-guard.js'

/** The flags of clawlink-mcp that choose the audit log and the HTTP transport. */
export interface ServeFlags {
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
  token: string
  allowOrigins: string[]
  idleTimeoutMs: number
}

/** Validates the HTTP flags: a token is required on every address. @throws HttpSetupError */
export function httpSetup(flags: ServeFlags, env: NodeJS.ProcessEnv): HttpSetup {
  const address = parseListen(flags.http ?? '')
  const idleS = Number(flags['http-idle-timeout'] ?? 1800)
  if (!Number.isFinite(idleS) || idleS <= 0 || idleS > 7 * 86_400)
    throw new HttpSetupError(
      'HTTP_LISTEN_INVALID',
      `--http-idle-timeout ${JSON.stringify(flags['http-idle-timeout'])} is not a number of seconds`,
      { remedy: 'e.g. --http-idle-timeout 1800 (30 minutes), at most 604800' },
    )
  const token = loadHttpToken(
    flags['http-token-file'] === undefined
      ? undefined
      : resolvePath(flags['http-token-file'], env, process.cwd()),
    env,
    address,
  )
  const allowOrigins = (flags['http-allow-origin'] ?? []).map(normalizeOrigin)
  return { address, token, allowOrigins, idleTimeoutMs: idleS * 1000 }
}
