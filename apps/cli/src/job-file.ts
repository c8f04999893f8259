import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { FieldProblem } from '@clawlink/protocol'
import { CliError, EXIT } from './exit-codes.js'

/** One job read from a JSON5 or YAML file, with what it takes to point at a field (file:line:col). */
export interface JobFile {
  path: string
  job: Record<string, unknown>
  /** `line:col` of the field at `path`, when the file shows where it is. */
  where(path: (string | number)[]): string | undefined
}

function invalid(message: string, remedy: string): never {
  throw new CliError('JOB_FILE_INVALID', message, { remedy: remedy, exitCode: EXIT.CONFIG })
}

const isYaml = (path: string, text: string) =>
  /\.ya?ml$/i.test(path) ||
  (!/\.json5?$/i.test(path) && !/^\s*[{[]/.test(text.replace(/^\s*(\/\/.*|#.*)$/gm, '')))

/** A JSON5 or YAML file's value, with what it takes to point at a field (file:line:col). */
export interface DataFile {
  path: string
  value: unknown
  where(path: (string | number)[]): string | undefined
}

/** Reads one job from FILE (JSON5, or YAML for .yaml/.yml and text not starting with `{`). @throws CliError exit 3 */
export function readJobFile(path: string): JobFile {
  const { value: job, where } = readDataFile(path)
  if (typeof job !== 'object' || job === null || Array.isArray(job))
    invalid(`${path}: a job file holds one job, an object of fields`, 'e.g. name: nightly, schedule: {…}')
  return { path, job: job as Record<string, unknown>, where }
}

/** Reads FILE as JSON5, or YAML for .yaml/.yml and text not starting with `{`/`[`. @throws CliError exit 3 */
export function readDataFile(path: string): DataFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    invalid(`cannot read job file ${path}: ${(error as Error).message}`, 'pass an existing file with -f FILE')
  }
  return isYaml(path, text) ? fromYaml(path, text) : fromJson5(path, text)
}

// Loaded only when a job file is read, outside the bundle (bundle.mjs): no start-up cost for other commands.
const load = <T>(name: string): T => createRequire(import.meta.url)(name) as T
type Yaml = typeof import('yaml')

function fromJson5(path: string, text: string): DataFile {
  const JSON5 = load<{ parse(text: string): unknown }>('json5')
  try {
    const value = JSON5.parse(text)
    return { path, value, where: (fieldPath) => keyPosition(text, fieldPath) }
  } catch (error) {
    const e = error as Error & { lineNumber?: number; columnNumber?: number }
    const at = e.lineNumber ? `:${e.lineNumber}:${e.columnNumber ?? 1}` : ''
    const why = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')
    invalid(`${path}${at}: ${why}`, 'fix the JSON5 syntax there (or write the job as YAML in a .yaml file)')
  }
}

/** Where a key path appears in JSON5 text: each key searched after the previous one (`"key":`, `'key':`, `key:`). */
function keyPosition(text: string, fieldPath: (string | number)[]): string | undefined {
  let from = 0
  let found = -1
  let skip = 0
  for (const key of fieldPath) {
    // An index into a list of like objects: the key after it is looked for past as many earlier ones.
    if (typeof key !== 'string') {
      skip = key
      continue
    }
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const re = new RegExp(`(["']?)${escaped}\\1\\s*:`, 'g')
    re.lastIndex = from
    let m = re.exec(text)
    for (; m && skip > 0; skip--) m = re.exec(text)
    if (!m) return undefined
    found = m.index
    from = m.index + m[0].length
  }
  return found < 0 ? undefined : lineCol(text, found)
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n')
  return `${before.length}:${before[before.length - 1]!.length + 1}`
}

function fromYaml(path: string, text: string): DataFile {
  const { isMap, LineCounter, parseDocument } = load<Yaml>('yaml')
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  const problem = doc.errors[0]
  if (problem) {
    const pos = problem.linePos?.[0]
    const at = pos ? `:${pos.line}:${pos.col}` : ''
    const why = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    invalid(`${path}${at}: ${why}`, 'fix the YAML syntax there')
  }
  const where = (fieldPath: (string | number)[]): string | undefined => {
    const parent = fieldPath.length > 1 ? doc.getIn(fieldPath.slice(0, -1), true) : doc.contents
    if (!isMap(parent)) return undefined
    const last = fieldPath[fieldPath.length - 1]
    const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last)
    const offset = (pair?.key as { range?: [number, number, number] } | null)?.range?.[0]
    if (offset === undefined) return undefined
    const { line, col } = lineCounter.linePos(offset)
    return `${line}:${col}`
  }
  return { path, value: doc.toJS(), where }
}

/** Refuses a job whose fields the gateway does not know: every problem as `file:line:col: message`, exit 3. */
export function refuseProblems(file: Pick<DataFile, 'path' | 'where'>, problems: FieldProblem[]): void {
  if (problems.length === 0) return
  const lines = problems.map((p) => {
    const at = p.path.length > 0 ? file.where(p.path) : undefined
    return `${file.path}${at ? `:${at}` : ''}: ${p.message}`
  })
  invalid(
    lines.join('\n'),
    'remove or rename the field (`clawlink cron show <job> --json` shows the fields this gateway uses); nothing was written',
  )
}
