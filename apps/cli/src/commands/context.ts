import { accessSync, constants } from 'node:fs'
import {
  CONTEXT_NAME,
  ConfigError,
  findContext,
  formatContexts,
  type GatewayContext,
  loadContexts,
  parseContexts,
  resolvePath,
  saveContexts,
} from '@clawlink/config'
import { normalizeFingerprint } from '@clawlink/protocol'
import { parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput, table } from '../output.js'

// `clawlink context add|list|show|use|rm`: the contexts file (packages/config/src/contexts-file.ts). Connects to
// nothing; secrets stay in the files the contexts name.

function usage(message: string, remedy: string): CliError {
  return new CliError('USAGE', message, { remedy: remedy, exitCode: EXIT.USAGE })
}

function contextJson(c: GatewayContext, current: string | undefined): Record<string, unknown> {
  return {
    name: c.name,
    current: c.name === current,
    url: c.url,
    tlsFingerprints: c.tlsFingerprints,
    tokenFile: c.tokenFile ?? null,
    profile: c.profile ?? null,
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK)
    return true
  } catch {
    return false
  }
}

export async function contextAdd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'context add')
  const out = createOutput(values.json === true)
  const name = positionals[0] ?? ''
  if (!CONTEXT_NAME.test(name))
    throw usage(`invalid context name "${name}"`, 'use letters, digits, ".", "_" or "-"')
  if (!values.url)
    throw usage('context add needs --url', `e.g. clawlink context add ${name} --url wss://host:18789`)
  const pins = values['tls-fingerprint'] ?? []
  for (const pin of pins)
    if (normalizeFingerprint(pin).length !== 64)
      throw usage(
        `--tls-fingerprint "${pin}" is not a SHA-256 fingerprint`,
        'the 64 hex digits, e.g. AB:CD:… as openssl prints it',
      )
  const file = loadContexts(process.env)
  if (file.contexts.some((c) => c.name === name))
    throw usage(
      `context "${name}" already exists in ${file.path}`,
      `remove it first: clawlink context rm ${name}`,
    )
  const context: GatewayContext = { name, url: values.url, tlsFingerprints: pins }
  if (values['token-file']) context.tokenFile = resolvePath(values['token-file'], process.env, process.cwd())
  if (values.profile) context.profile = values.profile
  const check = { path: file.path, contexts: [context] }
  // Validates URL, pins and profile the way a read of the file will.
  parseContexts(formatContexts(check), file.path, process.env)
  file.contexts.push(context)
  file.current ??= name
  saveContexts(file)
  const warn =
    context.tokenFile && !readable(context.tokenFile)
      ? ` (warning: ${context.tokenFile} is not readable yet)`
      : ''
  out.result(`added context ${name}${file.current === name ? ' (current)' : ''} to ${file.path}${warn}`, {
    ok: true,
    context: contextJson(context, file.current),
    file: file.path,
  })
  return EXIT.OK
}

export async function contextList(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'context list')
  const out = createOutput(values.json === true)
  const file = loadContexts(process.env)
  const rows = file.contexts.map((c) => [
    c.name === file.current ? '*' : '',
    c.name,
    c.url,
    c.tlsFingerprints.length > 0 ? `${c.tlsFingerprints.length} pin(s)` : '-',
    c.tokenFile ?? '-',
    c.profile ?? '-',
  ])
  const human =
    rows.length === 0
      ? `no contexts (add one: clawlink context add NAME --url URL); file: ${file.path}`
      : table(['', 'NAME', 'URL', 'TLS', 'TOKEN FILE', 'PROFILE'], rows)
  out.result(human, {
    ok: true,
    file: file.path,
    current: file.current ?? null,
    contexts: file.contexts.map((c) => contextJson(c, file.current)),
  })
  return EXIT.OK
}

export async function contextShow(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'context show')
  const out = createOutput(values.json === true)
  const file = loadContexts(process.env)
  const name = positionals[0] ?? file.current
  if (!name)
    throw new ConfigError('CONTEXT_NOT_FOUND', `no current context in ${file.path}`, {
      remedy: 'name one: clawlink context show NAME, or: clawlink context use NAME',
    })
  const c = findContext(file, name, positionals[0] ? 'the argument' : 'current')
  const tokenState = c.tokenFile ? (readable(c.tokenFile) ? 'readable' : 'NOT readable') : undefined
  const human = [
    `context:    ${c.name}${c.name === file.current ? ' (current)' : ''}`,
    `url:        ${c.url}`,
    `tls pins:   ${c.tlsFingerprints.length > 0 ? c.tlsFingerprints.join(', ') : '-'}`,
    `token file: ${c.tokenFile ? `${c.tokenFile} (${tokenState})` : '-'}`,
    `profile:    ${c.profile ?? '-'}`,
    `file:       ${file.path}`,
  ].join('\n')
  out.result(human, {
    ok: true,
    context: { ...contextJson(c, file.current), tokenFileReadable: tokenState === 'readable' },
    file: file.path,
  })
  return EXIT.OK
}

export async function contextUse(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'context use')
  const out = createOutput(values.json === true)
  const file = loadContexts(process.env)
  const c = findContext(file, positionals[0] ?? '', 'the argument')
  file.current = c.name
  saveContexts(file)
  out.result(`current context: ${c.name} (${c.url})`, { ok: true, current: c.name, file: file.path })
  return EXIT.OK
}

export async function contextRm(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, 'context rm')
  const out = createOutput(values.json === true)
  const file = loadContexts(process.env)
  const c = findContext(file, positionals[0] ?? '', 'the argument')
  file.contexts = file.contexts.filter((x) => x !== c)
  if (file.current === c.name) delete file.current
  saveContexts(file)
  const note =
    file.current === undefined && file.contexts.length > 0
      ? '; no current context now (clawlink context use NAME)'
      : ''
  out.result(`removed context ${c.name} from ${file.path}${note}`, {
    ok: true,
    removed: c.name,
    current: file.current ?? null,
  })
  return EXIT.OK
}
