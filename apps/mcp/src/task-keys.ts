import { randomBytes } from 'node:crypto'
import { resolvePath } from '@clawlink/config'
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server'
import type { NamedGateway } from './gateways.js'
import { interceptTransport } from './intercept.js'
import type { McpPolicy } from './policy.js'
import type { JobLists } from './server.js'
import { createTaskHandleCodec } from './task-handle.js'
import { loadTaskSecret, TaskSecretError } from './task-secret.js'
import { type ModernTasks, modernTasks } from './tasks-modern.js'

/** What clawlink-mcp needs to hand out and read back task handles (HTTP and stdio). */
export interface TaskKeyInputs {
  file: string | undefined
  env: NodeJS.ProcessEnv
  /** The gateways (contexts) the server serves; a task runs on the one its call names, the first by default. */
  gateways: readonly NamedGateway[]
  jobLists: JobLists
  policy: McpPolicy
  confirm: boolean
  audit: Parameters<typeof modernTasks>[0]['audit']
  log: (message: string) => void
  /** Serving HTTP (where replicas need the shared key), not stdio. */
  http?: boolean
}

/**
 * The tasks extension of 2026-07-28 clients, keyed by `--task-secret-file FILE` (every replica behind one load
 * balancer needs the same file); without the flag a random key of this process, so its handles die with it (on
 * stdio, where the process is the client's own, that is all it needs). Returns exit code 3 after logging a
 * one-line error (TaskSecretError) when the file is unusable.
 */
export function openModernTasks(inputs: TaskKeyInputs): ModernTasks | number {
  let key: Buffer
  try {
    key = inputs.file ? loadTaskSecret(resolvePath(inputs.file, inputs.env, process.cwd())) : randomBytes(32)
  } catch (error) {
    if (!(error instanceof TaskSecretError)) throw error
    inputs.log(`${error.message} [${error.code}]\nfix: ${error.remedy}`)
    return 3
  }
  const codec = createTaskHandleCodec(key)
  key.fill(0)
  const random = `task handles signed with a random key of this process (${codec.keyId}): they end with it`
  inputs.log(
    inputs.file
      ? `task handles signed with key ${codec.keyId} from --task-secret-file`
      : inputs.http
        ? `${random}; HTTP replicas behind one load balancer need a shared --task-secret-file`
        : random,
  )
  return modernTasks({
    codec,
    gateways: inputs.gateways,
    getJobs: (client, context) => inputs.jobLists.of(client, context),
    policy: inputs.policy,
    confirm: inputs.confirm,
    audit: inputs.audit,
  })
}

/**
 * `transport` (stdio) with the 2026-07-28 task requests answered before the SDK sees them: a run_cron_job task
 * call and tasks/get|cancel|update of a client that sends the 2026-07-28 envelope. Everything else (2025-era
 * tasks included, which tasks.ts serves) passes through in order.
 */
export function withModernTasks<T extends Transport>(
  transport: T,
  tasks: ModernTasks,
  log: (message: string) => void,
): T {
  return interceptTransport(transport, {
    receive(message, extra, deliver) {
      const answer = tasks.claim(message, { transport: 'stdio' })
      if (!answer) return deliver(message, extra)
      answer
        .then((response) => transport.send(response as JSONRPCMessage))
        .catch((error: unknown) => log(`task request failed: ${(error as Error).message}`))
    },
    send: (message, options, forward) => forward(message, options),
  })
}
