import { type FakeGateway, startFakeGateway } from './fake-gateway.js'

/** A job and its run history as a gateway would keep them (for the fake's `cron.list` / `cron.runs`). */
export type SeededJob = {
  id: string
  name: string
  schedule: Record<string, unknown>
  createdAtMs: number
  enabled?: boolean
  /** Start times of its runs (gateway clock). */
  runs: number[]
}

/**
 * A fake 9.6 gateway that lists `jobs` and serves their run history (newest first, 200 a page, `scope: "all"`
 * or one job), counting the requests; `cron.run` goes to the fake itself (which knows the same ids).
 */
export async function fakeWithHistory(
  jobs: SeededJob[],
  options: { refuseScopeAll?: boolean } = {},
): Promise<{ gw: FakeGateway; calls: { method: string; params: Record<string, unknown> }[] }> {
  const calls: { method: string; params: Record<string, unknown> }[] = []
  const entries = jobs
    .flatMap((j) =>
      j.runs.map((at, i) => ({
        ts: at + 50,
        jobId: j.id,
        runId: `${j.id}-r${i}`,
        action: 'finished',
        status: 'ok',
        runAtMs: at,
        durationMs: 50,
      })),
    )
    .sort((a, b) => b.runAtMs - a.runAtMs)
  const views = jobs.map((j) => ({
    id: j.id,
    name: j.name,
    enabled: j.enabled ?? true,
    createdAtMs: j.createdAtMs,
    schedule: j.schedule,
    state: {},
  }))
  const page = (list: unknown[], params: Record<string, unknown>, key: string) => {
    const offset = Number(params.offset ?? 0)
    const limit = Number(params.limit ?? 50)
    const slice = list.slice(offset, offset + limit)
    const hasMore = offset + limit < list.length
    return {
      [key]: slice,
      total: list.length,
      offset,
      limit,
      hasMore,
      nextOffset: hasMore ? offset + limit : null,
    }
  }
  const gw = await startFakeGateway({
    flavor: '9.6',
    jobs: jobs.map((j) => ({ id: j.id, name: j.name, schedule: j.schedule, enabled: j.enabled ?? true })),
    hooks: {
      onRequest(_conn, req, send) {
        calls.push({ method: req.method, params: req.params })
        const answer = (payload: unknown) => send({ type: 'res', id: req.id, ok: true, payload })
        if (req.method === 'cron.list') {
          answer(page(views, req.params, 'jobs'))
          return true
        }
        if (req.method !== 'cron.runs') return false
        const id = req.params.id ?? req.params.jobId
        if (id === undefined && options.refuseScopeAll) {
          send({
            type: 'res',
            id: req.id,
            ok: false,
            error: {
              code: 'INVALID_REQUEST',
              message: 'invalid cron.runs params: at root: unexpected property "scope"',
            },
          })
          return true
        }
        answer(
          page(id === undefined ? entries : entries.filter((e) => e.jobId === id), req.params, 'entries'),
        )
        return true
      },
    },
  })
  return { gw, calls }
}
