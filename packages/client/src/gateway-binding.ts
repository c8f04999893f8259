import type { HelloOk } from '@clawlink/protocol'
import { ClientError } from './errors.js'

/**
 * The gateway a client's first hello-ok came from. Credentials are bound to it for the client's life: a reconnect
 * that lands on another gateway behind the same URL (a proxy or tunnel retargeted, a port taken over) is refused,
 * and nothing bound to the first gateway — its device token, a token it issued — goes to the other one.
 */
export interface GatewayBinding {
  /** What identifies the gateway in hello-ok, when it says (undefined: only the fallback guard applies). */
  identity: string | undefined
  /** For the error message: the release that answered. */
  version: string | undefined
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The gateway's identity from hello-ok: its state directory and config path (`snapshot.stateDir`,
 * `snapshot.configPath`, sent by 2026.3.13, 5.7 and 9.6 to admin sessions). Both survive a restart and an
 * in-place upgrade; two gateways on one host cannot share a state directory. `bootId` and `connId` change on
 * every restart or socket and identify nothing.
 */
export function gatewayIdentity(hello: HelloOk): string | undefined {
  const snapshot = hello.raw.snapshot
  if (typeof snapshot !== 'object' || snapshot === null) return undefined
  const s = snapshot as Record<string, unknown>
  const stateDir = text(s.stateDir)
  const configPath = text(s.configPath)
  if (stateDir === undefined && configPath === undefined) return undefined
  return `${stateDir ?? ''}\u0000${configPath ?? ''}`
}

export function bindingOf(hello: HelloOk): GatewayBinding {
  return { identity: gatewayIdentity(hello), version: hello.server.version }
}

/**
 * Refuses a hello-ok from another gateway than the bound one (both must name themselves: a gateway that does not
 * cannot be told apart, and is only kept from the device-token fallback).
 * @throws ClientError GATEWAY_CHANGED (not retryable)
 */
export function assertSameGateway(bound: GatewayBinding | undefined, hello: HelloOk, url: string): void {
  if (!bound?.identity) return
  const now = gatewayIdentity(hello)
  if (now === undefined || now === bound.identity) return
  const versions =
    bound.version !== hello.server.version
      ? ` (${bound.version ?? '?'} before, ${hello.server.version ?? '?'} now)`
      : ''
  throw new ClientError(
    'GATEWAY_CHANGED',
    `another gateway answered at ${url} after a reconnect${versions}: its state directory differs from the gateway this client connected to first; nothing it issued was kept and this client stops using it`,
    {
      remedy:
        'Check what now listens at that address (a proxy, tunnel or port forward that moved); run the command again to connect afresh, and pin wss:// with --tls-fingerprint when the path can change.',
      retryable: false,
    },
  )
}
