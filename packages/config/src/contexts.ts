import { statSync } from 'node:fs'
import { type ContextsFile, type GatewayContext, loadContexts } from './contexts-file.js'
import { ConfigError } from './errors.js'
import type { SettingsFlags } from './settings-flags.js'

type Env = Record<string, string | undefined>

/** The context a command uses and what chose it (for `doctor` and errors). */
export interface ChosenContext {
  context: GatewayContext
  source: string
  file: ContextsFile
}

/** The context of `name`, or a ConfigError listing the known ones. @throws ConfigError CONTEXT_NOT_FOUND */
export function findContext(file: ContextsFile, name: string, source: string): GatewayContext {
  const context = file.contexts.find((c) => c.name === name)
  if (context) return context
  const known = file.contexts.map((c) => c.name)
  throw new ConfigError('CONTEXT_NOT_FOUND', `no context "${name}" (from ${source}) in ${file.path}`, {
    remedy:
      known.length > 0
        ? `one of: ${known.join(', ')}; or add it: clawlink context add ${name} --url URL`
        : `add it: clawlink context add ${name} --url URL [--token-file FILE]`,
  })
}

/**
 * Which context applies: `--context`, else `CLAWLINK_CONTEXT`, else the file's `current` — the last only when the
 * invocation names no gateway itself (`--url`, `OPENCLAW_GATEWAY_URL`). Checks the context's token file is still
 * there. `implicit` false: only `--context` (the MCP server, for now). @throws ConfigError CONTEXT_NOT_FOUND, CONTEXT_TOKEN_FILE_MISSING, CONTEXT_INVALID
 */
export function chooseContext(flags: SettingsFlags, env: Env, implicit = true): ChosenContext | undefined {
  let name = flags.context || undefined
  let source = '--context'
  if (!name && !implicit) return undefined
  if (!name && env.CLAWLINK_CONTEXT) [name, source] = [env.CLAWLINK_CONTEXT, 'CLAWLINK_CONTEXT']
  const file = loadContexts(env)
  if (!name) {
    if (flags.url || env.OPENCLAW_GATEWAY_URL || env.CLAWDBOT_GATEWAY_URL || !file.current) return undefined
    ;[name, source] = [file.current, `"current" in ${file.path}`]
  }
  const context = findContext(file, name, source)
  if (context.tokenFile && !flags.url && !flags.tokenFile && !flags.tokenStdin) {
    try {
      statSync(context.tokenFile)
    } catch (cause) {
      throw new ConfigError(
        'CONTEXT_TOKEN_FILE_MISSING',
        `context "${context.name}": its token file ${context.tokenFile} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
        {
          remedy: `restore the file, or point the context at the new one: clawlink context rm ${context.name} && clawlink context add ${context.name} --url ${context.url} --token-file FILE`,
          cause,
        },
      )
    }
  }
  return { context, source, file }
}

/**
 * The flags with the context's values where no flag was given. Its token file and pins belong to its URL: they
 * apply only when the context's URL is used (an explicit `--url` wins, and then gets none of them).
 */
export function applyContext(flags: SettingsFlags, context: GatewayContext): SettingsFlags {
  const ownUrl = !flags.url
  const hasSecret = flags.tokenFile || flags.tokenStdin
  const pins = flags.tlsFingerprint?.length ? flags.tlsFingerprint : ownUrl ? context.tlsFingerprints : []
  const tokenFile = hasSecret || !ownUrl ? flags.tokenFile : context.tokenFile
  const profile = flags.profile ?? context.profile
  return {
    ...flags,
    url: flags.url ?? context.url,
    ...(tokenFile ? { tokenFile } : {}),
    ...(pins.length > 0 ? { tlsFingerprint: pins } : {}),
    ...(profile ? { profile } : {}),
  }
}
