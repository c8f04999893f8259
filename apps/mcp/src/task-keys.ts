import { randomBytes } from 'node:crypto'
import type { GatewayClient } from '@clawlink/client'
import { resolvePath } from '@clawlink/config'
import type { McpPolicy } from './policy.js'
import type { JobLists } from './server.js'
import { createTaskHandleCodec } from './task-handle.js'
import { loadTaskSecret, TaskSecretError } from './task-secret.js'
import { type ModernTasks, modernTasks } from './tasks-modern.js'

/** What clawlink-mcp's HTTP mode needs to hand out and read back task handles. */
export interface TaskKeyInputs {
  file: string | undefined
  env: NodeJS.ProcessEnv
  gateway: string
  contextName?: string | undefined
  getClient: (signal?: AbortSignal) => Promise<GatewayClient>
  jobLists: JobLists
  policy: McpPolicy
  confirm: boolean
  audit: Parameters<typeof modernTasks>[0]['audit']
  log: (message: string) => void
}

/**
 * The tasks extension of the HTTP endpoint, keyed by `--task-secret-file FILE` (every replica behind one load
 * balancer needs the same file); without the flag a random key of this process, so its handles die with it.
 * Returns exit code 3 after logging a one-line error (TaskSecretError) when the file is unusable.
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
  inputs.log(
    inputs.file
      ? `task handles signed with key ${codec.keyId} from --task-secret-file`
      : `task handles signed with a random key of this process (${codec.keyId}): replicas behind one load balancer need a shared --task-secret-file`,
  )
  return modernTasks({
    codec,
    gateway: inputs.gateway,
    contextName: inputs.contextName,
    getClient: inputs.getClient,
    getJobs: (client) => inputs.jobLists.of(client),
    policy: inputs.policy,
    confirm: inputs.confirm,
    audit: inputs.audit,
  })
}
