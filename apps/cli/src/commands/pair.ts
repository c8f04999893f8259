import { type ApprovalProgress, isApprovalError } from '@clawlink/client'
import { approveCommand, CLAWLINK_SCOPES, type GatewayError } from '@clawlink/protocol'
import { commandTimeout, onCtrlC, parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, jsonText, type Output, sanitizeForTerminal } from '../output.js'
import { approvalNotice, openSession } from '../session.js'

/**
 * Where the wait is shown: on a terminal one status line rewritten in place; otherwise plain lines, one per
 * request (a log must not fill with a line per retry). The notice with the approve command is always printed.
 */
function approvalView(out: Output) {
  const tty = process.stderr.isTTY === true && !out.json
  let open = false
  let requestId: string | undefined
  const line = (text: string): void => {
    if (!tty) return
    process.stderr.write(`\r\u001b[2K… ${sanitizeForTerminal(text)}`)
    open = true
  }
  const end = (): void => {
    if (open) process.stderr.write('\n')
    open = false
  }
  return {
    onApproval(event: ApprovalProgress): void {
      if (event.kind === 'approval-pending') {
        requestId = event.requestId ?? requestId
        end()
        process.stderr.write(`${sanitizeForTerminal(approvalNotice(event))}\n`)
      } else if (event.kind === 'approval-retry') {
        const id = event.requestId ? ` of ${event.requestId}` : ''
        line(
          `waiting for approval${id}: ${Math.round(event.waitedMs / 1000)} s, next try in ${(event.inMs / 1000).toFixed(1)} s`,
        )
      }
    },
    end,
    get requestId(): string | undefined {
      return requestId
    },
  }
}

/** What `device pair` without --wait prints when approval is needed, then exit 7. */
function notPaired(out: Output, error: GatewayError, deviceId: string | undefined): number {
  const scopes = [...CLAWLINK_SCOPES]
  const data = {
    ok: false,
    paired: false,
    error: { code: error.code, message: error.message, remedy: error.remedy },
    requestId: error.requestId ?? null,
    approveCommand: approveCommand(error.requestId),
    device: { deviceId: deviceId ?? null, platform: process.platform, client: 'cli', scopes },
  }
  if (out.json) process.stdout.write(`${jsonText(data)}\n`)
  else {
    const notice = approvalNotice({
      kind: 'approval-pending',
      requestId: error.requestId,
      reason: error.code === 'SCOPE_UPGRADE_PENDING' ? 'scope-upgrade' : 'pairing',
      via: 'connect',
      subject: { deviceId, platform: process.platform, scopes },
    })
    process.stderr.write(
      `${sanitizeForTerminal(`${notice}\nthen run this again, or run it with --wait to finish by itself (requests expire after 5 minutes)`)}\n`,
    )
  }
  return EXIT.PAIRING_REQUIRED
}

export async function devicePair(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'device pair')
  const out = createOutput(values.json === true)
  const wait = values.wait === true || values['wait-approval'] === true
  const timeoutMs = commandTimeout(values.timeout, wait)
  const view = approvalView(out)
  const session = await openSession(values, out, {
    deadlineMs: timeoutMs,
    waitApproval: wait,
    onApproval: view.onApproval,
  })
  const interrupt = onCtrlC()
  const started = Date.now()
  try {
    const hello = await session.client.connect({ signal: interrupt.signal })
    view.end()
    const scopes = hello.auth?.scopes.length ? hello.auth.scopes : session.client.scopes
    const deviceId = session.client.deviceId
    out.result(
      `paired: device ${deviceId ? `${deviceId.slice(0, 12)}…` : '(token-only)'} holds ${scopes.join(' ')} on ${session.settings.url}`,
      {
        ok: true,
        paired: true,
        deviceId: deviceId ?? null,
        scopes,
        url: session.settings.url,
        waitedMs: Date.now() - started,
      },
    )
    return EXIT.OK
  } catch (error) {
    view.end()
    if (!wait && isApprovalError(error)) return notPaired(out, error, session.client.deviceId)
    if (interrupt.signal.aborted) {
      const lastId = view.requestId
      throw new CliError(
        'INTERRUPTED',
        'interrupted: the request stays pending on the gateway until approved or 5 minutes pass',
        {
          remedy: `run "clawlink device pair --wait" again; the operator can still approve it${lastId ? ` (${approveCommand(lastId)})` : ''}`,
          exitCode: EXIT.INTERRUPTED,
        },
      )
    }
    throw error
  } finally {
    interrupt.dispose()
    await session.close()
  }
}
