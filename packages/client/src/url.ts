import { isIP } from 'node:net'
import { ClientError } from './errors.js'

function ipv4Parts(host: string): number[] | undefined {
  if (isIP(host) !== 4) return undefined
  return host.split('.').map((p) => Number(p))
}

/** The URL as shown to people and kept with a stored token: its href without the trailing slash. */
export function displayUrl(url: URL): string {
  return url.href.replace(/\/$/, '')
}

/** A URL's hostname without the brackets of an IPv6 literal (`[::1]` → `::1`). */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '')
}

/** True when the host is loopback, private or link-local (the token stays on a network the user controls). */
export function isPrivateHost(hostname: string): boolean {
  const host = bareHost(hostname).toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  // docs/protocol.md §6.3: 9.6 accepts loopback, private IP literals, `.local` and `*.ts.net` for plaintext ws://.
  if (host.endsWith('.local') || host.endsWith('.ts.net')) return true
  const v4 = ipv4Parts(host)
  if (v4) {
    const [a = -1, b = -1] = v4
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) || // CGNAT 100.64/10 (Tailscale)
      (a === 169 && b === 254)
    )
  }
  if (isIP(host) === 6) {
    if (host === '::1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)
    if (mapped?.[1]) return isPrivateHost(mapped[1])
    const first = Number.parseInt(host.split(':')[0] || '0', 16)
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 // fc00::/7, fe80::/10
  }
  return false
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = bareHost(hostname).toLowerCase()
  if (host === 'localhost' || host === '::1') return true
  return ipv4Parts(host)?.[0] === 127
}

/**
 * Validate a gateway URL before any socket is opened.
 * @throws ClientError INVALID_URL, INSECURE_URL, TLS_PIN_REQUIRES_WSS
 */
export function checkGatewayUrl(
  url: string,
  options: { allowInsecurePlaintext?: boolean; tlsFingerprints?: readonly string[] } = {},
): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ClientError('INVALID_URL', `invalid gateway URL: ${JSON.stringify(url)}`, {
      remedy: 'Use a WebSocket URL such as ws://127.0.0.1:18789 or wss://gateway.example.com.',
      cause,
    })
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ClientError(
      'INVALID_URL',
      `gateway URL must start with ws:// or wss://, got ${parsed.protocol}//`,
      {
        remedy: `Use ws://${parsed.host || '127.0.0.1:18789'} (or wss:// for a TLS gateway).`,
      },
    )
  }
  if (parsed.username || parsed.password) {
    throw new ClientError('INVALID_URL', 'gateway URL must not carry credentials', {
      remedy: 'Pass the token through the token option (from a file or the environment), not the URL.',
    })
  }
  const pins = options.tlsFingerprints ?? []
  if (pins.length > 0 && parsed.protocol !== 'wss:') {
    // docs/protocol.md §10: a pin with a non-wss URL is a configuration error.
    throw new ClientError('TLS_PIN_REQUIRES_WSS', 'a TLS fingerprint pin requires a wss:// gateway URL', {
      remedy: `Use wss://${parsed.host} or drop the fingerprint.`,
    })
  }
  if (parsed.protocol === 'ws:' && !isPrivateHost(parsed.hostname) && !options.allowInsecurePlaintext) {
    throw new ClientError(
      'INSECURE_URL',
      `refusing plaintext ws:// to ${parsed.hostname}: the gateway token would travel unencrypted`,
      {
        remedy: `Use wss://${parsed.host} (pin its certificate with a TLS fingerprint if it is self-signed), or allow insecure plaintext explicitly if the network is trusted.`,
      },
    )
  }
  return parsed
}
