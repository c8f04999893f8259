export { type ChosenContext, findContext } from './contexts.js'
export {
  CONTEXT_NAME,
  type ContextsFile,
  formatContexts,
  type GatewayContext,
  loadContexts,
  parseContexts,
  saveContexts,
} from './contexts-file.js'
export type { IgnoredSecret, UrlOrigin } from './credentials.js'
export { ConfigError, type ConfigErrorCode } from './errors.js'
export { SETTINGS_OPTIONS, settingsFlagsFromValues, signerInitOptions, signerOptions } from './flags.js'
export { resolvePath } from './home.js'
export {
  builtinSigner,
  type BuiltinSignerSpec,
  builtinSigners,
  signerKinds,
} from './builtin-signers.js'
export type {
  AnySignerDeclaration,
  SignerCheckStep,
  SignerDeclaration,
} from '@clawlink/signer-kit/declaration'
export { checkSigner, type LoadSignerOptions, loadSigner } from './load-signer.js'
export { openclawConfigPath, openclawStateDir, readOpenClawConfig } from './openclaw-config.js'
export {
  auditLogPath,
  loadProfileSettings,
  type ProfilePaths,
  type ProfileSettings,
  profilePaths,
  resolveProfile,
  saveProfileSettings,
} from './profile.js'
export type { SecretContext, SecretRef } from './secret-ref.js'
export {
  describeSettings,
  type ResolvedSettings,
  type ResolveInput,
  resolveSettings,
  type SettingsFlags,
} from './settings.js'
export {
  describeSignerSpec,
  type SignerFlags,
  type SignerSpec,
  signerSpecFromFlags,
  validateSignerSpec,
} from './signer-spec.js'
export { type OpenClientOptions, openGatewayClient } from './open-client.js'
export {
  AUDIT_GENESIS,
  type AuditBreak,
  type AuditBreakKind,
  type AuditLink,
  type AuditVerdict,
  auditLineHash,
  chainAuditLine,
  nextAuditLink,
  verifyAuditChain,
} from './audit-chain.js'
