export type { ReconnectOptions } from './backoff.js'
export { backoffDelayMs } from './backoff.js'
export type * from './client-options.js'
export type { AuthMethod } from './session.js'
export { createGatewayClient, GatewayClient } from './client.js'
export type { SharedSecrets, StartingRetryOptions } from './connector.js'
export { type DevicePairing, getDevicePairing } from './device-pairing.js'
export {
  cachedDeviceToken,
  type DeviceTokenRevoked,
  type DeviceTokenRotated,
  revokeDeviceToken,
  rotateDeviceToken,
} from './device-token.js'
export { createJobCache, type JobCache, type JobCacheOptions } from './cron-cache.js'
export {
  getCronStatus,
  getJob,
  getJobRuns,
  getRunsOf,
  type ListBudget,
  type ListCronJobsOptions,
  listCronJobs,
  type ResolvedJob,
  resolveJob,
} from './cron-jobs.js'
export {
  addJob,
  cronTarget,
  findJobToRemove,
  type JobChange,
  removeJob,
  setJobEnabled,
  updateJob,
} from './cron-manage.js'
export {
  type CheckMissedFiresOptions,
  checkMissedFires,
  type JobFireCheck,
  type MissedFiresReport,
} from './missed-fires.js'
export type { EvaluateOptions, FireMark, RunAt, ScheduleVerdict } from './fire-schedule.js'
export { judgeRun, type RunJobOptions, type RunOutcome, type RunVerdict, runJob } from './cron-run.js'
export type { RunPhase, RunProgress } from './run-progress.js'
export type { FinishedRun } from './cron-wait.js'
export { describeOutcome, describeStop, type RunRecord, type RunReport } from './run-describe.js'
export { lookupRun, type RunLookup } from './run-lookup.js'
export { type RunFeedRecord, type WatchRunsOptions, watchRuns } from './watch-runs.js'
export { type Deadline, deadlineSignal, formatMs, sleep } from './deadline.js'
export type { ClientErrorCode, ClientErrorOptions } from './errors.js'
export { ClientError, isClientError } from './errors.js'
export {
  type ApprovalControl,
  type ApprovalInputs,
  type ApprovalProgress,
  type ApprovalSubject,
  type ApprovalWaitOptions,
  isApprovalError,
  type PairingRequestLog,
  strayNote,
} from './pairing.js'
export { createFilePairingLog } from './pairing-log.js'
export type { DeviceTokenKey, DeviceTokenStore, StoredDeviceToken } from './token-store.js'
export { createFileDeviceTokenStore, createMemoryDeviceTokenStore, gatewayKey } from './token-store.js'
export { bareHost, checkGatewayUrl, isLoopbackHost, isPrivateHost } from './url.js'
export { escapeControlChars, safeJson } from './text.js'
export {
  type ApplyOptions,
  type ApplyProgress,
  type ApplyResult,
  applyCronPlan,
  type PaceClock,
  realClock,
  WritePacer,
} from './cron-apply.js'
