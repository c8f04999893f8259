export { approveCommand, type ClassifyContext, classifyGatewayError, isSafeGatewayId } from './classify.js'
export { type CloseMeaningCode, describeCloseCode } from './close-codes.js'
export {
  buildConnectParams,
  CLIENT_IDS,
  CLIENT_MODES,
  type ClientId,
  type ClientInfo,
  type ClientMode,
  type ConnectAuth,
  type ConnectParams,
  type ConnectParamsOptions,
  DEFAULT_MAX_PROTOCOL,
  DEFAULT_MIN_PROTOCOL,
  GATEWAY_SECRET_ENV,
} from './connect.js'
export {
  buildCronGetParams,
  buildCronListParams,
  buildCronRunParams,
  buildCronRunsParams,
  buildCronStatusParams,
  CRON_RUN_MODES,
  type CronListOptions,
  type CronRunMode,
  type CronRunOptions,
  type CronRunsOptions,
} from './cron.js'
export {
  type CronJobMatch,
  type CronRunCandidate,
  type CronRunRef,
  looksLikeJobId,
  matchCronJob,
  matchCronRun,
} from './cron-match.js'
export {
  type CronEvent,
  type CronJob,
  type CronRunEntry,
  type CronRunResult,
  type CronStatus,
  describeCronSchedule,
  nextPageOffset,
  optTimeMs,
  parseCronEvent,
  parseCronJob,
  parseCronJobs,
  parseCronRunResult,
  parseCronRuns,
  parseCronStatus,
  runSucceeded,
} from './cron-results.js'
export {
  buildDeviceAuthPayload,
  createDeviceProof,
  type DeviceAuthFields,
  type DeviceProof,
  type DeviceProofOptions,
  normalizeDeviceMetadata,
  signatureToken,
} from './device-auth.js'
export {
  base64Decode,
  base64Encode,
  base64UrlDecode,
  base64UrlEncode,
  deriveDeviceId,
  hexDecode,
  hexEncode,
  publicKeyFrom,
  publicKeyFromPem,
  publicKeyToSpkiPem,
  seedFromPkcs8Pem,
  seedToPkcs8Pem,
  utf8Encode,
} from './encoding.js'
export { ClawlinkError, type ClawlinkErrorOptions, shouldRetry } from './error-base.js'
export {
  GatewayError,
  type GatewayErrorCode,
  type GatewayErrorOptions,
  ProtocolError,
  type ProtocolErrorCode,
  SignerError,
  type SignerErrorCode,
  type SignerErrorOptions,
  type WireError,
} from './errors.js'
export {
  type EventFrame,
  encodeRequest,
  parseServerFrame,
  type RequestFrame,
  type ResponseFrame,
  type ServerFrame,
} from './frames.js'
export { effectiveScopes, type HelloAuth, type HelloOk, parseHelloOk } from './hello.js'
export {
  buildCronAddParams,
  buildCronRemoveParams,
  buildCronUpdateParams,
  type CronTarget,
  checkCronJobFields,
  parseCronJobAnswer,
  parseCronRemoveAnswer,
} from './cron-write.js'
export {
  buildDeviceTokenParams,
  buildPairRequestParams,
  type DevicePairing,
  type DeviceTokenRotation,
  parseDevicePairing,
  parseDeviceTokenRotation,
} from './device.js'
export type { FieldProblem, FieldTree } from './field-tree.js'
export {
  canCall,
  type GatewayVersion,
  METHODS,
  type MethodRecord,
  type MethodScope,
  methodRecord,
  missingScope,
  requiredScope,
} from './methods.js'
export { CLAWLINK_SCOPES, METHOD_SCOPES, OPERATOR_SCOPES, scopeSatisfies } from './scopes.js'
export { V4_METHODS, V4_SCHEMA_VERSION } from './v4-scopes.js'
export { assertSignature, type DeviceSigner, describeSignerProblem, type SignerFactory } from './signer.js'
export { normalizeFingerprint } from './tls.js'
export {
  type AgentStreamEvent,
  type AgentStreamItem,
  type AutomationTaskEvent,
  type ChatStreamEvent,
  cronJobOfSession,
  MAX_STREAM_DELTA_CHARS,
  parseAgentEvent,
  parseChatEvent,
  parseTaskEvent,
  taskNamesCronRun,
} from './run-stream.js'
export {
  type CronPlan,
  type DeclaredJob,
  declaredJob,
  type FieldChange,
  isGatewayOwnedJob,
  type PlanConflict,
  type PlanOptions,
  type PlanStep,
  planCronApply,
} from './cron-plan.js'
