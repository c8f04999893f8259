import type { DeviceSigner } from '@clawlink/protocol'
import type { GatewayClientOptions } from './client.js'
import { createFileDeviceTokenStore } from './token-store.js'

/** The connection part of resolved settings (structurally what `@clawlink/config` resolves). */
export interface ConnectionSettings {
  url: string
  token?: string | undefined
  password?: string | undefined
  tlsFingerprints: readonly string[]
  allowInsecurePlaintext: boolean
  paths: { deviceTokensFile: string }
}

/**
 * Client options both apps use: the profile's file device-token store, `cli`/`cli` identity (the closed enums,
 * PROTOCOL.md §2.3) and the default scope set, so the CLI and the MCP server pair and connect the same way.
 */
export function gatewayClientOptions(
  settings: ConnectionSettings,
  signer: DeviceSigner | undefined,
  version: string,
  extra: Partial<GatewayClientOptions> = {},
): GatewayClientOptions {
  return {
    url: settings.url,
    ...(settings.token ? { token: settings.token } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(signer ? { signer } : {}),
    deviceTokenStore: createFileDeviceTokenStore(settings.paths.deviceTokensFile),
    client: { id: 'cli', mode: 'cli', version },
    tlsFingerprints: settings.tlsFingerprints,
    allowInsecurePlaintext: settings.allowInsecurePlaintext,
    ...extra,
  }
}
