import type { ParseArgsConfig } from 'node:util'
import { SETTINGS_OPTIONS } from '@clawlink/config'

// The `context` commands and the `--context`/`--all-contexts` flags, kept out of spec.ts so its edits stay small.
type Options = NonNullable<ParseArgsConfig['options']>

const OUTPUT = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const satisfies Options

/** parseArgs options of the `context` commands. */
export const CONTEXT_OPTIONS = {
  'context add': {
    url: SETTINGS_OPTIONS.url,
    'tls-fingerprint': SETTINGS_OPTIONS['tls-fingerprint'],
    'token-file': SETTINGS_OPTIONS['token-file'],
    profile: SETTINGS_OPTIONS.profile,
    ...OUTPUT,
  },
  'context list': OUTPUT,
  'context show': OUTPUT,
  'context use': OUTPUT,
  'context rm': OUTPUT,
} as const satisfies Record<string, Options>

/** Help lines of the flags above that spec.ts does not already document. */
// Typed where spec.ts takes them in (OPTION_DOCS, COMMANDS), so this file needs nothing from spec.ts.
export const CONTEXT_DOCS = {
  context: {
    group: 'connection',
    arg: 'NAME',
    text: 'use this context (clawlink context add): its URL, pin, token file and profile; else CLAWLINK_CONTEXT, else the current one',
  },
  'all-contexts': {
    group: 'command',
    text: 'ask every context (4 at a time); rows labelled with the context; exit non-zero naming those that failed',
  },
} as const

/** The `context` commands, in help order. */
export const CONTEXT_COMMANDS = [
  {
    path: 'context add',
    args: [{ name: 'name', required: true }],
    summary: 'name a gateway: its URL, TLS pin, token file and profile',
    description:
      'Adds a context to the contexts file (<clawlink config dir>/contexts.conf). Stores paths, never a secret:\n' +
      "the token file is read at each use and sent only to this context's URL. The first context becomes current.",
    examples: [
      'clawlink context add home --url wss://gw.home:18789 --tls-fingerprint AB:CD:… --token-file ~/.config/gw-home.token',
      'clawlink context add ci --url ws://127.0.0.1:18789 --profile ci',
    ],
  },
  {
    path: 'context list',
    aliases: ['context ls'],
    args: [],
    summary: 'list contexts (* marks the current one)',
    description: 'Lists the contexts: name, URL, pin, token file, profile; "*" marks the current one.',
    examples: ['clawlink context list --json'],
  },
  {
    path: 'context show',
    args: [{ name: 'name', required: false }],
    summary: 'show one context (default: the current one)',
    description: 'Shows a context: URL, pins, token file (and whether it is readable), profile.',
    examples: ['clawlink context show home'],
  },
  {
    path: 'context use',
    args: [{ name: 'name', required: true }],
    summary: 'make a context the current one',
    description:
      'Makes NAME the current context: commands without --context, CLAWLINK_CONTEXT, --url or\n' +
      'OPENCLAW_GATEWAY_URL use it.',
    examples: ['clawlink context use home'],
  },
  {
    path: 'context rm',
    aliases: ['context remove'],
    args: [{ name: 'name', required: true }],
    summary: 'remove a context (its token file is left alone)',
    description: 'Removes a context from the contexts file; files it names are not touched.',
    examples: ['clawlink context rm home'],
  },
] as const
