import type { SignerFlags } from './signer-spec.js'

/** Settings flags shared by the CLI and the MCP server. Secrets only by file or stdin, never a value on argv. */
export interface SettingsFlags extends SignerFlags {
  url?: string
  tokenFile?: string
  tokenStdin?: boolean
  passwordFile?: string
  passwordStdin?: boolean
  tlsFingerprint?: string[]
  profile?: string
  profileDir?: string
  allowInsecureWs?: boolean
  /** A named gateway from the contexts file (`clawlink context add`): its URL, pins, token file and profile. */
  context?: string
}
