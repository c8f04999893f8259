import { type GatewayClient, listCronJobs } from '@clawlink/client'
import { resolveSettings, settingsFlagsFromValues } from '@clawlink/config'
import { looksLikeJobId } from '@clawlink/protocol'
import { splitEntry } from './policy.js'

type Settings = Awaited<ReturnType<typeof resolveSettings>>

/** The settings of each gateway the server serves: one per `--context` (in order), else the one of the flags. */
export interface GatewaySettings {
  /** The context name; null without --context. */
  name: string | null
  settings: Settings
}

/** Flags that name one gateway, which a server of several contexts cannot share between them. */
const ONE_GATEWAY_FLAGS = ['url', 'token-file', 'password-file', 'tls-fingerprint'] as const

/**
 * Resolves the settings of every gateway: each `--context NAME` with its own URL, pins, token file and profile
 * (as `clawlink --context NAME` would), credentials re-read on reconnect as for one gateway.
 * @returns a usage error's text for flags that cannot go with --context
 * @throws ConfigError CONTEXT_NOT_FOUND, CONTEXT_TOKEN_FILE_MISSING, …
 */
export async function resolveGatewaySettings(
  values: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<GatewaySettings[] | string> {
  const flags = settingsFlagsFromValues(values)
  const contexts = [...new Set((values.context as string[] | undefined) ?? [])]
  if (contexts.length === 0) return [{ name: null, settings: await resolveSettings({ flags, env }) }]
  const clash = ONE_GATEWAY_FLAGS.find((f) => values[f] !== undefined)
  if (clash)
    return `--${clash} cannot be combined with --context: each context brings its own URL, pins and token file (clawlink context show NAME)`
  const out: GatewaySettings[] = []
  for (const name of contexts)
    out.push({ name, settings: await resolveSettings({ flags: { ...flags, context: name }, env }) })
  return out
}

/**
 * The allow-list entries by name that match more than one job across the gateways (each entry counted on the
 * gateways it applies to): a name entry admits every job of that name, including one created or renamed later.
 */
export async function ambiguousNameEntries(
  allowJobs: readonly string[],
  gateways: readonly { name: string | null; get: () => Promise<GatewayClient> }[],
): Promise<{ entry: string; jobs: string[] }[]> {
  const contexts = gateways.flatMap((g) => (g.name === null ? [] : [g.name]))
  const byName = allowJobs
    .map((entry) => ({ entry, ...splitEntry({ contexts }, entry) }))
    .filter((e) => !looksLikeJobId(e.ref))
  if (byName.length === 0) return []
  const matches = new Map<string, string[]>(byName.map((e) => [e.entry, []]))
  for (const gateway of gateways) {
    const jobs = await listCronJobs(await gateway.get(), { includeDisabled: true })
    for (const e of byName) {
      if (e.context !== undefined && e.context !== gateway.name) continue
      for (const job of jobs)
        if (job.name === e.ref)
          matches.get(e.entry)!.push(gateway.name ? `${gateway.name}:${job.id}` : job.id)
    }
  }
  return [...matches].filter(([, jobs]) => jobs.length > 1).map(([entry, jobs]) => ({ entry, jobs }))
}
