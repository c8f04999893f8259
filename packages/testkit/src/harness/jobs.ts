/** Cron jobs the real-gateway tests create: model-free ones, and agent turns against the mock model. */
import type { RunningGateway } from './gateway.js'
import { createEphemeralSigner, gatewayRpc } from './rpc.js'

/**
 * `cron.add` params of a model-free job: an hourly systemEvent on the main session, which finishes `ok` without
 * any model on 3.13, 5.7 and 9.6 (docs/testing.md §1.8).
 */
export function modelFreeJobParams(name: string, text = 'hello from clawlink') {
  return {
    name,
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text },
  }
}

/** What the mock model does for an agent job's turn (docs/testing.md "A model on loopback"). */
export type MockBehaviour = 'ok' | 'tool' | 'hang' | `slow:${number}` | `http:${number}`

/** Options of {@link agentJobParams}. */
export interface AgentJobOptions {
  behaviour: MockBehaviour
  /** The payload's `timeoutSeconds` (the gateway ends the run `error`/timeout after it). */
  timeoutSeconds?: number
  /** Words after the marker (e.g. a unique tag to find the run in `/_mock/stats`). */
  note?: string
}

/**
 * `cron.add` params of an agent turn against the mock model: isolated session, wake now, daily schedule (so only
 * `cron.run` starts it), no delivery; the marker `[mock:BEHAVIOUR]` in the message picks what the model does.
 */
export function agentJobParams(name: string, options: AgentJobOptions) {
  const message = `[mock:${options.behaviour}] ${options.note ?? `clawlink test job ${name}`}`
  return {
    name,
    schedule: { kind: 'every', everyMs: 86_400_000 },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: {
      kind: 'agentTurn',
      message,
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
    },
    delivery: { mode: 'none' },
  }
}

/** A one-off RPC connection to `gw`: token-only sockets get no scopes on v3 gateways, so a throwaway device signs. */
function rpcTo(gw: Pick<RunningGateway, 'url' | 'token'>, timeoutMs?: number) {
  return { url: gw.url, token: gw.token, signer: createEphemeralSigner(), timeoutMs }
}

async function addJob(
  gw: Pick<RunningGateway, 'url' | 'token'>,
  params: unknown,
  timeoutMs?: number,
): Promise<string> {
  const { results } = await gatewayRpc(rpcTo(gw, timeoutMs), [{ method: 'cron.add', params }])
  const job = results[0] as { id?: string; job?: { id?: string } }
  const id = job.id ?? job.job?.id
  if (!id) throw new Error(`cron.add returned no id: ${JSON.stringify(job).slice(0, 200)}`)
  return id
}

/** Creates a model-free cron job ({@link modelFreeJobParams}) and returns its id. */
export function addModelFreeJob(
  gw: Pick<RunningGateway, 'url' | 'token'>,
  name: string,
  text = 'hello from clawlink',
): Promise<string> {
  return addJob(gw, modelFreeJobParams(name, text))
}

/** Creates an agent-turn job ({@link agentJobParams}) and returns its id; the gateway needs a `model`. */
export function addAgentJob(
  gw: Pick<RunningGateway, 'url' | 'token'> & Partial<Pick<RunningGateway, 'model' | 'version'>>,
  name: string,
  options: AgentJobOptions,
): Promise<string> {
  if ('model' in gw && gw.model === undefined)
    throw new Error(
      `gateway ${gw.version ?? gw.url} has no mock model (start it with the harness's start-all)`,
    )
  return addJob(gw, agentJobParams(name, options))
}

/** How many runs of a job the gateway's run history holds (asked directly, up to 50). */
export async function runCount(gw: Pick<RunningGateway, 'url' | 'token'>, jobId: string): Promise<number> {
  return (await runEntries(gw, jobId)).length
}

/** The job's run-history entries as the gateway keeps them (`cron.runs`, newest 50). */
export async function runEntries(
  gw: Pick<RunningGateway, 'url' | 'token'>,
  jobId: string,
  timeoutMs?: number,
): Promise<Record<string, unknown>[]> {
  const { results } = await gatewayRpc(rpcTo(gw, timeoutMs), [
    { method: 'cron.runs', params: { id: jobId, limit: 50 } },
  ])
  const page = results[0] as { entries?: Record<string, unknown>[] } | undefined
  return page?.entries ?? []
}

/**
 * Runs one short agent turn on a fresh gateway and removes its job. A fresh workspace is set up by its first agent
 * turn, and on 2026.3.13 several first turns at once race: one ends in error after ≈ 100 ms (ENOENT renaming
 * `workspace-state.json`; seen in CI when three drop suites started their runs together). Returns the time taken.
 */
export async function warmAgentWorkspace(gw: RunningGateway, timeoutMs = 120_000): Promise<number> {
  const started = Date.now()
  // Gateways are slow while the others start (CI starts about ten): every call gets the whole time limit.
  const rpc = rpcTo(gw, timeoutMs)
  const id = await addJob(gw, agentJobParams(`clawlink-warm-up-${started}`, { behaviour: 'ok' }), timeoutMs)
  try {
    await gatewayRpc(rpc, [{ method: 'cron.run', params: { id, mode: 'force' } }])
    let entries = await runEntries(gw, id, timeoutMs)
    while (entries.length === 0) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`${gw.version}: the warm-up agent turn did not finish in ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 500))
      entries = await runEntries(gw, id, timeoutMs)
    }
    if (entries[0]?.status !== 'ok')
      throw new Error(
        `${gw.version}: the warm-up agent turn ended ${String(entries[0]?.status)}: ${String(entries[0]?.error)}`,
      )
    return Date.now() - started
  } finally {
    // Never leave the job behind: suites list and count the jobs of shared gateways.
    await gatewayRpc(rpc, [{ method: 'cron.remove', params: { id } }]).catch(() => undefined)
  }
}
