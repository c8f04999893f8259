export { createExecSigner, type ExecSignerOptions } from './exec-signer.js'
export {
  type AgentIdentity,
  createSshAgentSigner,
  listAgentIdentities,
  type SshAgentSignerOptions,
} from './ssh-agent.js'
