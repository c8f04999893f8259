import { DEFAULT_MAX_PROTOCOL, DEFAULT_MIN_PROTOCOL, normalizeFingerprint } from '@clawlink/protocol'
import type { ClientProgressEvent, GatewayClientOptions } from './client-options.js'
import type { ConnectorOptions } from './connector.js'
import { ClientError } from './errors.js'
import { gatewayKey } from './token-store.js'
import { frameLog } from './transport.js'
import { isLoopbackHost } from './url.js'

const CLIENT_VERSION = '0.1.0'

/**
 * What every connect attempt of a client shares: the handshake's static inputs, the credentials, the device token
 * bound to this gateway, and where progress goes.
 */
export function connectorOptions(
  o: GatewayClientOptions,
  url: URL,
  pins: string[],
  hooks: {
    scopes: readonly string[]
    deviceId: string | undefined
    nextId: () => string
    progress: (event: ClientProgressEvent) => void
  },
): ConnectorOptions {
  const identity = o.client ?? {}
  const signer = o.signer
  const role = o.role ?? 'operator'
  return {
    handshake: {
      url,
      pins,
      signer,
      client: {
        id: identity.id ?? 'cli',
        mode: identity.mode ?? 'cli',
        version: identity.version ?? CLIENT_VERSION,
        platform: identity.platform ?? process.platform,
        displayName: identity.displayName,
        deviceFamily: identity.deviceFamily,
        instanceId: identity.instanceId,
      },
      role,
      scopes: hooks.scopes,
      protocol: { min: o.minProtocol ?? DEFAULT_MIN_PROTOCOL, max: o.maxProtocol ?? DEFAULT_MAX_PROTOCOL },
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      challengeTimeoutMs: o.challengeTimeoutMs ?? 10_000,
      nextId: hooks.nextId,
      log: frameLog(o.debugLog),
    },
    token: o.token,
    password: o.password,
    credentials: o.credentials,
    preferDeviceToken: o.preferDeviceToken,
    tokens:
      signer && o.deviceTokenStore && hooks.deviceId
        ? {
            store: o.deviceTokenStore,
            key: { gateway: gatewayKey(o.url, pins), deviceId: hooks.deviceId, role },
          }
        : undefined,
    trustedEndpoint: isLoopbackHost(url.hostname) || (url.protocol === 'wss:' && pins.length > 0),
    startingRetry: o.startingRetry ?? {},
    onProgress: (event) => {
      if (event.kind === 'token-store-warning') {
        hooks.progress({ kind: 'warning', code: 'DEVICE_TOKEN_STORE', message: event.message })
      } else if (event.kind === 'credentials-warning') {
        const message = `could not read the gateway credentials again: ${event.message}`
        hooks.progress({ kind: 'warning', code: 'CREDENTIALS_RELOAD', message })
      } else hooks.progress(event)
    },
  }
}

/** A SHA-256 certificate pin, normalised; anything else is refused rather than silently dropped. */
export function checkPin(pin: string): string {
  const normalised = normalizeFingerprint(pin)
  if (/^[0-9a-f]{64}$/.test(normalised)) return normalised
  throw new ClientError(
    'TLS_PIN_INVALID',
    `"${pin.slice(0, 100)}" is not a SHA-256 certificate fingerprint`,
    {
      remedy:
        'Pass the 64 hex digits of the certificate\'s SHA-256 fingerprint (openssl x509 -in cert.pem -noout -fingerprint -sha256); colons and a "SHA256:" prefix are fine.',
    },
  )
}
