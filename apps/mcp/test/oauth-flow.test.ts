import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startIdp, type TestIdp } from '@clawlink/testkit/idp'
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  selectResourceURL,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createJwtVerifier,
  insufficientScopeChallenge,
  isProtectedResourceMetadataPath,
  type JwtVerifier,
  protectedResourceMetadata,
  requiredScopeForRequest,
  unauthorizedChallenge,
} from '../src/oauth.js'

/**
 * The wiring the HTTP transport needs, in its smallest form: metadata routes, then the bearer check (401), then
 * the scope of the JSON-RPC request (403). The clients below are the MCP SDK's own OAuth discovery functions.
 */
async function handle(req: IncomingMessage, res: ServerResponse, resource: string, verifier: JwtVerifier) {
  const json = (status: number, body: unknown, challenge?: string) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(challenge ? { 'www-authenticate': challenge } : {}),
    })
    res.end(JSON.stringify(body))
  }
  if (req.method === 'GET' && isProtectedResourceMetadataPath(req.url ?? '', resource))
    return json(200, protectedResourceMetadata({ issuer: issuerOf(), audience: resource }))
  if (req.url !== '/mcp') return json(404, {})
  const check = await verifier.verify(req.headers.authorization)
  if (!check.ok) {
    const description = check.error === undefined ? undefined : check.reason
    return json(
      check.status,
      { error: check.code },
      unauthorizedChallenge({ resource, error: check.error, description }),
    )
  }
  let body = ''
  for await (const chunk of req) body += chunk
  const rpc = JSON.parse(body) as { method: string; params?: { name?: string } }
  const scope = requiredScopeForRequest(rpc.method, rpc.params?.name)
  if (scope !== undefined && !check.auth.scopes.includes(scope))
    return json(403, { error: 'insufficient_scope' }, insufficientScopeChallenge({ resource, scope }))
  json(200, { subject: check.auth.subject, clientId: check.auth.clientId })
}

let idp: TestIdp
let server: Server
let resource: string
const issuerOf = () => idp.issuer

beforeAll(async () => {
  idp = await startIdp()
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
  const verifier = createJwtVerifier({ issuer: idp.issuer, audience: resource })
  server.on('request', (req, res) => void handle(req, res, resource, verifier))
})
afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await idp?.close()
})

const call = (tool: string, token?: string) =>
  fetch(resource, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: tool, arguments: {} },
    }),
  })

describe('an MCP client finding its way from a 401 to a token (SDK discovery against the real IdP)', () => {
  it('401 → resource_metadata → authorization server → token for this resource → 200', async () => {
    const first = await call('list_cron_jobs')
    expect(first.status).toBe(401)
    const params = extractWWWAuthenticateParams(first)
    expect(params.error).toBeUndefined()
    const metadataUrl = params.resourceMetadataUrl as URL
    expect(metadataUrl.href).toBe(resource.replace('/mcp', '/.well-known/oauth-protected-resource/mcp'))
    const metadata = await discoverOAuthProtectedResourceMetadata(resource, {
      resourceMetadataUrl: metadataUrl,
    })
    expect(metadata.resource).toBe(resource)
    // Without the hint the SDK finds the same document by the path-specific well-known URL.
    expect(await discoverOAuthProtectedResourceMetadata(resource)).toEqual(metadata)
    const target = await selectResourceURL(resource, {} as never, metadata)
    expect(target?.href).toBe(resource)
    const as = await discoverAuthorizationServerMetadata(metadata.authorization_servers?.[0] as string)
    expect(as?.token_endpoint).toBe(`${idp.issuer}/token`)
    const token = await idp.getToken({ clientId: 'reader', resource })
    const second = await call('list_cron_jobs', token)
    expect(second.status).toBe(200)
    expect(await second.json()).toEqual({ subject: 'reader', clientId: 'reader' })
  })

  it('a bad token gets 401 invalid_token with its reason', async () => {
    const expired = await idp.mintToken('expired', { clientId: 'reader', resource })
    const res = await call('list_cron_jobs', expired)
    expect(res.status).toBe(401)
    expect(extractWWWAuthenticateParams(res)).toMatchObject({ error: 'invalid_token' })
    expect(res.headers.get('www-authenticate')).toContain('error_description="the token has expired"')
  })

  it('a read-only token cannot run (403 insufficient_scope, scope clawlink:run); a run token can', async () => {
    const reader = await idp.getToken({ clientId: 'reader', resource })
    const refused = await call('run_cron_job', reader)
    expect(refused.status).toBe(403)
    expect(extractWWWAuthenticateParams(refused)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'clawlink:run',
    })
    const runner = await idp.getToken({ clientId: 'runner', resource })
    const ran = await call('run_cron_job', runner)
    expect(ran.status).toBe(200)
    expect(await ran.json()).toEqual({ subject: 'runner', clientId: 'runner' })
    expect((await call('remove_cron_job', runner)).status).toBe(403)
  })
})
