export {
  clientDisplayName,
  currentUserName,
  KEY_TAG_LENGTH,
  shortHostName,
  withKeyTag,
} from './client-name.js'
export { applyContext, type ChosenContext, chooseContext, findContext } from './contexts.js'
export {
  CONTEXT_NAME,
  type ContextsFile,
  contextsFilePath,
  formatContexts,
  type GatewayContext,
  loadContexts,
  parseContexts,
  saveContexts,
} from './contexts-file.js'
export type { IgnoredSecret, UrlOrigin } from './credentials.js'
export { ConfigError, type ConfigErrorCode } from './errors.js'
export { SETTINGS_OPTIONS, settingsFlagsFromValues } from './flags.js'
export { expandHome, homeDir, resolvePath } from './home.js'
export { checkPkcs11Signer, loadPluginSigner, loadSigner, type Pkcs11CheckStep } from './load-signer.js'
export { openclawConfigPath, openclawStateDir, readOpenClawConfig } from './openclaw-config.js'
export {
  auditLogPath,
  defaultProfileDir,
  loadProfileSettings,
  type ProfilePaths,
  type ProfileSettings,
  profilePaths,
  resolveProfile,
  saveProfileSettings,
} from './profile.js'
export {
  configValue,
  isSecretConfigured,
  parseJsonPointer,
  readJsonPointer,
  resolveSecretInput,
  resolveSecretRef,
  type SecretContext,
  type SecretRef,
  secretRefOf,
  substituteEnv,
} from './secret-ref.js'
export {
  describeSettings,
  type ResolvedSettings,
  type ResolveInput,
  resolveSettings,
  type SettingsFlags,
} from './settings.js'
export {
  describeSignerSpec,
  moduleRefusal,
  type SignerFlags,
  type SignerSpec,
  signerSpecFromFlags,
  validateSignerSpec,
} from './signer-spec.js'
export { assertTrusted } from './trust.js'
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
