import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errors, Provider } from 'oidc-provider'
import { type IdpAlg, type IdpKey, type MintKind, makeKey, mintToken } from './keys.js'

export type { IdpAlg, MintKind } from './keys.js'

/** The scopes the test IdP grants for clawlink-mcp. */
export const IDP_SCOPES = ['clawlink:read', 'clawlink:run', 'clawlink:write'] as const

/** The confidential clients of the test IdP (client credentials only) and the scopes each may obtain. */
export const IDP_CLIENTS = {
  /** May only read: list, preview, check, runs, status. */
  reader: 'clawlink:read',
  /** May read and run jobs. */
  runner: 'clawlink:read clawlink:run',
  /** May read, run and change jobs. */
  writer: 'clawlink:read clawlink:run clawlink:write',
} as const
export type IdpClientId = keyof typeof IDP_CLIENTS

/** Options of {@link startIdp}. */
export interface IdpOptions {
  /** The algorithm access tokens are signed with (default ES256; the key set always holds RS256, ES256, EdDSA keys). */
  alg?: IdpAlg
  /** Resource indicators the IdP issues tokens for; default any http(s) URL on a loopback host. */
  resources?: string[]
  /** Lifetime of access tokens (default 600 s). */
  accessTokenTtlS?: number
}

/** A running oidc-provider on 127.0.0.1 that issues JWT access tokens (RFC 9068) by the client-credentials grant. */
export interface TestIdp {
  /** Issuer identifier (`http://127.0.0.1:<port>`), also the base of its endpoints. */
  issuer: string
  /** The IdP's JWKS URL (what discovery finds in its metadata). */
  jwksUrl: string
  /** The secret of a client (client_secret_basic). */
  secretOf(clientId: IdpClientId): string
  /**
   * Asks the IdP's token endpoint for an access token (client credentials, RFC 8707 `resource`), like a real
   * client. `scope` defaults to everything the client may have. Rejects with the IdP's `error` when it refuses.
   */
  getToken(opts: { clientId: IdpClientId; resource: string; scope?: string }): Promise<string>
  /** A token with the IdP's claims and one deliberate defect (see {@link MintKind}), made without the IdP. */
  mintToken(
    kind: MintKind,
    opts: { clientId: IdpClientId; resource: string; scope?: string },
  ): Promise<string>
  close(): Promise<void>
}

function loopbackResource(resource: string): boolean {
  try {
    const url = new URL(resource)
    return /^https?:$/.test(url.protocol) && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  } catch {
    return false
  }
}

function configuration(keys: IdpKey[], signing: IdpKey, opts: IdpOptions, secrets: Map<string, string>) {
  const allowed = (r: string) =>
    opts.resources === undefined ? loopbackResource(r) : opts.resources.includes(r)
  return {
    clients: Object.entries(IDP_CLIENTS).map(([client_id, scope]) => ({
      client_id,
      client_secret: secrets.get(client_id),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    })),
    jwks: { keys: keys.map((k) => k.privateJwk) },
    scopes: [...IDP_SCOPES],
    ttl: { ClientCredentials: opts.accessTokenTtlS ?? 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!allowed(resource)) throw new errors.InvalidTarget(`this IdP does not serve ${resource}`)
          return {
            scope: IDP_SCOPES.join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: signing.alg } },
          }
        },
      },
    },
  }
}

/** Starts oidc-provider on a free loopback port. Close it with `close()`. */
export async function startIdp(opts: IdpOptions = {}): Promise<TestIdp> {
  const keys = await Promise.all((['RS256', 'ES256', 'EdDSA'] as const).map(makeKey))
  const signing = keys.find((k) => k.alg === (opts.alg ?? 'ES256')) as IdpKey
  const secrets = new Map(Object.keys(IDP_CLIENTS).map((id) => [id, `${id}-${crypto.randomUUID()}`]))
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, configuration(keys, signing, opts, secrets))
  server.on('request', provider.callback())
  const secretOf = (id: IdpClientId): string => secrets.get(id) as string
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    secretOf,
    getToken: async ({ clientId, resource, scope }) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource })
      body.set('scope', scope ?? IDP_CLIENTS[clientId])
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secretOf(clientId)}`).toString('base64')}`,
        },
        body,
      })
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string }
      if (!res.ok || json.access_token === undefined)
        throw new Error(`the IdP refused a token: ${json.error} (${json.error_description})`)
      return json.access_token
    },
    mintToken: (kind, { clientId, resource, scope }) =>
      mintToken(kind, signing, { issuer, clientId, resource, scope: scope ?? IDP_CLIENTS[clientId] }),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
