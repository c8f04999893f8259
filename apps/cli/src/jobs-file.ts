import { Cron } from 'croner'
import { type CronTarget, checkCronJobFields, type DeclaredJob, type FieldProblem } from '@clawlink/protocol'
import { CliError, EXIT } from './exit-codes.js'
import { type DataFile, readDataFile, refuseProblems } from './job-file.js'

/** A file of jobs (`jobs:` list), read and checked before anything is written. */
export interface JobsFile extends DataFile {
  jobs: DeclaredJob[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Reads FILE's `jobs:` list (JSON5 or YAML); syntax and shape errors exit 3 with file:line:col. */
export function readJobsFile(path: string): JobsFile {
  const file = readDataFile(path)
  const jobs = isObject(file.value) ? file.value.jobs : undefined
  if (!Array.isArray(jobs))
    throw new CliError('JOB_FILE_INVALID', `${path}: a jobs file holds a "jobs:" list`, {
      remedy: 'write `jobs:` followed by one entry per job (`clawlink cron export` writes one)',
      exitCode: EXIT.CONFIG,
    })
  const extra = Object.keys(file.value as object).filter((k) => k !== 'jobs')
  refuseProblems(
    file,
    extra.map((k) => ({
      path: [k],
      message: `unknown top-level field "${k}" (a jobs file holds only jobs:)`,
    })),
  )
  return { ...file, jobs: jobs as DeclaredJob[] }
}

/** A cron expression croner can read, and a time zone Intl knows: else why not. */
function scheduleProblems(job: DeclaredJob, i: number): FieldProblem[] {
  const s = job.schedule
  if (!isObject(s) || s.kind !== 'cron') return []
  const out: FieldProblem[] = []
  if (typeof s.tz === 'string') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: s.tz })
    } catch {
      out.push({
        path: ['jobs', i, 'schedule', 'tz'],
        message: `unknown time zone "${s.tz}" (use an IANA name such as Europe/Berlin)`,
      })
    }
  }
  if (typeof s.expr !== 'string') return out
  try {
    new Cron(s.expr, { paused: true })
  } catch (error) {
    out.push({
      path: ['jobs', i, 'schedule', 'expr'],
      message: `bad cron expression "${s.expr}": ${(error as Error).message}`,
    })
  }
  return out
}

/**
 * Every problem of the file's jobs on this gateway, before anything is written: a job that is not an object or
 * has no name, a field this version does not know, a bad cron expression or time zone, a name twice.
 * @throws CliError JOB_FILE_INVALID (exit 3) listing each as file:line:col
 */
export function checkJobsFile(file: JobsFile, target: CronTarget): void {
  const problems: FieldProblem[] = []
  const seen = new Map<string, number>()
  file.jobs.forEach((job, i) => {
    const at = (p: FieldProblem) => ({ ...p, path: ['jobs', i, ...p.path] })
    if (!isObject(job) || typeof job.name !== 'string' || job.name.trim() === '') {
      problems.push({ path: ['jobs', i, 'name'], message: `job ${i + 1} needs a name` })
      return
    }
    problems.push(...checkCronJobFields(job, target, 'add').map(at), ...scheduleProblems(job, i))
    const ids: [string, string][] = [['name', `name "${job.name}"`]]
    if (typeof job.declarationKey === 'string')
      ids.push(['declarationKey', `declarationKey "${job.declarationKey}"`])
    for (const [field, id] of ids) {
      const first = seen.get(id)
      if (first === undefined) seen.set(id, i)
      else
        problems.push({
          path: ['jobs', i, field],
          message: `${id} is also job ${first + 1}'s: each job once`,
        })
    }
  })
  refuseProblems(file, problems)
}
