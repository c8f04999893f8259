import {
  classifyGatewayError,
  describeCloseCode,
  type GatewayError,
  type WireError,
} from '@clawlink/protocol'
import { formatMs } from './deadline.js'
import { ClientError } from './errors.js'

// The errors of the handshake phases, each with its fix (docs/protocol.md §2, §4.3, §8, §10).

/** A socket-level failure before the WebSocket opened. */
export function networkError(url: string, error: Error & { code?: string }): ClientError {
  const code = error.code
  if (code === 'ECONNREFUSED') {
    return new ClientError('CONNECT_REFUSED', `cannot connect to ${url}: connection refused`, {
      remedy:
        'Is the gateway running? Check with `openclaw gateway status`, and that the URL and port are right.',
      retryable: true,
      cause: error,
    })
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return untrustedCertificateError(url, error)
  const what =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'host name not found'
      : code === 'ETIMEDOUT'
        ? 'connection timed out'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? 'host unreachable'
          : code === 'ECONNRESET'
            ? 'connection reset'
            : error.message
  return new ClientError('UNREACHABLE', `cannot reach ${url}: ${what}`, {
    remedy: 'Check the gateway URL and the network path; is the gateway running? `openclaw gateway status`',
    retryable: true,
    cause: error,
  })
}

/** The fingerprint as `openssl x509 -fingerprint -sha256` prints it (`AB:CD:…`), which `--tls-fingerprint` takes. */
function opensslStyle(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase()
  return hex.match(/../g)?.join(':') ?? hex
}

/**
 * An unpinned `wss://` whose certificate Node does not trust (self-signed, unknown CA, wrong host name): TLS_UNTRUSTED
 * with the certificate's SHA-256 fingerprint and the exact `--tls-fingerprint` to add once it is verified.
 */
export function untrustedCertificateError(
  url: string,
  error: Error & { code?: string; certFingerprint256?: string },
): ClientError {
  const seen = error.certFingerprint256 ? opensslStyle(error.certFingerprint256) : undefined
  const why = error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'self-signed' : (error.code ?? error.message)
  const check =
    'on the gateway host: openssl x509 -in <state dir>/gateway/tls/gateway-cert.pem -noout -fingerprint -sha256'
  return new ClientError(
    'TLS_UNTRUSTED',
    `TLS certificate of ${url} is not trusted (${why})${seen ? `; its SHA-256 fingerprint is ${seen}` : ''}`,
    {
      remedy: seen
        ? `Verify that fingerprint out of band first (${check}); if it matches, add --tls-fingerprint ${seen} (or gateway.remote.tlsFingerprint). If it does not match, do not connect.`
        : `Pin the certificate's SHA-256 fingerprint (--tls-fingerprint) after verifying it out of band (${check}).`,
      cause: error,
      ...(seen ? { details: { fingerprint256: seen, reason: why } } : { details: { reason: why } }),
    },
  )
}

/** No WebSocket within the connect deadline. */
export function openTimeoutError(url: string, ms: number): ClientError {
  return new ClientError(
    'UNREACHABLE',
    `cannot reach ${url}: no WebSocket connection within ${formatMs(ms)}`,
    {
      remedy: 'Check the URL, the network path and that the gateway is running (`openclaw gateway status`).',
      retryable: true,
    },
  )
}

/** The socket opened but no `connect.challenge` came. */
export function challengeTimeoutError(url: string, ms: number): ClientError {
  return new ClientError(
    'CHALLENGE_TIMEOUT',
    `${url} accepted the WebSocket but sent no connect.challenge within ${formatMs(ms)}`,
    {
      remedy:
        'Is this an OpenClaw gateway? Check the URL and port; the gateway may be overloaded (`openclaw gateway status`).',
      retryable: true,
    },
  )
}

/** The device signer (an agent, an exec helper, an HSM) did not answer in time. */
export function signerTimeoutError(ms: number): ClientError {
  return new ClientError('REQUEST_TIMEOUT', `the device signer did not sign within ${formatMs(ms)}`, {
    remedy: 'Check the signer (is the agent running, does the key need a touch or a PIN?).',
    retryable: true,
  })
}

/** `connect` was sent but no answer came. */
export function helloTimeoutError(ms: number): ClientError {
  return new ClientError('REQUEST_TIMEOUT', `gateway did not answer connect within ${formatMs(ms)}`, {
    remedy: 'The gateway may be overloaded or stuck; check `openclaw gateway status` and its log.',
    retryable: true,
  })
}

/** An HTTP answer instead of the upgrade. */
export function httpInsteadOfUpgradeError(url: string, status: number | undefined): ClientError {
  return new ClientError('UNREACHABLE', `${url} answered HTTP ${status} instead of a WebSocket upgrade`, {
    remedy:
      'Check the URL: it must point at the gateway port itself (a proxy in between must forward WebSocket upgrades).',
    retryable: (status ?? 0) >= 500,
  })
}

/** The socket closed (or failed) before `hello-ok`; 1013 is the gateway's start-up phase. */
export function closedBeforeHelloError(
  url: string,
  code: number,
  reason: string,
  opened: boolean,
): ClientError {
  if (!opened) {
    return new ClientError('UNREACHABLE', `cannot open a WebSocket to ${url} (close ${code})`, {
      remedy: 'Check the URL and that the gateway is running (`openclaw gateway status`).',
      retryable: true,
    })
  }
  const meaning = describeCloseCode(code, reason)
  return new ClientError(
    'CLOSED_BEFORE_HELLO',
    `gateway closed the connection before hello-ok (close ${code}${reason ? '' : ', no reason'}): ${meaning.meaning}`,
    {
      remedy:
        code === 1000 && !reason
          ? "The gateway's handshake timeout expired or it rejected the connection without a reason; check the gateway log (`openclaw logs`), the server version and the token."
          : 'Check the gateway log (`openclaw logs`) for why it rejected the connection.',
      retryable: meaning.retryable,
      closeCode: code,
      closeReason: reason,
      ...(code === 1013 ? { retryAfterMs: 500 } : {}),
    },
  )
}

/** The socket errored after it opened, before `hello-ok`. */
export function handshakeSocketError(url: string, error: Error): ClientError {
  return new ClientError(
    'CLOSED_BEFORE_HELLO',
    `connection to ${url} failed during the handshake: ${error.message}`,
    {
      remedy: 'Retry; if it persists check the gateway log (`openclaw logs`).',
      retryable: true,
      cause: error,
    },
  )
}

/** The challenge had no usable nonce. */
export function missingNonceError(): ClientError {
  return new ClientError('CLOSED_BEFORE_HELLO', 'connect.challenge carried no nonce', {
    remedy: 'This gateway is not speaking the OpenClaw protocol clawlink expects; check the URL.',
  })
}

/** The certificate matched none of the pins. */
export function pinError(seen: string, pinCount: number): ClientError {
  return new ClientError(
    'TLS_PIN_MISMATCH',
    `gateway TLS certificate fingerprint ${seen === 'missing' ? 'unavailable' : `sha256:${seen}`} matches none of the ${pinCount} pinned fingerprint(s)`,
    {
      remedy:
        'If the gateway certificate was renewed on purpose, verify the new fingerprint out of band and update the pin; otherwise do not connect (possible interception).',
    },
  )
}

/** `connect` answered with an error: classified, with the measured clock skew for an expired signature. */
export function connectError(
  wire: WireError | undefined,
  offered: { min: number; max: number },
  skewMs: number | undefined,
  challengeTs: number | undefined,
): GatewayError {
  const base: WireError = wire ?? { code: 'UNAVAILABLE', message: 'connect failed without an error body' }
  const error = classifyGatewayError(base, {
    method: 'connect',
    clientMinProtocol: offered.min,
    clientMaxProtocol: offered.max,
  })
  if (error.code !== 'DEVICE_SIGNATURE_EXPIRED') return error
  // docs/protocol.md §4.3: the gateway accepts ±120 s; report what we measured.
  const skewText =
    skewMs === undefined
      ? 'the challenge carried no ts, so signedAt came from this machine\u2019s clock'
      : `measured clock skew: gateway ${skewMs >= 0 ? 'ahead of' : 'behind'} this machine by ${formatMs(skewMs)} (challenge ts ${challengeTs})`
  error.message = `${error.message} (${skewText})`
  error.details.clockSkewMs = skewMs
  Object.defineProperty(error, 'remedy', {
    value: `Sync this machine's clock (NTP) with the gateway host: signatures older or newer than 120 s are refused. ${error.remedy}`,
    enumerable: true,
  })
  return error
}
