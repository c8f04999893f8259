export type { ReconnectOptions } from './backoff.js'
export { backoffDelayMs } from './backoff.js'
export type {
  AuthMethod,
  ClientIdentityOptions,
  ClientProgressEvent,
  CronRunRef,
  GatewayClientOptions,
  GatewayClientState,
  RequestOptions,
  StartingRetryOptions,
  WaitForCronOptions,
} from './client.js'
export { createGatewayClient, GatewayClient, isTerminalConnectError } from './client.js'
export { listCronJobs } from './cron-jobs.js'
export { type ConnectionSettings, gatewayClientOptions } from './from-settings.js'
export type { CronRunOutcome, WaitForCronRunOptions } from './cron-wait.js'
export { waitForCronRun } from './cron-wait.js'
export type { ClientErrorCode, ClientErrorOptions } from './errors.js'
export { CLIENT_ERROR_CODES, ClientError, isClientError } from './errors.js'
export { describeFrameForLog, redactSecrets } from './redact.js'
export type { DeviceTokenStore, StoredDeviceToken } from './token-store.js'
export { createFileDeviceTokenStore, createMemoryDeviceTokenStore } from './token-store.js'
export { checkGatewayUrl, isLoopbackHost, isPrivateHost } from './url.js'
