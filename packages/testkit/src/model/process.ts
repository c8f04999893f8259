/** The mock model as a detached process of the harness: started once by `start-all`, stopped by `stop-all`. */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { alive } from '../harness/stop.js'

/** A running mock model process, as recorded in the CLAWLINK_GATEWAYS file (`model` of each gateway). */
export interface RunningModel {
  /** The provider's baseUrl, `http://127.0.0.1:PORT/v1`. */
  url: string
  pid: number
}

/** Starts `dist/model/main.js` detached, its output in `DIR/model.log`; resolves once it listens. */
export async function startModelProcess(dir: string, timeoutMs = 15_000): Promise<RunningModel> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const readyFile = join(dir, 'model.ready.json')
  rmSync(readyFile, { force: true })
  const out = openSync(join(dir, 'model.log'), 'a')
  const main = fileURLToPath(new URL('./main.js', import.meta.url))
  const child = spawn(process.execPath, [main, '--ready-file', readyFile], {
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error('could not start the mock model process')
  const deadline = Date.now() + timeoutMs
  while (!existsSync(readyFile)) {
    if (!alive(pid)) throw new Error(`the mock model process exited early (see ${join(dir, 'model.log')})`)
    if (Date.now() > deadline) {
      await stopModelProcess({ url: '', pid })
      throw new Error(`the mock model did not listen within ${timeoutMs} ms`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { baseUrl: string }
  process.stderr.write(`[harness] mock model (pid ${pid}) on ${ready.baseUrl}\n`)
  return { url: ready.baseUrl, pid }
}

/** Stops the mock model by its recorded PID only: TERM, up to 5 s, then KILL. */
export async function stopModelProcess(model: RunningModel): Promise<void> {
  if (!alive(model.pid)) return
  try {
    process.kill(model.pid, 'SIGTERM')
  } catch {}
  const end = Date.now() + 5_000
  while (alive(model.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
  if (alive(model.pid)) {
    try {
      process.kill(model.pid, 'SIGKILL')
    } catch {}
  }
}

/** The mock's `GET /_mock/stats` (the `url` is the baseUrl ending in `/v1`). */
export async function mockStats(model: Pick<RunningModel, 'url'>): Promise<import('./server.js').MockStats> {
  const res = await fetch(model.url.replace(/\/v1\/?$/, '/_mock/stats'))
  if (!res.ok) throw new Error(`mock stats: HTTP ${res.status}`)
  return (await res.json()) as import('./server.js').MockStats
}
