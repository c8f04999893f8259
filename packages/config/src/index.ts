export { ConfigError, type ConfigErrorCode } from './errors.js'
export { SETTINGS_OPTIONS, settingsFlagsFromValues } from './flags.js'
export { checkPkcs11Signer, loadPluginSigner, loadSigner, type Pkcs11CheckStep } from './load-signer.js'
export { openclawConfigPath, openclawStateDir, readOpenClawConfig } from './openclaw-config.js'
export {
  defaultProfileDir,
  loadProfileSettings,
  type ProfilePaths,
  type ProfileSettings,
  profilePaths,
  saveProfileSettings,
} from './profile.js'
export {
  describeSettings,
  type ResolvedSettings,
  type ResolveInput,
  resolveSettings,
  type SettingsFlags,
} from './settings.js'
export { describeSignerSpec, type SignerFlags, type SignerSpec, signerSpecFromFlags } from './signer-spec.js'
