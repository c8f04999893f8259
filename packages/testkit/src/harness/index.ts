export {
  addModelFreeJob,
  gatewayConfig,
  gatewayEnv,
  pickPort,
  type RunningGateway,
  readRunningGateways,
  realGatewaysOrSkip,
  removeLockFiles,
  type StartGatewayOptions,
  startGateway,
  stopGateway,
  waitForReady,
} from './gateway.js'
export {
  ensureNode,
  ensureOpenClaw,
  GATEWAY_VERSIONS,
  nodeMajorFor,
  type OpenClawInstall,
  peerCacheDir,
} from './install.js'
export { createEphemeralSigner, gatewayRpc, HarnessRpcError, type RpcOptions } from './rpc.js'
