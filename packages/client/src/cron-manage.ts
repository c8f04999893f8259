import {
  buildCronAddParams,
  buildCronRemoveParams,
  buildCronUpdateParams,
  type CronJob,
  type CronTarget,
  parseCronJobAnswer,
  parseCronRemoveAnswer,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { getJob, type ResolvedJob } from './cron-jobs.js'
import { ClientError } from './errors.js'

type Signal = { signal?: AbortSignal }
const opts = (o: Signal) => (o.signal ? { signal: o.signal } : {})

/** The gateway a job is written to (connects first when needed): its protocol and release, for its job shape. */
export async function cronTarget(client: GatewayClient): Promise<CronTarget> {
  const hello = client.hello ?? (await client.connect())
  return { protocol: hello.protocol, version: hello.server.version }
}

function unexpected(method: string): ClientError {
  return new ClientError('UNEXPECTED_RESPONSE', `${method} answered without the job it wrote`, {
    remedy: 'Check the job with `clawlink cron list --all`; report the gateway version if it persists.',
  })
}

/**
 * Creates a job (`cron.add`) in this gateway's job shape; a field the gateway does not know is refused by
 * name before anything is sent. @throws ProtocolError INVALID_PARAMS, GatewayError
 */
export async function addJob(
  client: GatewayClient,
  job: Record<string, unknown>,
  options: Signal = {},
): Promise<CronJob> {
  const params = buildCronAddParams(job, await cronTarget(client))
  const created = parseCronJobAnswer(await client.request('cron.add', params, opts(options)))
  if (!created) throw unexpected('cron.add')
  return created
}

/** A job before and after a change; `after` is the gateway's answer (or the job read again). */
export interface JobChange {
  before: CronJob
  after: CronJob
}

/**
 * Changes the fields `patch` names of the job `ref` (id or exact name) with `cron.update {id, patch}`.
 * @throws ClientError JOB_NOT_FOUND, JOB_AMBIGUOUS; ProtocolError INVALID_PARAMS (unknown field); GatewayError
 */
export async function updateJob(
  client: GatewayClient,
  ref: string,
  patch: Record<string, unknown>,
  options: Signal = {},
): Promise<JobChange> {
  const target = await cronTarget(client)
  const { job: before } = await getJob(client, ref, opts(options))
  const params = buildCronUpdateParams(before.id, patch, target)
  const answer = parseCronJobAnswer(await client.request('cron.update', params, opts(options)))
  const after = answer ?? (await getJob(client, before.id, opts(options))).job
  return { before, after }
}

/** Enables or disables a job (`cron.update {id, patch: {enabled}}`). */
export function setJobEnabled(
  client: GatewayClient,
  ref: string,
  enabled: boolean,
  options: Signal = {},
): Promise<JobChange> {
  return updateJob(client, ref, { enabled }, options)
}

/** Finds the job to remove without removing it (to show it before asking). */
export async function findJobToRemove(
  client: GatewayClient,
  ref: string,
  options: Signal = {},
): Promise<ResolvedJob & { job: CronJob }> {
  return getJob(client, ref, opts(options))
}

/**
 * Removes the job with this id (`cron.remove`); a job gone meanwhile is JOB_NOT_FOUND.
 * @throws ClientError JOB_NOT_FOUND; GatewayError
 */
export async function removeJob(client: GatewayClient, id: string, options: Signal = {}): Promise<void> {
  const answer = parseCronRemoveAnswer(
    await client.request('cron.remove', buildCronRemoveParams(id), opts(options)),
  )
  if (!answer.removed)
    throw new ClientError('JOB_NOT_FOUND', `no cron job with id "${id}" (removed meanwhile?)`, {
      remedy: 'List the jobs to see their ids and names.',
    })
}
