import { describe, expect, it } from 'vitest'
import {
  insufficientScopeChallenge,
  isProtectedResourceMetadataPath,
  OAuthSetupError,
  oauthSetup,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
  unauthorizedChallenge,
} from '../src/oauth.js'

const HTTPS = 'must use https (plain http only on a loopback host)'
const setup = { issuer: 'https://id.example.com/tenant', audience: 'https://mcp.example.com/team/mcp' }

describe('RFC 9728 protected-resource metadata', () => {
  it('names the resource, its issuer, the scopes and header-only bearer tokens', () => {
    expect(protectedResourceMetadata(setup)).toEqual({
      resource: 'https://mcp.example.com/team/mcp',
      authorization_servers: ['https://id.example.com/tenant'],
      scopes_supported: ['clawlink:read', 'clawlink:run', 'clawlink:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'clawlink-mcp',
    })
  })

  it('lives at the well-known URL with the resource path after it (§3.1)', () => {
    expect(protectedResourceMetadataUrl(setup.audience)).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/team/mcp',
    )
    expect(protectedResourceMetadataUrl('http://127.0.0.1:8765/mcp/')).toBe(
      'http://127.0.0.1:8765/.well-known/oauth-protected-resource/mcp',
    )
    expect(protectedResourceMetadataUrl('https://mcp.example.com')).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    )
  })

  it('is served on the path-specific and the plain well-known path, nowhere else', () => {
    expect(protectedResourceMetadataPaths(setup.audience)).toEqual([
      '/.well-known/oauth-protected-resource/team/mcp',
      '/.well-known/oauth-protected-resource',
    ])
    expect(protectedResourceMetadataPaths('https://mcp.example.com/')).toEqual([
      '/.well-known/oauth-protected-resource',
    ])
    const served = (p: string) => isProtectedResourceMetadataPath(p, setup.audience)
    expect(served('/.well-known/oauth-protected-resource/team/mcp?x=1')).toBe(true)
    expect(served('/.well-known/oauth-protected-resource/')).toBe(true)
    expect(served('/.well-known/oauth-protected-resource/other')).toBe(false)
    expect(served('/.well-known/oauth-authorization-server')).toBe(false)
    expect(served('/team/mcp')).toBe(false)
  })
})

describe('WWW-Authenticate challenges', () => {
  const meta = 'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/team/mcp"'

  it('401 without a token: only where the metadata is (and optionally the scope)', () => {
    expect(unauthorizedChallenge({ resource: setup.audience })).toBe(`Bearer ${meta}`)
    expect(
      unauthorizedChallenge({ resource: setup.audience, scope: ['clawlink:read', 'clawlink:run'] }),
    ).toBe(`Bearer ${meta}, scope="clawlink:read clawlink:run"`)
  })

  it('401 with a bad token: invalid_token and the one-line reason, made safe for a quoted string', () => {
    expect(
      unauthorizedChallenge({
        resource: setup.audience,
        error: 'invalid_token',
        description: 'the token has expired',
      }),
    ).toBe(`Bearer ${meta}, error="invalid_token", error_description="the token has expired"`)
    const odd = unauthorizedChallenge({
      resource: setup.audience,
      error: 'invalid_token',
      description: 'a "b"\\\nc é',
    })
    expect(odd).toBe(`Bearer ${meta}, error="invalid_token", error_description="a 'b'''c '"`)
  })

  it('403 names insufficient_scope and the scope to ask for', () => {
    expect(insufficientScopeChallenge({ resource: setup.audience, scope: 'clawlink:run' })).toBe(
      `Bearer error="insufficient_scope", scope="clawlink:run", ${meta}`,
    )
    expect(
      insufficientScopeChallenge({
        resource: setup.audience,
        scope: 'clawlink:write',
        description: 'needs write',
      }),
    ).toBe(
      `Bearer error="insufficient_scope", scope="clawlink:write", ${meta}, error_description="needs write"`,
    )
  })
})

describe('--oauth-issuer and --oauth-audience', () => {
  const refusal = (flags: Record<string, string>) => {
    try {
      oauthSetup(flags)
    } catch (error) {
      expect(error).toBeInstanceOf(OAuthSetupError)
      return error as OAuthSetupError
    }
    throw new Error('accepted')
  }

  it('is off without both flags and takes both as given', () => {
    expect(oauthSetup({})).toBeUndefined()
    expect(
      oauthSetup({ 'oauth-issuer': ' https://id.example.com ', 'oauth-audience': setup.audience }),
    ).toEqual({
      issuer: 'https://id.example.com',
      audience: setup.audience,
    })
    expect(
      oauthSetup({
        'oauth-issuer': 'http://127.0.0.1:9000',
        'oauth-audience': 'http://localhost:8765/mcp?x=1',
      }),
    ).toEqual({ issuer: 'http://127.0.0.1:9000', audience: 'http://localhost:8765/mcp?x=1' })
  })

  it('refuses one flag without the other, naming the missing one', () => {
    const e = refusal({ 'oauth-issuer': 'https://id.example.com' })
    expect(e.code).toBe('OAUTH_FLAGS_INCOMPLETE')
    expect(e.message).toMatch(/^--oauth-audience is missing/)
  })

  it.each([
    ['oauth-issuer', 'id.example.com', 'OAUTH_ISSUER_INVALID', 'is not a URL'],
    ['oauth-issuer', 'http://id.example.com', 'OAUTH_ISSUER_INVALID', HTTPS],
    ['oauth-issuer', 'https://id.example.com/?tenant=1', 'OAUTH_ISSUER_INVALID', 'must not have a query'],
    ['oauth-issuer', 'ftp://id.example.com', 'OAUTH_ISSUER_INVALID', 'has scheme ftp: (https required)'],
    ['oauth-audience', 'http://10.0.0.5:8765/mcp', 'OAUTH_AUDIENCE_INVALID', HTTPS],
    ['oauth-audience', 'https://mcp.example.com/mcp#x', 'OAUTH_AUDIENCE_INVALID', 'must not have a fragment'],
    [
      'oauth-audience',
      'https://u:p@mcp.example.com/mcp',
      'OAUTH_AUDIENCE_INVALID',
      'must not carry credentials',
    ],
  ])('--%s %s → %s', (flag, value, code, problem) => {
    const flags = {
      'oauth-issuer': 'https://id.example.com',
      'oauth-audience': setup.audience,
      [flag]: value,
    }
    const e = refusal(flags)
    expect(e.code).toBe(code)
    expect(e.message).toBe(`--${flag} ${JSON.stringify(value)} ${problem}`)
    expect(e.remedy).toContain(`--${flag} https://`)
  })
})
