import type { ParseArgsConfig } from 'node:util'
import { SETTINGS_OPTIONS, signerInitOptions } from '@clawlink/config'
import { CONTEXT_OPTIONS } from './context-spec.js'

// The flags of every command: the first half of the command table (spec.ts has the commands themselves).

type Options = NonNullable<ParseArgsConfig['options']>

/** Flags every connecting command takes: where the gateway is, how to authenticate, which key signs. */
export const CONNECTION_OPTIONS = {
  ...SETTINGS_OPTIONS,
  context: { type: 'string' },
  'token-stdin': { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  'wait-approval': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

const HELP_ONLY = { help: { type: 'boolean', short: 'h' } } as const satisfies Options

/** Read commands that can ask every context at once (apps/cli/src/commands/all-contexts.ts). */
const ALL_CONTEXTS = { 'all-contexts': { type: 'boolean' } } as const satisfies Options

/** parseArgs options of each command (its own flags plus the shared ones). */
export const COMMAND_OPTIONS = {
  'cron run': {
    ...CONNECTION_OPTIONS,
    due: { type: 'boolean' },
    wait: { type: 'boolean' },
    follow: { type: 'boolean', short: 'f' },
    timeout: { type: 'string' },
  },
  'cron list': { ...CONNECTION_OPTIONS, ...ALL_CONTEXTS, all: { type: 'boolean' } },
  'cron status': { ...CONNECTION_OPTIONS, ...ALL_CONTEXTS },
  'cron runs': {
    ...CONNECTION_OPTIONS,
    ...ALL_CONTEXTS,
    limit: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
  },
  'cron show': CONNECTION_OPTIONS,
  'cron enable': CONNECTION_OPTIONS,
  'cron disable': CONNECTION_OPTIONS,
  'cron rm': { ...CONNECTION_OPTIONS, yes: { type: 'boolean', short: 'y' } },
  'cron add': { ...CONNECTION_OPTIONS, file: { type: 'string', short: 'f' } },
  'cron edit': { ...CONNECTION_OPTIONS, file: { type: 'string', short: 'f' } },
  'cron export': {
    ...CONNECTION_OPTIONS,
    output: { type: 'string', short: 'o' },
    crontab: { type: 'boolean' },
    systemd: { type: 'boolean' },
  },
  'cron apply': {
    ...CONNECTION_OPTIONS,
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
    prune: { type: 'boolean' },
    scope: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
  },
  'cron check': { ...CONNECTION_OPTIONS, since: { type: 'string' }, 'run-missed': { type: 'boolean' } },
  'device show': CONNECTION_OPTIONS,
  // The signers' init actions (--pkcs11-generate) are not settings: they are never stored in the profile.
  'device init': { ...CONNECTION_OPTIONS, ...signerInitOptions() },
  'device pair': { ...CONNECTION_OPTIONS, wait: { type: 'boolean' }, timeout: { type: 'string' } },
  'device rotate': { ...CONNECTION_OPTIONS, timeout: { type: 'string' } },
  'device revoke': { ...CONNECTION_OPTIONS, timeout: { type: 'string' } },
  doctor: { ...CONNECTION_OPTIONS, ...ALL_CONTEXTS },
  ...CONTEXT_OPTIONS,
  call: { ...CONNECTION_OPTIONS, params: { type: 'string' }, timeout: { type: 'string' } },
  audit: {
    since: { type: 'string' },
    'audit-log': { type: 'string' },
    profile: SETTINGS_OPTIONS.profile,
    'profile-dir': SETTINGS_OPTIONS['profile-dir'],
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  'audit verify': {
    'audit-log': { type: 'string' },
    profile: SETTINGS_OPTIONS.profile,
    'profile-dir': SETTINGS_OPTIONS['profile-dir'],
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  help: HELP_ONLY,
  completion: HELP_ONLY,
} as const satisfies Record<string, Options>

/** A command path such as `cron run`. */
export type CommandPath = keyof typeof COMMAND_OPTIONS

/** Flags accepted before any command word (`clawlink --version`, `clawlink -h`). */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies Options
