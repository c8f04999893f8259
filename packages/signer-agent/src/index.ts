export { createExecSigner, type ExecSignerErrorCode, type ExecSignerOptions } from './exec-signer.js'
export {
  type AgentIdentity,
  createSshAgentSigner,
  listAgentIdentities,
  type SshAgentSignerErrorCode,
  type SshAgentSignerOptions,
} from './ssh-agent.js'
