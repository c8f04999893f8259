export {
  gatewayConfig,
  gatewayEnv,
  pickPort,
  type RunningGateway,
  readRunningGateways,
  realGatewaysOrSkip,
  type GatewayBind,
  GATEWAY_POOLS,
  type GatewayPool,
  type StartGatewayOptions,
  startGateway,
  waitForReady,
} from './gateway.js'
export * from './install.js'
export {
  type AgentJobOptions,
  addAgentJob,
  addModelFreeJob,
  agentJobParams,
  type MockBehaviour,
  runCount,
  runEntries,
  modelFreeJobParams,
} from './jobs.js'
export { mergeConfig, mockModelConfig } from './model-config.js'
export { mockStats, type RunningModel, startModelProcess, stopModelProcess } from '../model/process.js'
export {
  type MockModel,
  type MockModelOptions,
  type MockRequestEntry,
  type MockStats,
  startMockModel,
} from '../model/server.js'
export { createEphemeralSigner, gatewayRpc, HarnessRpcError, type RpcCall, type RpcOptions } from './rpc.js'
export { alive, removeLockFiles, stopGateway } from './stop.js'
export {
  createNetns,
  deleteNetns,
  listLinks,
  listNetns,
  NETNS_PREFIX,
  type Netns,
  NetnsError,
  sweepStaleNetns,
} from './netns.js'
export {
  netnsAvailable,
  type PairedDevice,
  type PendingPairing,
  type RemoteGateway,
  type RemoteOperator,
  runInNetns,
  type StartRemoteGatewayOptions,
  startRemoteGateway,
} from './remote.js'
export { userHome } from './user-home.js'
export { moduleForNobody, runNodeAsNobody } from './as-nobody.js'
