import { readFileSync } from 'node:fs'
import { auditLogPath, resolvePath, resolveProfile, verifyAuditChain } from '@clawlink/config'
import { parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput } from '../output.js'
import { logFiles } from './audit.js'

/** The files to check, oldest first: the FILEs as given, or one FILE (default: the profile's log) and its rotated files. */
function filesToCheck(values: Record<string, unknown>, positionals: string[]): string[] {
  const env = process.env
  const cwd = process.cwd()
  if (positionals.length > 1) return positionals.map((p) => resolvePath(p, env, cwd))
  let path: string | undefined
  if (positionals[0] !== undefined) path = resolvePath(positionals[0], env, cwd)
  else {
    const profileDir = values['profile-dir']
      ? resolvePath(values['profile-dir'] as string, env, cwd)
      : undefined
    const { paths } = resolveProfile({ profileDir, profile: values.profile as string | undefined }, env)
    path = auditLogPath(values['audit-log'] as string | undefined, paths, env, cwd)
    if (path === undefined)
      throw new CliError(
        'AUDIT_LOG_UNREADABLE',
        'no audit log to verify: it is turned off (--audit-log off or CLAWLINK_MCP_AUDIT_LOG=off)',
        { remedy: 'name the log: clawlink audit verify FILE', exitCode: EXIT.USAGE },
      )
  }
  const found = logFiles(path).reverse()
  if (found.length === 0)
    throw new CliError('AUDIT_LOG_UNREADABLE', `no audit log at ${path}`, {
      remedy:
        'name the log clawlink-mcp writes (its --audit-log, default <profile dir>/audit.jsonl): clawlink audit verify FILE',
      exitCode: EXIT.USAGE,
    })
  return found
}

function read(file: string): Uint8Array {
  try {
    return readFileSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new CliError('AUDIT_LOG_UNREADABLE', `cannot read ${file} (${code})`, {
      remedy:
        code === 'ENOENT'
          ? 'check the path (ls it)'
          : 'run as the user clawlink-mcp writes it as, or fix its permissions',
      exitCode: EXIT.USAGE,
    })
  }
}

/** `clawlink audit verify [FILE…]`: checks the audit log's hash chain and names the first line that breaks it. */
export async function auditVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'audit verify')
  const out = createOutput(values.json === true)
  const files = filesToCheck(values, positionals)
  const verdict = verifyAuditChain(files.map((name) => ({ name, bytes: read(name) })))
  const b = verdict.break
  const start = verdict.start
  const from = !start
    ? 'no chained line'
    : start.genesis
      ? 'from the first line ever written'
      : `from seq ${start.seq} (the lines before it are in older files, rotated away or not given)`
  const unchained = verdict.unchained
    ? `; ${verdict.unchained} older line(s) before the chain are not covered by it`
    : ''
  const human = b
    ? `BROKEN at ${b.file}:${b.line}: ${b.kind}: ${b.reason}` +
      (verdict.brokenLinks > 1 ? ` (${verdict.brokenLinks} links broken in all)` : '') +
      `\nchecked ${verdict.lines} line(s) in ${files.length} file(s)`
    : `intact: ${verdict.lines} line(s) in ${files.length} file(s) link up, ${from}${unchained}` +
      (verdict.head ? `\nhead: seq ${verdict.head.seq ?? '-'} sha256 ${verdict.head.hash}` : '')
  out.result(human, { ...verdict, ...(b ? { code: 'AUDIT_CHAIN_BROKEN' } : {}), files })
  return b ? EXIT.AUDIT_CHAIN_BROKEN : EXIT.OK
}
