import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { BIN } from './helpers.js'
import { envelope } from './modern-helpers.js'

export const TASKS = 'io.modelcontextprotocol/tasks'

type Rpc = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } }

/**
 * A 2026-07-28 client speaking raw JSON-RPC on the built server's stdio, declaring the tasks extension. Raw,
 * because the SDK v2 client 2.4.0 cannot use a task: it rejects a `resultType: 'task'` answer and refuses to send
 * tasks/get on a 2026-07-28 connection (modern-tasks.test.ts shows both).
 */
export function rawStdio(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const waiting = new Map<number, (message: Rpc) => void>()
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Rpc & { id?: number }
    if (typeof message.id === 'number') waiting.get(message.id)?.(message)
  })
  let id = 0
  const request = (method: string, params: Record<string, unknown> = {}): Promise<Rpc> => {
    const n = ++id
    const meta = envelope({ extensions: { [TASKS]: {} } })
    const body = { jsonrpc: '2.0', id: n, method, params: { ...params, _meta: meta } }
    return new Promise((resolve, reject) => {
      waiting.set(n, resolve)
      child.once('exit', () => reject(new Error(`server exited: ${stderr}`)))
      child.stdin!.write(`${JSON.stringify(body)}\n`)
    })
  }
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.stdin!.end()
    })
  return { request, close, stderr: () => stderr }
}
export type RawStdio = ReturnType<typeof rawStdio>

/** Polls tasks/get until the task is no longer working (at most `rounds` times); every answer kept. */
export async function pollTask(client: RawStdio, taskId: string, rounds = 100) {
  const seen: Rpc[] = []
  for (let i = 0; i < rounds; i++) {
    const answer = await client.request('tasks/get', { taskId })
    seen.push(answer)
    if (answer.error || answer.result?.status !== 'working') break
    await new Promise((r) => setTimeout(r, 100))
  }
  return seen
}
