import type { DeviceSigner } from '@clawlink/protocol'
import type { ReconnectOptions } from './backoff.js'
import type { ConnectProgress, SharedSecrets, StartingRetryOptions } from './connector.js'
import type { HandshakeIdentity } from './handshake.js'
import type { ApprovalProgress, ApprovalWaitOptions } from './pairing.js'
import type { ReconnectProgress } from './reconnect.js'
import type { AuthMethod } from './session.js'
import type { DeviceTokenStore } from './token-store.js'

/** Connection state of a `GatewayClient`. */
export type GatewayClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'paused' | 'closed'

/** Progress and warnings, for a CLI spinner, a log or the MCP server's stderr. */
export type ClientProgressEvent =
  | Exclude<ConnectProgress, { kind: 'token-store-warning' | 'credentials-warning' }>
  | ReconnectProgress
  | ApprovalProgress
  | { kind: 'connected'; protocol: number; scopes: readonly string[]; authMethod: AuthMethod }
  | { kind: 'disconnected'; code: number | undefined; reason: string | undefined; error: Error }
  | { kind: 'reconnected' }
  | {
      kind: 'warning'
      code: 'NO_SCOPES_TOKEN_ONLY' | 'SCOPES_REDUCED' | 'DEVICE_TOKEN_STORE' | 'CREDENTIALS_RELOAD'
      message: string
    }

/** Client identity sent in `connect.params.client` (docs/protocol.md §2.2, closed enums §2.3). */
export type ClientIdentityOptions = Partial<HandshakeIdentity>

export type GatewayClientOptions = {
  /** `ws://` or `wss://` gateway URL. */
  url: string
  /** Shared gateway token (`gateway.auth.token`). */
  token?: string
  /** Shared gateway password (`gateway.auth.password`). */
  password?: string
  /**
   * Reads the shared token/password again from their source. After a mismatch (a rotated token: close 4001,
   * then AUTH_TOKEN_MISMATCH on the reconnect) a changed secret is taken and tried once per connect.
   */
  credentials?: () => Promise<SharedSecrets>
  /**
   * Authenticate with the stored device token first (`clawlink device rotate`: 9.x hands the new token only to
   * a connection that proved the old one); a refused one is cleared and the shared secret used. @default false
   */
  preferDeviceToken?: boolean
  /** Device identity; without one the gateway clears the scopes of most connections (docs/protocol.md §5.3). */
  signer?: DeviceSigner
  /** Where device tokens are kept between runs; each is bound to the gateway that issued it. */
  deviceTokenStore?: DeviceTokenStore
  client?: ClientIdentityOptions
  /** @default 'operator' */
  role?: 'operator' | 'node'
  /** Requested up front: a later scope upgrade needs a human on 5.7 (docs/protocol.md §5.4). @default CLAWLINK_SCOPES */
  scopes?: readonly string[]
  /** @default 3 */
  minProtocol?: number
  /** @default 4 */
  maxProtocol?: number
  /** Deadline for the socket to open, for the signer, and for the answer to `connect`. @default 10000 */
  connectTimeoutMs?: number
  /** Deadline for `connect.challenge` after the socket opened. @default 10000 */
  challengeTimeoutMs?: number
  /** Per-request deadline, including any wait for a connection. @default 30000 */
  requestTimeoutMs?: number
  /** Retry budget while the gateway is starting. */
  startingRetry?: StartingRetryOptions
  /** SHA-256 certificate fingerprints; any match is accepted (docs/protocol.md §10). */
  tlsFingerprints?: readonly string[]
  /** Allow `ws://` to a public host (the token travels in clear). @default false */
  allowInsecurePlaintext?: boolean
  /** Reconnect after an unexpected close (long-lived users such as the MCP server). @default false */
  reconnect?: boolean | ReconnectOptions
  /**
   * When the gateway wants an operator's approval (pairing, scope upgrade), wait for it instead of failing:
   * `connect()` then ends at approval, at a rejection (PAIRING_REJECTED) or at its signal (APPROVAL_TIMEOUT).
   * @default false
   */
  waitApproval?: boolean | ApprovalWaitOptions
  /** Check method scopes locally before sending. @default true */
  scopePreflight?: boolean
  /** Receives every frame, secrets redacted. */
  debugLog?: (line: string) => void
  onProgress?: (event: ClientProgressEvent) => void
  /** Aborting closes the client; its reason (a deadline) becomes the error of everything still waiting. */
  signal?: AbortSignal
}

export type RequestOptions = {
  /** Deadline of this request, including any wait for a connection. @default the client's requestTimeoutMs */
  timeoutMs?: number
  signal?: AbortSignal
  /** Skip interim `{status:"accepted"}` responses and wait for the final one (docs/protocol.md §1.2). @default true */
  expectFinal?: boolean
  /** Receives the byte size of the response frame. */
  onResponseBytes?: (bytes: number) => void
}

/** A change of connection, for long waits that must notice a drop (the run path polls at once). */
export type ConnectionChange = { kind: 'connected' } | { kind: 'disconnected'; error: Error }
