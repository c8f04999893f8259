import { join } from 'node:path'
import {
  createFileDeviceTokenStore,
  createFilePairingLog,
  createGatewayClient,
  type GatewayClient,
  type GatewayClientOptions,
} from '@clawlink/client'
import { type DeviceSigner, deriveDeviceId } from '@clawlink/protocol'
import { withKeyTag } from './client-name.js'
import { loadSigner } from './load-signer.js'
import type { ResolvedSettings } from './settings.js'

/** What the app adds to settings when it opens a client. */
export type OpenClientOptions = Omit<
  GatewayClientOptions,
  | 'url'
  | 'token'
  | 'password'
  | 'credentials'
  | 'signer'
  | 'deviceTokenStore'
  | 'client'
  | 'tlsFingerprints'
  | 'allowInsecurePlaintext'
> & {
  /** The app's version, sent as `client.version`. */
  version: string
  /** Create the device key when the profile has none (the file and keychain signers). @default true */
  createKey?: boolean
}

/**
 * Settings → signer → client, the one way both apps open a gateway client (docs/architecture.md "The client"): the
 * profile's signer and device-token store, `cli`/`cli` (the closed enums, docs/protocol.md §2.3), the default
 * scope set, and a display name that tells the operator which clawlink profile, user, host and key this is.
 * Nothing is opened until the first request.
 * @throws ConfigError, SignerError
 */
export async function openGatewayClient(
  settings: ResolvedSettings,
  options: OpenClientOptions,
): Promise<{ client: GatewayClient; signer: DeviceSigner | undefined }> {
  const { version, createKey, waitApproval, ...rest } = options
  const signer = await loadSigner(settings.signer, settings.paths, {
    create: createKey ?? true,
    profile: settings.profile,
  })
  // The key's tag is part of the name: two keys of one user, host and profile are two clients to the gateway.
  const displayName = withKeyTag(
    settings.clientDisplayName,
    signer ? deriveDeviceId(signer.publicKey) : undefined,
  )
  const client = createGatewayClient({
    url: settings.url,
    ...(settings.token ? { token: settings.token } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    // A rotated shared secret is read again from its source after a mismatch (docs/remote-gateway.md).
    credentials: settings.credentials,
    ...(signer ? { signer } : {}),
    deviceTokenStore: createFileDeviceTokenStore(settings.paths.deviceTokensFile),
    client: { id: 'cli', mode: 'cli', version, ...(displayName ? { displayName } : {}) },
    tlsFingerprints: settings.tlsFingerprints,
    allowInsecurePlaintext: settings.allowInsecurePlaintext,
    // The log of when each pairing request was first seen tells a rejection from an expiry across runs.
    ...(waitApproval
      ? {
          waitApproval: {
            requestLog: createFilePairingLog(join(settings.paths.dir, 'pairing-requests.json')),
            ...(waitApproval === true ? {} : waitApproval),
          },
        }
      : {}),
    ...rest,
  })
  return { client, signer }
}
