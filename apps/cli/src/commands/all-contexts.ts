import { execFile } from 'node:child_process'
import { type GatewayClient, getCronStatus, getJobRuns, listCronJobs } from '@clawlink/client'
import { loadContexts, resolveSettings } from '@clawlink/config'
import { describeCronSchedule } from '@clawlink/protocol'
import { commandTimeout, DEFAULT_TIMEOUT_MS, parseCommand, settingsFlags } from '../args.js'
import { CliError, EXIT, type ExitCode, exitCodeFor } from '../exit-codes.js'
import {
  createOutput,
  describeError,
  jsonText,
  oneLine,
  relativeTime,
  sanitizeForTerminal,
  table,
} from '../output.js'
import { openSession } from '../session.js'
import type { CommandPath } from '../spec.js'

// `--all-contexts` on the read commands: the same query once per context — its own settings, connection,
// deadline and exit code — at most CONCURRENCY at a time, in this process (`doctor`, which prints as it goes, runs
// as a `clawlink doctor --context NAME --json` child). Rows are labelled with their context; what answered is
// printed even when others failed.

/** How many contexts are asked at once. */
export const CONCURRENCY = 4
/** A child that outlives its own deadline (connect + request) by this much is killed. */
const GRACE_MS = 5000

/** What one context answered: its exit code and its `--json` document. */
export interface ContextResult {
  context: string
  exitCode: number
  json: Record<string, unknown> | undefined
  stderr: string
}

type Rec = Record<string, unknown>
const rec = (v: unknown): Rec => (v && typeof v === 'object' ? (v as Rec) : {})
const str = (v: unknown): string => (v === undefined || v === null ? '-' : String(v))
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)

const ALLOWED: readonly CommandPath[] = ['cron list', 'cron status', 'cron runs', 'doctor']

function usage(message: string, remedy: string): CliError {
  return new CliError('USAGE', message, { remedy: remedy, exitCode: EXIT.USAGE })
}

/** The child's argv: the user's, without `--all-contexts` and output flags, plus `--context NAME --json`. */
function childArgv(path: CommandPath, argv: string[], context: string): string[] {
  const end = argv.indexOf('--')
  const head = end < 0 ? argv : argv.slice(0, end)
  const tail = end < 0 ? [] : argv.slice(end)
  const kept = head.filter((a) => a !== '--all-contexts' && a !== '--json')
  return [...path.split(' '), ...kept, '--context', context, '--json', ...tail]
}

function refuse(argv: string[]): void {
  const end = argv.indexOf('--')
  const head = end < 0 ? argv : argv.slice(0, end)
  for (const flag of [
    '--context',
    '--url',
    '--token-file',
    '--token-stdin',
    '--password-stdin',
    '--tls-fingerprint',
  ])
    if (head.some((a) => a === flag || a.startsWith(`${flag}=`)))
      throw usage(
        `${flag} cannot be combined with --all-contexts`,
        'each context brings its own URL, pin and token file',
      )
}

type Values = Record<string, unknown>

/** The `--json` document of one read command, from the client (the same shapes as commands/cron.ts prints). */
async function query(
  path: CommandPath,
  client: GatewayClient,
  values: Values,
  positionals: string[],
): Promise<Rec> {
  if (path === 'cron list') {
    const jobs = await listCronJobs(client, { includeDisabled: values.all === true })
    return { jobs: jobs.map(({ raw, ...j }) => ({ ...j, schedule: raw.schedule })) }
  }
  if (path === 'cron status') return { status: (await getCronStatus(client)).raw }
  const limit = values.limit === undefined ? 20 : Number(values.limit)
  const { job, runs } = await getJobRuns(client, positionals[0] ?? '', { limit })
  return { job: { id: job.id, name: job.name ?? null }, runs: runs.map(({ raw }) => raw) }
}

/** One context asked in this process: its settings (`--context NAME`), its session and deadline. */
async function askOne(path: CommandPath, argv: string[], context: string): Promise<ContextResult> {
  const { values, positionals } = parseCommand(argv, path)
  const env = { ...process.env }
  delete env.CLAWLINK_CONTEXT
  try {
    const flags = { ...settingsFlags(values), context }
    const settings = await resolveSettings({ flags, env, useContexts: true })
    const session = await openSession(values, createOutput(true), {
      deadlineMs: commandTimeout((values as { timeout?: string }).timeout, false),
      settings,
    })
    try {
      const json = await query(path, session.client, values, positionals)
      return { context, exitCode: EXIT.OK, json: { ok: true, ...json }, stderr: '' }
    } finally {
      await session.close()
    }
  } catch (error) {
    return {
      context,
      exitCode: exitCodeFor(error),
      json: { ok: false, error: describeError(error) },
      stderr: '',
    }
  }
}

/** `doctor` for one context, as a child process (its steps print as they go). */
function runOne(path: CommandPath, argv: string[], context: string): Promise<ContextResult> {
  const env = { ...process.env }
  delete env.CLAWLINK_CONTEXT
  const args = [...process.execArgv, process.argv[1] ?? '', ...childArgv(path, argv, context)]
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env, timeout: DEFAULT_TIMEOUT_MS + GRACE_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : EXIT.TIMEOUT) : 0
        let json: Rec | undefined
        try {
          json = rec(JSON.parse(stdout))
        } catch {
          json = undefined
        }
        resolve({ context, exitCode: code, json, stderr })
      },
    )
  })
}

/** Runs `task` over `items`, at most `limit` at a time; results in the items' order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** The rows of one context's answer, per command, each starting with the context's name. */
function rowsOf(path: CommandPath, r: ContextResult): string[][] {
  const j = rec(r.json)
  if (path === 'cron list')
    return (Array.isArray(j.jobs) ? j.jobs : []).map((x) => {
      const job = rec(x)
      const enabled = job.enabled === false ? 'no' : 'yes'
      const next = relativeTime(num(job.nextRunAtMs))
      return [
        r.context,
        str(job.id),
        str(job.name),
        enabled,
        describeCronSchedule(job.schedule),
        next,
        str(job.lastStatus),
      ]
    })
  if (path === 'cron status') {
    const s = rec(j.status)
    const enabled = s.enabled === undefined ? 'unknown' : s.enabled ? 'enabled' : 'disabled'
    return [[r.context, enabled, str(s.jobs), relativeTime(num(s.nextWakeAtMs))]]
  }
  if (path === 'cron runs')
    return (Array.isArray(j.runs) ? j.runs : []).map((x) => {
      const run = rec(x)
      const at = num(run.runAtMs) ?? num(run.ts)
      const ms = num(run.durationMs)
      const summary = String(run.error ?? run.summary ?? '')
        .replace(/\s+/g, ' ')
        .slice(0, 80)
      return [
        r.context,
        at === undefined ? '-' : new Date(at).toISOString(),
        str(run.status ?? run.completionStatus),
        ms === undefined ? '-' : `${ms} ms`,
        str(run.runId),
        summary,
      ]
    })
  return (Array.isArray(j.steps) ? j.steps : []).map((x) => {
    const step = rec(x)
    const mark = step.mark === 'warn' ? '!' : step.ok ? '✓' : '✗'
    return [
      r.context,
      mark,
      str(step.step),
      `${str(step.detail)}${step.fix ? ` (fix: ${str(step.fix)})` : ''}`,
    ]
  })
}

const HEADS: Record<string, string[]> = {
  'cron list': ['CONTEXT', 'ID', 'NAME', 'ENABLED', 'SCHEDULE', 'NEXT', 'LAST'],
  'cron status': ['CONTEXT', 'SCHEDULER', 'JOBS', 'NEXT WAKE'],
  'cron runs': ['CONTEXT', 'STARTED', 'STATUS', 'DURATION', 'RUN', 'SUMMARY'],
  doctor: ['CONTEXT', '', 'STEP', 'DETAIL'],
}

/** Why a context failed, in one line: its JSON error, else the last line it wrote on stderr. */
function failureOf(r: ContextResult): { code: string; message: string; remedy?: string } {
  const e = rec(rec(r.json).error)
  if (typeof e.message === 'string') return { code: str(e.code), message: e.message, remedy: str(e.remedy) }
  if (r.json && Array.isArray(r.json.steps)) {
    const failed = r.json.steps.map(rec).find((s) => s.ok === false)
    if (failed)
      return {
        code: 'DOCTOR',
        message: `${str(failed.step)}: ${str(failed.detail)}`,
        remedy: str(failed.fix),
      }
  }
  const last = r.stderr.trim().split('\n').pop()
  return { code: 'FAILED', message: last || `exited ${r.exitCode}` }
}

/** Flattened rows of list-like answers, each with its context (`jobs`, `runs`). */
function labelled(results: ContextResult[], key: 'jobs' | 'runs'): Rec[] {
  return results.flatMap((r) =>
    Array.isArray(r.json?.[key])
      ? (r.json[key] as unknown[]).map((x) => ({ context: r.context, ...rec(x) }))
      : [],
  )
}

/** `clawlink <read command> --all-contexts`: every context's answer, partial results, failures named. */
export async function allContexts(path: CommandPath, argv: string[]): Promise<number> {
  if (!ALLOWED.includes(path)) throw usage(`--all-contexts is not for ${path}`, `only: ${ALLOWED.join(', ')}`)
  refuse(argv)
  const json = argv.includes('--json')
  const file = loadContexts(process.env)
  if (file.contexts.length === 0)
    throw usage(`--all-contexts: no contexts in ${file.path}`, 'add one: clawlink context add NAME --url URL')
  if (path === 'cron runs') {
    const limit = Number(parseCommand(argv, path).values.limit ?? 20)
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw new CliError('USAGE', '--limit must be 1 to 200', {
        remedy: 'e.g. --limit 20',
        exitCode: EXIT.USAGE,
      })
  }
  const ask = path === 'doctor' ? runOne : askOne
  const results = await pool(
    file.contexts.map((c) => c.name),
    CONCURRENCY,
    (name) => ask(path, argv, name),
  )
  const failed = results.filter((r) => r.exitCode !== 0)
  const exitCode = (failed[0]?.exitCode ?? EXIT.OK) as ExitCode
  if (json) {
    const doc: Rec = {
      ok: failed.length === 0,
      contexts: results.map((r) => ({
        context: r.context,
        ok: r.exitCode === 0,
        exitCode: r.exitCode,
        ...(r.json ?? {}),
      })),
      failed: failed.map((r) => r.context),
    }
    if (path === 'cron list') doc.jobs = labelled(results, 'jobs')
    if (path === 'cron runs') doc.runs = labelled(results, 'runs')
    process.stdout.write(`${jsonText(doc)}\n`)
  } else {
    const rows = results.filter((r) => r.exitCode === 0 || path === 'doctor').flatMap((r) => rowsOf(path, r))
    if (rows.length > 0) process.stdout.write(`${sanitizeForTerminal(table(HEADS[path] ?? [], rows))}\n`)
  }
  for (const r of failed) {
    const f = failureOf(r)
    process.stderr.write(
      `clawlink: context ${r.context}: ${oneLine(f.message)} (${f.code}, exit ${r.exitCode})\n`,
    )
    if (f.remedy && f.remedy !== '-') process.stderr.write(`  fix: ${oneLine(f.remedy)}\n`)
  }
  if (failed.length > 0)
    process.stderr.write(
      `clawlink: ${failed.length} of ${results.length} contexts failed: ${failed.map((r) => r.context).join(', ')}\n`,
    )
  return exitCode
}
