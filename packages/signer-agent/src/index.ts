export { BASE_ENV_NAMES, createExecSigner, type ExecSignerOptions, signerEnvironment } from './exec-signer.js'
export {
  type AgentIdentity,
  createSshAgentSigner,
  listAgentIdentities,
  type SshAgentSignerOptions,
} from './ssh-agent.js'
