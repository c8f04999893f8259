import { ClawlinkError } from '@clawlink/protocol'

/** Codes of {@link OAuthSetupError} (docs/errors.md "clawlink-mcp — OAuth"). */
export type OAuthSetupCode =
  | 'OAUTH_FLAGS_INCOMPLETE'
  | 'OAUTH_ISSUER_INVALID'
  | 'OAUTH_AUDIENCE_INVALID'
  | 'OAUTH_DISCOVERY_FAILED'

/**
 * A start-up refusal of OAuth mode: nothing listens until the issuer and the audience are usable. Constructed as
 * `new OAuthSetupError(code, message, { remedy })`.
 */
export class OAuthSetupError extends ClawlinkError<OAuthSetupCode> {
  override name = 'OAuthSetupError'
}

/** The flags of OAuth resource-server mode. */
export interface OAuthFlags {
  'oauth-issuer'?: string | undefined
  'oauth-audience'?: string | undefined
}

/** OAuth mode as the flags ask for it, checked before anything listens. */
export interface OAuthSetup {
  /** The authorization server's issuer identifier, exactly as given (tokens' `iss` must equal it). */
  issuer: string
  /** This server's resource identifier (RFC 8707), exactly as given: tokens' `aud` must name it. */
  audience: string
}

/** Whether a URL's host reaches only this machine (plain http is allowed only there). */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * Checks one URL flag: https, or http on a loopback host; no fragment; no query or credentials where noted.
 * @returns the problem in words, or undefined when the URL is fine
 */
export function urlProblem(text: string, opts: { query: boolean }): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url)))
    return url.protocol === 'http:'
      ? 'must use https (plain http only on a loopback host)'
      : `has scheme ${url.protocol} (https required)`
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (text.includes('#')) return 'must not have a fragment'
  if (!opts.query && url.search !== '') return 'must not have a query'
  return undefined
}

function checked(
  flag: keyof OAuthFlags,
  value: string,
  code: OAuthSetupCode,
  example: string,
  query: boolean,
): string {
  const text = value.trim()
  const problem = urlProblem(text, { query })
  if (problem !== undefined)
    throw new OAuthSetupError(code, `--${flag} ${JSON.stringify(value)} ${problem}`, {
      remedy: `e.g. --${flag} ${example}`,
    })
  return text
}

/**
 * Validates `--oauth-issuer URL --oauth-audience URL`: both or neither (undefined = OAuth off); each https (http
 * only on loopback), without fragment; the issuer also without a query (RFC 8414 §2).
 * @throws OAuthSetupError
 */
export function oauthSetup(flags: OAuthFlags): OAuthSetup | undefined {
  const issuer = flags['oauth-issuer']
  const audience = flags['oauth-audience']
  if (issuer === undefined && audience === undefined) return undefined
  if (issuer === undefined || audience === undefined)
    throw new OAuthSetupError(
      'OAUTH_FLAGS_INCOMPLETE',
      `--${issuer === undefined ? 'oauth-issuer' : 'oauth-audience'} is missing: OAuth mode needs both --oauth-issuer and --oauth-audience`,
      { remedy: 'e.g. --oauth-issuer https://id.example.com --oauth-audience https://mcp.example.com/mcp' },
    )
  return {
    issuer: checked('oauth-issuer', issuer, 'OAUTH_ISSUER_INVALID', 'https://id.example.com', false),
    audience: checked(
      'oauth-audience',
      audience,
      'OAUTH_AUDIENCE_INVALID',
      'https://mcp.example.com/mcp (the URL clients use to reach this server)',
      true,
    ),
  }
}
