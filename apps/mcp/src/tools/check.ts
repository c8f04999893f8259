import { checkMissedFires } from '@clawlink/client'
import type { McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { TOOL_ICONS } from './icons.js'
import { guarded, iso } from '../present.js'
import { bounded, connectTo, READ_ONLY, type ReadToolDeps } from './read.js'

const HOUR_MS = 3_600_000
/** Missed fire times listed per job (the count is always whole). */
const MAX_LISTED = 20

/** Registers `check_cron_jobs`: fires the schedules implied that never ran, as `clawlink cron check` reports them. */
export function registerCheckTool(server: McpServer, deps: ReadToolDeps): void {
  server.registerTool(
    'check_cron_jobs',
    {
      title: 'Check OpenClaw cron jobs for missed fires',
      icons: TOOL_ICONS,
      description:
        "For every enabled job (or the named ones), the fire times its schedule implied in the window (cron expression with time zone and stagger, every, at) against its run history: missed and late fires, each job's last run, and jobs whose schedule could not be evaluated (with why). Read-only; it runs nothing.",
      inputSchema: {
        jobs: z
          .array(z.string().min(1).max(512))
          .max(100)
          .optional()
          .describe('job ids or exact names (default: every enabled job)'),
        sinceHours: z
          .number()
          .positive()
          .max(24 * 90)
          .optional()
          .describe('the window, in hours back from now (default 24)'),
        ...deps.gateways.inputShape(),
      },
      outputSchema: {
        since: z.string().nullable(),
        checkedFrom: z.string().nullable().describe('later than since when the run history read fell short'),
        missed: z.number(),
        late: z.number(),
        unchecked: z.number(),
        jobs: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            schedule: z.string(),
            missed: z.number(),
            late: z.number(),
            missedAt: z.array(z.string().nullable()).describe(`the first ${MAX_LISTED} missed fire times`),
            lastRunAt: z.string().nullable(),
            error: z.string().nullable().describe('why the schedule was not checked'),
          }),
        ),
      },
      annotations: READ_ONLY,
    },
    ({ jobs, sinceHours, gateway }, extra) =>
      guarded(() =>
        bounded(deps, 'check_cron_jobs', extra.mcpReq.signal, async (signal) => {
          const client = await connectTo(deps, gateway, signal)
          const report = await checkMissedFires(client, {
            ...(jobs && jobs.length > 0 ? { jobs } : {}),
            sinceMs: client.gatewayNow() - (sinceHours ?? 24) * HOUR_MS,
            signal,
          })
          return {
            since: iso(report.sinceMs),
            checkedFrom: iso(report.checkedFromMs),
            missed: report.missed,
            late: report.late,
            unchecked: report.unchecked,
            jobs: report.jobs.map((j) => ({
              id: j.id,
              name: j.name,
              schedule: j.schedule,
              missed: j.missed,
              late: j.late,
              missedAt: j.fires
                .filter((f) => f.status === 'missed')
                .slice(0, MAX_LISTED)
                .map((f) => iso(f.expectedAtMs)),
              lastRunAt: iso(j.lastRunAtMs),
              error: j.error ?? null,
            })),
          }
        }),
      ),
  )
}
