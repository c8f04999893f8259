import type { CronJob } from '@clawlink/protocol'

/** A job's entry for the host's scheduler, or why its schedule cannot be expressed there. */
export type HostEntry = { ok: true; text: string } | { ok: false; why: string }

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const runCommand = (job: CronJob) => `clawlink cron run ${job.id} --due`
const comment = (s: string) => s.replace(/[\r\n]+/g, ' ')

/** A crontab line (with CRON_TZ when the job has a time zone) for a 5-field cron schedule; nothing else fits. */
export function crontabEntry(job: CronJob): HostEntry {
  const s = isObject(job.schedule) ? job.schedule : {}
  if (s.kind !== 'cron' || typeof s.expr !== 'string')
    return { ok: false, why: `a crontab line cannot express a "${String(s.kind)}" schedule (try --systemd)` }
  const fields = s.expr.trim().split(/\s+/)
  if (fields.length !== 5)
    return { ok: false, why: `"${s.expr}" has ${fields.length} fields; crontab takes 5` }
  const lines = [`# ${comment(job.name)}${job.enabled ? '' : ' (disabled on the gateway: commented out)'}`]
  if (typeof s.staggerMs === 'number' && s.staggerMs > 0)
    lines.push(`# the gateway staggers this job by up to ${s.staggerMs} ms; crontab fires on the minute`)
  // CRON_TZ applies to the lines after it (cronie; other crons ignore it and use the host's zone).
  if (typeof s.tz === 'string') lines.push(`CRON_TZ=${s.tz}`)
  lines.push(`${job.enabled ? '' : '# '}${fields.join(' ')} ${runCommand(job)}`)
  if (typeof s.tz === 'string') lines.push('CRON_TZ=')
  return { ok: true, text: lines.join('\n') }
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** One cron field as a systemd calendar component, or undefined when it does not translate one to one. */
function calendarPart(field: string, dow = false): string | undefined {
  if (field === '*') return '*'
  const step = /^(\*|\d+)\/(\d+)$/.exec(field)
  if (step) return dow ? undefined : `${step[1] === '*' ? '0' : step[1]}/${step[2]}`
  const parts = field.split(',')
  const out: string[] = []
  for (const p of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p)
    if (!m) return undefined
    const [a, b] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2])]
    if (dow && (a > 7 || (b ?? 0) > 7)) return undefined
    const show = (n: number) => (dow ? DOW[n]! : String(n))
    out.push(b === undefined ? show(a) : `${show(a)}..${show(b)}`)
  }
  return out.join(',')
}

/** A cron expression as systemd OnCalendar=, or why not. */
function onCalendar(expr: string, tz: string | undefined): HostEntry {
  const f = expr.trim().split(/\s+/)
  if (f.length !== 5)
    return { ok: false, why: `"${expr}" has ${f.length} fields; only 5-field expressions translate` }
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string]
  if (dom !== '*' && dow !== '*')
    return {
      ok: false,
      why: `"${expr}" restricts both day of month and weekday (cron: either; systemd: both)`,
    }
  const parts = [
    calendarPart(min),
    calendarPart(hour),
    calendarPart(dom),
    calendarPart(mon),
    calendarPart(dow, true),
  ]
  if (parts.some((p) => p === undefined))
    return {
      ok: false,
      why: `"${expr}" uses a form systemd calendars do not share (names, L, W, #, stepped ranges)`,
    }
  const [m, h, d, mo, w] = parts as string[]
  const day = w === '*' ? '' : `${w} `
  return { ok: true, text: `OnCalendar=${day}*-${mo}-${d} ${h}:${m}:00${tz ? ` ${tz}` : ''}` }
}

/** The [Timer] lines for a job's schedule, or why it cannot be expressed. */
function timerLines(s: Record<string, unknown>): HostEntry {
  if (s.kind === 'cron' && typeof s.expr === 'string')
    return onCalendar(s.expr, typeof s.tz === 'string' ? s.tz : undefined)
  if (s.kind === 'every' && typeof s.everyMs === 'number' && s.everyMs >= 1000) {
    const sec = Math.round(s.everyMs / 1000)
    return { ok: true, text: `OnActiveSec=${sec}s\nOnUnitActiveSec=${sec}s` }
  }
  if (s.kind === 'at' && typeof s.at === 'string' && !Number.isNaN(Date.parse(s.at))) {
    const iso = new Date(s.at)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '')
    return { ok: true, text: `OnCalendar=${iso} UTC` }
  }
  return { ok: false, why: `a systemd timer cannot express a "${String(s.kind)}" schedule` }
}

const unitName = (job: CronJob) =>
  `clawlink-${
    (job.name || job.id)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || job.id
  }`

/** A .service and a .timer for the job, or why its schedule cannot be expressed as a timer. */
export function systemdEntry(job: CronJob): HostEntry {
  const timer = timerLines(isObject(job.schedule) ? job.schedule : {})
  if (!timer.ok) return timer
  const unit = unitName(job)
  const note = job.enabled
    ? ''
    : '\n# disabled on the gateway: do not enable this timer until it is enabled there'
  const s = isObject(job.schedule) ? job.schedule : {}
  const anchor =
    s.kind === 'every' && typeof s.anchorMs === 'number'
      ? '\n# the gateway anchors this interval to a start time; the timer counts from when it is started'
      : ''
  return {
    ok: true,
    text: [
      `# ${unit}.service — ${comment(job.name)}${note}`,
      '[Unit]',
      `Description=clawlink: run cron job ${comment(job.name)} when due`,
      '[Service]',
      'Type=oneshot',
      `ExecStart=${runCommand(job)}`,
      '',
      `# ${unit}.timer${anchor}`,
      '[Unit]',
      `Description=clawlink: schedule of ${comment(job.name)}`,
      '[Timer]',
      timer.text,
      'Persistent=true',
      '[Install]',
      'WantedBy=timers.target',
    ].join('\n'),
  }
}
