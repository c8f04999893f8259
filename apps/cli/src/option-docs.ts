// The help line of every flag, kept apart from the command specs (spec.ts) they document.
import { type AnySignerDeclaration, builtinSigners, signerKinds } from '@clawlink/config'
import { CONTEXT_DOCS } from './context-spec.js'

/** How a flag is shown in help and completed by the shell; `group` decides the help section. */
export interface OptionDoc {
  readonly group: 'command' | 'connection' | 'identity' | 'output'
  readonly arg?: string
  readonly text: string
  /** The values the shell completes (e.g. the signer kinds). */
  readonly values?: readonly string[]
  /** The value is a path: the shell completes file names. */
  readonly file?: boolean
}

/**
 * Help and completion of the signers' own flags, from their declarations (@clawlink/config's built-ins list):
 * `<kind> signer: …` for each option, `device init with --signer <kind>: …` for each init action.
 */
export function signerOptionDocs(
  list: readonly AnySignerDeclaration[] = builtinSigners,
): Record<string, OptionDoc> {
  const docs: Record<string, OptionDoc> = {}
  for (const d of list) {
    for (const o of d.options) {
      const complete = o.complete ?? 'none'
      docs[o.flag] = {
        group: 'identity',
        arg: o.arg,
        text: `${d.kind} signer: ${o.help}`,
        ...(complete === 'file' ? { file: true } : {}),
        ...(typeof complete === 'object' ? { values: complete } : {}),
      }
    }
  }
  for (const d of list)
    for (const a of d.initActions ?? [])
      docs[a.flag] = { group: 'identity', text: `device init with --signer ${d.kind}: ${a.help}` }
  return docs
}

const SIGNERS = signerKinds()

/** Help line of every flag in {@link COMMAND_OPTIONS}; a test checks none is missing. */
export const OPTION_DOCS: Record<string, OptionDoc> = {
  'run-missed': {
    group: 'command',
    text: 'cron check: run each job with a missed fire once (mode if-enabled on 9.x, else due)',
  },
  due: {
    group: 'command',
    text: 'run only if it is due (mode "due"; not due: "not run", exit 0, for crontabs); else "force" (the default)',
  },
  wait: {
    group: 'command',
    text: 'cron run: follow the run to its end (exit 10 if it failed); device pair: wait for the approval',
  },
  follow: {
    group: 'command',
    text: "cron run: show the run live (implies --wait): the agent's text on stdout, tools and retries on stderr; cron runs: a live feed of runs until Ctrl-C",
  },
  timeout: {
    group: 'command',
    arg: 'DUR',
    text: 'how long the command may take (a bare number is seconds), e.g. 30s, 5m, 1h; default 30s, 10m for waits',
  },
  all: { group: 'command', text: 'include disabled jobs' },
  limit: { group: 'command', arg: 'N', text: 'how many runs to show, 1 to 200 (default 20)' },
  yes: { group: 'command', text: 'cron rm / apply: go on without asking (required off a terminal)' },
  'dry-run': { group: 'command', text: 'cron apply: print the plan, change nothing' },
  prune: {
    group: 'command',
    text: "cron apply: delete the gateway's jobs the file does not name (never its own)",
  },
  scope: {
    group: 'command',
    arg: 'PREFIX',
    text: 'cron apply: manage only gateway jobs whose name starts with PREFIX',
  },
  output: { group: 'command', arg: 'FILE', file: true, text: 'cron export: write to FILE instead of stdout' },
  crontab: { group: 'command', text: 'cron export: crontab lines that run `clawlink cron run <id> --due`' },
  systemd: { group: 'command', text: 'cron export: a .service and .timer per job' },
  file: {
    group: 'command',
    arg: 'FILE',
    file: true,
    text: 'cron add/edit/apply: the job (add), the fields to change (edit) or a jobs: list (apply), JSON5 or YAML',
  },
  params: { group: 'command', arg: 'JSON|@FILE', text: 'the method params as JSON, or @file.json' },
  since: {
    group: 'command',
    arg: 'DUR',
    text: 'audit: only calls newer than this, e.g. 30m, 24h, 7d (default: all); cron check: the window (default 24h)',
  },
  'audit-log': {
    group: 'command',
    arg: 'FILE',
    file: true,
    text: "read this log (clawlink-mcp --audit-log FILE) instead of the profile's audit.jsonl",
  },
  url: {
    group: 'connection',
    arg: 'URL',
    text: 'gateway URL (else OPENCLAW_GATEWAY_URL, gateway.remote.url, ws://127.0.0.1:<gateway.port|18789>)',
  },
  'token-file': {
    group: 'connection',
    arg: 'FILE',
    file: true,
    text: 'shared gateway token from a file (else OPENCLAW_GATEWAY_TOKEN, gateway.auth.token)',
  },
  'token-stdin': { group: 'connection', text: 'read the token from stdin' },
  'password-file': {
    group: 'connection',
    arg: 'FILE',
    file: true,
    text: 'gateway password from a file (else OPENCLAW_GATEWAY_PASSWORD, gateway.auth.password)',
  },
  'password-stdin': { group: 'connection', text: 'read the password from stdin' },
  'tls-fingerprint': {
    group: 'connection',
    arg: 'SHA256',
    text: 'pin the wss:// certificate (repeatable: old and new during a rotation)',
  },
  'wait-approval': {
    group: 'connection',
    text: 'if the gateway asks an operator to approve this device or its scopes, wait for it (within --timeout)',
  },
  'allow-insecure-ws': {
    group: 'connection',
    text: 'allow ws:// to a public host (the token would travel in clear)',
  },
  profile: {
    group: 'identity',
    arg: 'NAME',
    text: 'clawlink profile (device key + tokens; default "default", shared with clawlink-mcp)',
  },
  'profile-dir': { group: 'identity', arg: 'DIR', file: true, text: 'keep the profile in this directory' },
  signer: {
    group: 'identity',
    arg: 'KIND',
    values: SIGNERS,
    text: `${SIGNERS.join(' | ')} | ./module.mjs | package (default: the profile's, else file)`,
  },
  ...signerOptionDocs(),
  'signer-option': {
    group: 'identity',
    arg: 'K=V',
    text: 'plug-in signer option (repeatable), passed to createSigner(options)',
  },
  ...CONTEXT_DOCS,
  json: { group: 'output', text: 'print one JSON document on stdout (errors included)' },
  debug: { group: 'output', text: 'log frames (secrets redacted) and stack traces on stderr' },
  help: { group: 'output', text: 'show this help' },
}
