// The closed schemas of protocol v3 (2026.3.13, 2026.5.7), as strict as the real gateways (docs/protocol.md §1.2,
// §2.2): a request frame or connect param the schema does not name makes the whole frame invalid. The real
// validator reports ajv's "must NOT have additional properties" at the object's path; clawlink only relies on the
// "invalid connect params" / "invalid request frame" prefixes, which the real gateways were seen to send.

const REQUEST_KEYS: Record<3 | 4, ReadonlySet<string>> = {
  3: new Set(['type', 'id', 'method', 'params']),
  4: new Set(['type', 'id', 'method', 'params', 'traceparent', 'expectedProfileId']),
}

/** Every object of v3 connect params and the keys it may have (ConnectParamsSchema, 3.13 = 5.7). */
const CONNECT_V3: Record<string, ReadonlySet<string>> = {
  '': new Set([
    'minProtocol',
    'maxProtocol',
    'client',
    'caps',
    'commands',
    'permissions',
    'pathEnv',
    'role',
    'scopes',
    'device',
    'auth',
    'locale',
    'userAgent',
  ]),
  '/client': new Set([
    'id',
    'displayName',
    'version',
    'platform',
    'deviceFamily',
    'modelIdentifier',
    'mode',
    'instanceId',
  ]),
  '/device': new Set(['id', 'publicKey', 'signature', 'signedAt', 'nonce']),
  '/auth': new Set(['token', 'bootstrapToken', 'deviceToken', 'password']),
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** True when a request frame has a top-level key its protocol's schema does not name. */
export function requestFrameHasExtraKeys(frame: Record<string, unknown>, protocol: 3 | 4): boolean {
  return Object.keys(frame).some((k) => !REQUEST_KEYS[protocol].has(k))
}

/**
 * The ajv-style error of v3 connect params with a key the schema does not name (`at /client: must NOT have
 * additional properties`), or undefined. v4 (9.6) params are not checked here: its schema grows every release.
 */
export function connectParamsExtraKey(params: Record<string, unknown>, protocol: 3 | 4): string | undefined {
  if (protocol !== 3) return undefined
  for (const [path, allowed] of Object.entries(CONNECT_V3)) {
    const value = path === '' ? params : params[path.slice(1)]
    if (!isObject(value)) continue
    const extra = Object.keys(value).find((k) => !allowed.has(k))
    if (extra !== undefined) return `at ${path || '/'}: must NOT have additional properties`
  }
  return undefined
}

/** 5.7 reports a device token's scopes normalised: admin implies read and write; sorted (docs/protocol.md §3). */
export function normalisedScopes57(scopes: readonly string[]): string[] {
  const set = new Set(scopes)
  if (set.has('operator.admin')) {
    set.add('operator.read')
    set.add('operator.write')
  }
  return [...set].sort()
}
