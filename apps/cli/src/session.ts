import { createRequire } from 'node:module'
import {
  type ApprovalProgress,
  type ClientProgressEvent,
  type Deadline,
  deadlineSignal,
  type GatewayClient,
  strayNote,
} from '@clawlink/client'
import { openGatewayClient, type ResolvedSettings, resolveSettings } from '@clawlink/config'
import { approveCommand, type DeviceSigner } from '@clawlink/protocol'
import { readStdin, settingsFlags } from './args.js'
import {
  noteExplicitUrl,
  noteForAuthFailure,
  noteForUnreachable,
  type Output,
  oneLine,
  sanitizeForTerminal,
} from './output.js'

/** This CLI's version (sent as `client.version`). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version

/** Resolves settings from the parsed flags and the environment. */
export function settingsFrom(values: Record<string, unknown>): Promise<ResolvedSettings> {
  return resolveSettings({
    flags: settingsFlags(values),
    env: process.env,
    readStdinSecret: readStdin,
    useContexts: true,
  })
}

/** What to add to a connection failure's fix, from where the settings came from. */
export function noteSettings(settings: ResolvedSettings): void {
  for (const held of settings.ignoredSecrets) noteForAuthFailure(held.reason)
  if (settings.urlOrigin === 'flag')
    noteExplicitUrl(settings.urlSource === '--url' ? `--url ${settings.url}` : settings.urlSource)
  if (settings.urlSource === 'default' && !settings.openclawConfigFound)
    noteForUnreachable(
      `no gateway URL was given and there is no ${settings.openclawConfigPath}, so this is OpenClaw's default port; ` +
        'if the gateway keeps its config elsewhere set OPENCLAW_CONFIG_PATH (or OPENCLAW_STATE_DIR), else pass --url',
    )
}

/** Everything a connecting command needs. */
export interface Session {
  settings: ResolvedSettings
  signer: DeviceSigner | undefined
  client: GatewayClient
  /** Closes the client (sends the close; does not wait for the echo) and stops the command's deadline. */
  close(): Promise<void>
}

function progressLine(event: ClientProgressEvent): string | undefined {
  switch (event.kind) {
    case 'connecting':
      return `connecting to ${event.url}`
    case 'gateway-starting':
      return `gateway is starting, retrying in ${event.retryAfterMs} ms (attempt ${event.attempt})`
    case 'device-token-cleared':
      return `cleared a stale device token (${event.reason})`
    case 'retrying-auth':
      return `retrying with the ${event.with}`
    case 'credentials-reloaded':
      return `the gateway token changed: read it again from ${event.source ?? 'its source'}`
    case 'connected':
      return `connected: protocol ${event.protocol}, auth ${event.authMethod}`
    case 'approval-granted':
      return `approved: scopes ${event.scopes.join(' ')}`
    default:
      return undefined
  }
}

/**
 * The lines an operator needs when a request is pending: shown even off a terminal (the user must pass the
 * requestId on), never with the id unless it is safe to paste (approveCommand checks its grammar).
 */
export function approvalNotice(event: Extract<ApprovalProgress, { kind: 'approval-pending' }>): string {
  const what = event.reason === 'scope-upgrade' ? 'scope upgrade' : 'pairing'
  const replaced = event.replaces ? ` (request ${event.replaces} expired)` : ''
  const device = event.subject.deviceId ? `${event.subject.deviceId.slice(0, 12)}…` : 'token-only'
  return [
    `${what} request ${event.requestId ?? '(no requestId sent)'} is waiting for approval${replaced}`,
    `  on the gateway host run: ${approveCommand(event.requestId)}`,
    `  the operator sees (openclaw devices list): device ${device}, platform ${event.subject.platform}, client cli, scopes ${event.subject.scopes.join(' ')}`,
  ].join('\n')
}

/**
 * Opens the one gateway session of a command. `deadlineMs` bounds the whole command — connect, retries,
 * paging, waits: when it runs out the client closes and whatever still waits fails with DEADLINE_EXCEEDED.
 * Every command asks the same scope set (CLAWLINK_SCOPES, the client's default): a read-only first command must
 * not pair the device with fewer scopes than `cron run` needs later (docs/protocol.md §5.9).
 */
export async function openSession(
  values: Record<string, unknown>,
  out: Output,
  options: {
    deadlineMs: number
    requestTimeoutMs?: number
    /** Wait for approvals (default: the --wait-approval flag, which also connects before returning). */
    waitApproval?: boolean
    /** Renders approval progress instead of the default lines. */
    onApproval?: (event: ApprovalProgress) => void
    /** Settings the command already resolved: resolving again would read a `--token-stdin` secret twice. */
    settings?: ResolvedSettings
    /** Reconnect after the connection drops (a feed that runs until Ctrl-C). @default false */
    reconnect?: boolean
    /** Authenticate with the cached device token first (a device managing its own token). @default false */
    preferDeviceToken?: boolean
  },
): Promise<Session> {
  const settings = options.settings ?? (await settingsFrom(values))
  noteSettings(settings)
  const flag = values['wait-approval'] === true
  const waitApproval = options.waitApproval ?? flag
  const deadline: Deadline = deadlineSignal(options.deadlineMs, 'clawlink')
  const { client, signer } = await openGatewayClient(settings, {
    version: VERSION,
    signal: deadline.signal,
    requestTimeoutMs: options.requestTimeoutMs ?? options.deadlineMs,
    waitApproval,
    ...(options.reconnect ? { reconnect: true } : {}),
    ...(options.preferDeviceToken ? { preferDeviceToken: true } : {}),
    // Frames are the gateway's text too (a parse error quotes the bad frame): escaped like everything else.
    ...(values.debug
      ? { debugLog: (line: string) => process.stderr.write(`[frame] ${oneLine(line)}\n`) }
      : {}),
    onProgress: (event) => {
      if (event.kind === 'warning') out.warn(event.message)
      else if (event.kind === 'approval-stray') {
        const note = strayNote(event)
        if (note) event.outcome === 'left' ? out.warn(note) : out.progress(note)
      } else if (options.onApproval && event.kind.startsWith('approval-')) {
        options.onApproval(event as ApprovalProgress)
      } else if (event.kind === 'approval-pending') {
        process.stderr.write(`clawlink: ${sanitizeForTerminal(approvalNotice(event))}\n`)
      } else {
        const line = progressLine(event)
        if (line) out.progress(line)
      }
    },
  })
  const session: Session = {
    settings,
    signer,
    client,
    close() {
      deadline.clear()
      // The command ends here and the process right after it (bin.ts exits once stdout has drained). The close frame
      // (1000) goes out at once; waiting for the gateway to echo it would only hold the answer's exit back a round
      // trip, and the library's close bounds that wait itself.
      void client.close()
      return Promise.resolve()
    },
  }
  // The approval wait is bounded by the command's deadline (--timeout), not by one request's timeout.
  if (flag && options.waitApproval === undefined) {
    try {
      await client.connect()
    } catch (error) {
      await session.close()
      throw error
    }
  }
  return session
}
