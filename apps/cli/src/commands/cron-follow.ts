import { resolveJob, watchRuns } from '@clawlink/client'
import { onCtrlC } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, useJsonLines } from '../output.js'
import { feedJson, feedLine } from '../run-feed.js'
import { openSession } from '../session.js'

/** Longest a feed runs (the timer's own limit, about 24 days): until Ctrl-C, in practice. */
const FEED_MS = 2_147_483_647

/**
 * `clawlink cron runs --follow [job]`: a line per run that starts or finishes (human or `--json` lines) until
 * Ctrl-C, which ends it with exit 0 (docs/errors.md); across a dropped connection it reconnects and says so.
 */
export async function followRuns(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length > 1)
    throw new CliError('USAGE', `expected at most one job, got ${positionals.length}`, {
      remedy: 'usage: clawlink cron runs --follow [job]',
      exitCode: EXIT.USAGE,
    })
  if (values.limit !== undefined)
    throw new CliError('USAGE', '--limit is for the run history, not --follow', {
      remedy: 'drop --limit',
      exitCode: EXIT.USAGE,
    })
  const json = values.json === true
  if (json) useJsonLines()
  const out = createOutput(json)
  const session = await openSession(values, out, {
    deadlineMs: FEED_MS,
    requestTimeoutMs: 30_000,
    reconnect: true,
  })
  const interrupt = onCtrlC()
  try {
    // Connect (and resolve the job) first: a wrong URL, token or job name fails now, with its exit code.
    await session.client.connect({ signal: interrupt.signal })
    const job = positionals[0]
      ? await resolveJob(session.client, positionals[0], { signal: interrupt.signal })
      : undefined
    out.progress(`following runs of ${job ? (job.name ?? job.id) : 'every job'}; Ctrl-C to stop`)
    await watchRuns(session.client, {
      ...(job ? { jobId: job.id } : {}),
      signal: interrupt.signal,
      onEvent: (record) => {
        const now = Date.now()
        if (json) {
          process.stdout.write(`${feedJson(record, now)}\n`)
          return
        }
        const line = feedLine(record, now, Math.max(40, process.stdout.columns || 160))
        ;(line.stream === 'stdout' ? process.stdout : process.stderr).write(`${line.text}\n`)
      },
    })
    return EXIT.OK
  } catch (error) {
    // Ctrl-C while connecting or resolving ends the feed like Ctrl-C later: nothing was running for it.
    if (interrupt.signal.aborted) return EXIT.OK
    throw error
  } finally {
    interrupt.dispose()
    await session.close()
  }
}
