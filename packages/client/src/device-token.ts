import {
  buildDeviceTokenParams,
  type DeviceTokenRotation,
  parseDeviceTokenRotation,
} from '@clawlink/protocol'
import type { GatewayClient } from './client.js'
import { ClientError } from './errors.js'
import { displayUrl } from './url.js'

/** What `rotateDeviceToken` did: the new token is stored, never returned. */
export interface DeviceTokenRotated {
  deviceId: string
  role: string
  scopes: string[]
  rotatedAtMs: number | undefined
  tokenDelivery: DeviceTokenRotation['tokenDelivery']
  /** The gateway the token is bound to (the store's key). */
  gateway: string
}

/** What `revokeDeviceToken` did. */
export interface DeviceTokenRevoked {
  deviceId: string
  role: string
  gateway: string
  /** A token was cached locally and is now deleted. */
  clearedLocal: boolean
}

type CallOptions = { timeoutMs?: number; signal?: AbortSignal }

/** Connects, then checks the method exists on this gateway and the client has a device and a token store. */
async function prepare(client: GatewayClient, method: string, options: CallOptions) {
  const hello = await client.connect(options.signal ? { signal: options.signal } : {})
  const binding = client.deviceTokenBinding
  if (!binding)
    throw new ClientError('NO_DEVICE_IDENTITY', `${method} needs a device identity; this client has none`, {
      remedy:
        'Run `clawlink device init` (or drop --signer none): a token-only client has no device token to manage.',
    })
  if (!client.hasMethod(method)) {
    const version = hello.server.version ?? 'unknown version'
    throw new ClientError(
      'METHOD_UNSUPPORTED',
      `the gateway (OpenClaw ${version}, protocol ${hello.protocol}) has no ${method}`,
      {
        remedy: `Upgrade the gateway, or on its host run \`openclaw devices ${method.endsWith('rotate') ? 'rotate' : 'revoke'}\`.`,
      },
    )
  }
  return binding
}

/**
 * Rotates this device's token (`device.token.rotate`, this device and role, its scopes kept) and stores the new
 * one bound to this gateway. 9.x withholds the token from another device (`tokenDelivery`); a withheld token
 * leaves the store empty, so the next connect pairs again with the shared token.
 * @throws ClientError (NO_DEVICE_IDENTITY, METHOD_UNSUPPORTED, DEVICE_TOKEN_WITHHELD), GatewayError
 */
export async function rotateDeviceToken(
  client: GatewayClient,
  options: CallOptions = {},
): Promise<DeviceTokenRotated> {
  const { store, key } = await prepare(client, 'device.token.rotate', options)
  const answer = await client.request(
    'device.token.rotate',
    buildDeviceTokenParams(key.deviceId, key.role),
    options,
  )
  const rotated = parseDeviceTokenRotation(answer)
  // The old token is dead either way: keep only what the gateway handed over.
  await store.delete(key)
  if (!rotated.token)
    throw new ClientError(
      'DEVICE_TOKEN_WITHHELD',
      `the gateway rotated the device token but did not hand it over (tokenDelivery ${rotated.tokenDelivery})`,
      {
        remedy:
          'Nothing is lost: the next command connects with the shared token and gets the new token in hello-ok; run `clawlink device rotate` then to rotate it with its own proof (9.x hands a rotated token only to a connection made with the old one).',
      },
    )
  await store.set(key, {
    token: rotated.token,
    scopes: rotated.scopes,
    url: displayUrl(new URL(client.url)),
    ...(rotated.rotatedAtMs !== undefined ? { issuedAtMs: rotated.rotatedAtMs } : {}),
  })
  return {
    deviceId: key.deviceId,
    role: key.role,
    scopes: rotated.scopes,
    rotatedAtMs: rotated.rotatedAtMs,
    tokenDelivery: rotated.tokenDelivery,
    gateway: key.gateway,
  }
}

/**
 * Revokes this device's token on the gateway (`device.token.revoke`) and deletes the cached copy: the next
 * connect authenticates with the shared secret (and the gateway may issue a new device token).
 * @throws ClientError (NO_DEVICE_IDENTITY, METHOD_UNSUPPORTED), GatewayError
 */
export async function revokeDeviceToken(
  client: GatewayClient,
  options: CallOptions = {},
): Promise<DeviceTokenRevoked> {
  const { store, key } = await prepare(client, 'device.token.revoke', options)
  await client.request('device.token.revoke', buildDeviceTokenParams(key.deviceId, key.role), options)
  const clearedLocal = (await store.get(key)) !== undefined
  await store.delete(key)
  return { deviceId: key.deviceId, role: key.role, gateway: key.gateway, clearedLocal }
}

/** This device's token for this client's gateway as the profile holds it (metadata only), or undefined. */
export async function cachedDeviceToken(
  client: GatewayClient,
): Promise<{ issuedAtMs: number | undefined; scopes: string[] } | undefined> {
  const binding = client.deviceTokenBinding
  const stored = binding ? await binding.store.get(binding.key).catch(() => undefined) : undefined
  return stored ? { issuedAtMs: stored.issuedAtMs, scopes: stored.scopes } : undefined
}
