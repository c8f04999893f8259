import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { ClawlinkError } from '@clawlink/protocol'

/** Codes of {@link HttpSetupError} (docs/errors.md "clawlink-mcp"). */
export type HttpSetupCode =
  | 'HTTP_LISTEN_INVALID'
  | 'HTTP_TOKEN_MISSING'
  | 'HTTP_TOKEN_WEAK'
  | 'HTTP_TOKEN_FILE'
  | 'HTTP_ORIGIN_INVALID'
  | 'HTTP_REPLICA_ID'

/** A start-up refusal of the HTTP transport: nothing listens until the flags are safe. */
export class HttpSetupError extends ClawlinkError<HttpSetupCode> {
  override name = 'HttpSetupError'
}

/** Where `--http [HOST:]PORT` listens. */
export interface ListenAddress {
  host: string
  port: number
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/** Parses `--http [HOST:]PORT` (`8080`, `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`); 127.0.0.1 by default. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text.trim())
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port > 65_535)
    throw new HttpSetupError('HTTP_LISTEN_INVALID', `--http ${JSON.stringify(text)} is not [HOST:]PORT`, {
      remedy: 'e.g. --http 8765 (127.0.0.1) or --http 127.0.0.1:8765',
    })
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '')
  return { host, port }
}

/** Whether a listen host reaches only this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * The bearer token: `--http-token-file` (a private file), else CLAWLINK_MCP_HTTP_TOKEN. Required on every
 * address, so a loopback port is not open to every local process either.
 * @throws HttpSetupError
 */
export function loadHttpToken(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  address: ListenAddress,
): string {
  let token = env.CLAWLINK_MCP_HTTP_TOKEN?.trim()
  if (file !== undefined) {
    try {
      const st = statSync(file)
      if (!st.isFile()) throw new Error('not a regular file')
      if ((st.mode & 0o077) !== 0)
        throw new HttpSetupError(
          'HTTP_TOKEN_FILE',
          `the HTTP token file ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
          { remedy: `chmod 600 ${file}` },
        )
      token = readFileSync(file, 'utf8').trim()
    } catch (error) {
      if (error instanceof HttpSetupError) throw error
      throw new HttpSetupError(
        'HTTP_TOKEN_FILE',
        `cannot read the HTTP token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { remedy: 'check the path and its permissions' },
      )
    }
  }
  if (!token)
    throw new HttpSetupError(
      'HTTP_TOKEN_MISSING',
      `--http on ${address.host}:${address.port} needs a bearer token${isLoopback(address.host) ? '' : ': that address is reachable from other machines'}`,
      {
        remedy:
          '(umask 077; openssl rand -hex 32 > ~/.config/clawlink/mcp-http.token) and pass --http-token-file ~/.config/clawlink/mcp-http.token, or set CLAWLINK_MCP_HTTP_TOKEN',
      },
    )
  if (token.length < 16 || /\s/.test(token))
    throw new HttpSetupError(
      'HTTP_TOKEN_WEAK',
      'the HTTP bearer token must be at least 16 characters without spaces',
      { remedy: 'use a random one: openssl rand -hex 32' },
    )
  return token
}

/** A constant-time check of an `Authorization: Bearer …` header (digests compared, so lengths do not leak). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+)\s*$/i.exec(header ?? '')?.[1] ?? ''
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0
}

/** Normalizes an `--http-allow-origin` value to `scheme://host[:port]`. @throws HttpSetupError */
export function normalizeOrigin(text: string): string {
  try {
    const url = new URL(text)
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null') return url.origin
  } catch {}
  throw new HttpSetupError(
    'HTTP_ORIGIN_INVALID',
    `--http-allow-origin ${JSON.stringify(text)} is not an http(s) origin`,
    { remedy: 'e.g. --http-allow-origin https://assistant.example.com' },
  )
}

/** Which `Origin` and `Host` headers a server on `address` answers (DNS-rebinding protection). */
export interface RequestGuard {
  originAllowed(origin: string | undefined): boolean
  hostAllowed(host: string | undefined): boolean
}

function hostsOf(address: ListenAddress, port: number): string[] {
  const names = ['localhost', '127.0.0.1', '[::1]']
  const wildcard = address.host === '0.0.0.0' || address.host === '::'
  if (wildcard) {
    for (const list of Object.values(networkInterfaces()))
      for (const i of list ?? []) names.push(i.family === 'IPv6' ? `[${i.address}]` : i.address)
  } else if (!LOOPBACK.has(address.host)) {
    names.push(address.host.includes(':') ? `[${address.host}]` : address.host)
  }
  return names.map((n) => `${n}:${port}`.toLowerCase())
}

/**
 * Allows requests without an Origin (non-browser clients) or from http(s)://localhost|127.0.0.1|[::1] on the
 * served port, plus `extraOrigins`; the Host header must name this server (or an allowed origin's host).
 */
export function createRequestGuard(
  address: ListenAddress,
  port: number,
  extraOrigins: string[],
): RequestGuard {
  const loopbackOrigins = ['localhost', '127.0.0.1', '[::1]'].flatMap((h) => [
    `http://${h}:${port}`,
    `https://${h}:${port}`,
  ])
  const origins = new Set([...loopbackOrigins, ...extraOrigins.map(normalizeOrigin)])
  const hosts = new Set([
    ...hostsOf(address, port),
    ...[...origins].map((o) => new URL(o).host.toLowerCase()),
  ])
  return {
    originAllowed: (origin) => origin === undefined || origins.has(origin.toLowerCase()),
    hostAllowed: (host) => host !== undefined && hosts.has(host.toLowerCase()),
  }
}
