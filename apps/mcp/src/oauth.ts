/**
 * OAuth 2.1 resource-server mode of clawlink-mcp (`--oauth-issuer URL --oauth-audience URL`): flag checks, the JWT
 * access-token verifier, RFC 9728 metadata, `WWW-Authenticate` challenges and the scope each tool needs. The HTTP
 * transport wires these in; see apps/mcp/README.md "OAuth (resource server)".
 */
export {
  isProtectedResourceMetadataPath,
  insufficientScopeChallenge,
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
  unauthorizedChallenge,
} from './oauth-metadata.js'
export {
  isLoopbackUrl,
  type OAuthFlags,
  type OAuthSetup,
  type OAuthSetupCode,
  OAuthSetupError,
  oauthSetup,
} from './oauth-options.js'
export {
  checkScope,
  OAUTH_SCOPES,
  type OAuthScope,
  requiredScope,
  requiredScopeForRequest,
  type ScopeCheck,
  TOOL_SCOPES,
} from './oauth-scopes.js'
export {
  bearerToken,
  createJwtVerifier,
  DEFAULT_ALGORITHMS,
  type JwtVerifier,
  type JwtVerifierOptions,
  type TokenCheck,
  type TokenRefusal,
  type TokenRefusalKind,
  type VerifiedToken,
} from './oauth-verify.js'
