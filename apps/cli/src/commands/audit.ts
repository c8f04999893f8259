import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { auditLogPath, resolvePath, resolveProfile } from '@clawlink/config'
import { parseCommand, parseDuration } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { createOutput, table } from '../output.js'

/** The fields of a clawlink-mcp audit line this command shows (apps/mcp/src/audit-log.ts writes them). */
interface AuditLine {
  time: string
  tool: string
  arguments?: unknown
  job?: { id?: string; name?: string | null } | null
  client?: { name?: string; version?: string } | null
  transport?: string
  outcome: string
  code?: string | null
  runId?: string | null
  durationMs?: number
}

/** The log and its rotated files, newest first: audit.jsonl, audit.jsonl.1, audit.jsonl.2, … */
export function logFiles(path: string): string[] {
  const dir = dirname(path)
  const name = basename(path)
  let rotated: string[] = []
  try {
    rotated = readdirSync(dir)
      .map((f) => ({ f, n: f.startsWith(`${name}.`) ? Number(f.slice(name.length + 1)) : Number.NaN }))
      .filter(({ n }) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a.n - b.n)
      .map(({ f }) => join(dir, f))
  } catch {}
  return [path, ...rotated].filter((f) => existsSync(f))
}

function parseLines(text: string, bad: { count: number }): AuditLine[] {
  const out: AuditLine[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const entry = JSON.parse(line) as AuditLine
      if (typeof entry.time === 'string' && typeof entry.tool === 'string') out.push(entry)
      else bad.count++
    } catch {
      bad.count++
    }
  }
  return out
}

/** Lines newer than `sinceMs`, oldest first; older rotated files are not read once one starts before it. */
function readAudit(files: string[], sinceMs: number | undefined, bad: { count: number }): AuditLine[] {
  const chunks: AuditLine[][] = []
  for (const file of files) {
    const lines = parseLines(readFileSync(file, 'utf8'), bad)
    chunks.unshift(sinceMs === undefined ? lines : lines.filter((l) => Date.parse(l.time) >= sinceMs))
    const first = lines[0]
    if (sinceMs !== undefined && first && Date.parse(first.time) < sinceMs) break
  }
  return chunks.flat()
}

function row(e: AuditLine): string[] {
  const job = e.job ? (e.job.name ?? e.job.id ?? '-') : '-'
  const client = e.client ? `${e.client.name ?? '?'} ${e.client.version ?? ''}`.trim() : '-'
  return [
    e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    e.tool,
    job,
    e.code ? `${e.outcome} ${e.code}` : e.outcome,
    e.runId ?? '-',
    `${client}${e.transport ? ` (${e.transport})` : ''}`,
  ]
}

/** `clawlink audit`: reads the profile's clawlink-mcp audit log; gateway-supplied text is sanitised. */
export async function audit(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'audit')
  const out = createOutput(values.json === true)
  const env = process.env
  const cwd = process.cwd()
  const profileDir = values['profile-dir'] ? resolvePath(values['profile-dir'], env, cwd) : undefined
  const { paths } = resolveProfile({ profileDir, profile: values.profile }, env)
  const path = auditLogPath(values['audit-log'], paths, env, cwd)
  if (path === undefined) {
    out.result('no audit log: it is turned off (--audit-log off or CLAWLINK_MCP_AUDIT_LOG=off)', {
      ok: true,
      file: null,
      entries: [],
    })
    return EXIT.OK
  }
  const sinceMs = values.since === undefined ? undefined : Date.now() - parseDuration(values.since, '--since')
  const files = logFiles(path)
  const bad = { count: 0 }
  const entries = readAudit(files, sinceMs, bad)
  if (bad.count > 0) out.warn(`${bad.count} line(s) of ${path} are not audit entries and were skipped`)
  const human =
    files.length === 0
      ? `no audit log at ${path} yet: clawlink-mcp writes one line per tool call there (see --audit-log)`
      : entries.length === 0
        ? `no tool calls${values.since ? ` in the last ${values.since}` : ''} (${path})`
        : table(['TIME', 'TOOL', 'JOB', 'OUTCOME', 'RUN ID', 'CLIENT'], entries.map(row))
  out.result(human, { ok: true, file: path, entries })
  return EXIT.OK
}
