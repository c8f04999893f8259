import type { RunProgress } from '@clawlink/client'
import { escapeControlChars } from '@clawlink/client'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js'

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

// The steps of a waited run, in order; `total` lets a client draw a bar.
const STEP: Partial<Record<RunProgress['kind'], number>> = { resolved: 1, enqueued: 2, started: 3 }
const TOTAL = 4

/** One line for a run step, as the user reads it in the client. */
function describe(event: RunProgress): string | undefined {
  const name = 'job' in event ? (event.job.name ?? event.job.id) : undefined
  switch (event.kind) {
    case 'resolved':
      return `resolved ${name}`
    case 'enqueued':
      return `run ${event.runId ?? ''} of ${name} enqueued`.replace('  ', ' ')
    case 'started':
      return `run of ${name} started`
    case 'connection-lost':
      return 'gateway connection lost; reconnecting to follow the run'
    default:
      return undefined
  }
}

/**
 * Sends `notifications/progress` for the caller's progressToken (when it gave one): at least when the run is
 * enqueued and when it ends, and when the gateway says it started. Returns the reporter and a `done` for the end.
 */
export function progressNotifier(extra: Extra): {
  report: (event: RunProgress) => void
  done: (message: string) => void
} {
  const token = extra._meta?.progressToken
  let last = 0
  const send = (progress: number, message: string): void => {
    if (token === undefined || progress <= last) return
    last = progress
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress,
          total: TOTAL,
          message: escapeControlChars(message, { singleLine: true }),
        },
      })
      .catch(() => undefined) // a client that went away must not fail the run
  }
  return {
    report(event) {
      const step = STEP[event.kind]
      const message = describe(event)
      if (step !== undefined && message) void send(step, message)
    },
    // Awaited before the result is returned: a progress notification after the response is dropped by clients.
    done(message) {
      return send(TOTAL, message)
    },
  }
}
