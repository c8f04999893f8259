/**
 * A gateway that misbehaves on purpose, for the hostile-gateway suites (docs/security.md): the fake gateway
 * (`fake-gateway.ts`) with one scenario's hooks and faults. It records every frame it receives, so a test can
 * assert that no secret arrived.
 *
 * ```ts
 * const gw = await startHostileGateway('endless-paging')
 * // run clawlink against gw.url with --token-file holding gw.token; expect RESPONSE_TOO_LARGE in time
 * expect(gw.received().join('\n')).not.toContain(secret)
 * ```
 */
import { startFakeGateway } from './fake-gateway.js'
import type { FakeGateway, FakeGatewayOptions } from './fake-types.js'
import { type RelayRecord, relayTo } from './hostile-relay.js'
import { type HostileScenario, scenarioOptions } from './hostile-scenarios.js'

export type { RelayRecord } from './hostile-relay.js'
export {
  EVIL_ID,
  EVIL_REASON,
  EVIL_REQUEST_ID,
  EVIL_TEXT,
  FAKE_SUCCESS,
  HOSTILE_JOBS,
  HOSTILE_SCENARIOS,
  type HostileScenario,
} from './hostile-scenarios.js'

/** Options of {@link startHostileGateway}. */
export type HostileGatewayOptions = {
  /** The real gateway the `relay` scenario replays to (docs/protocol.md §5.6). */
  upstream?: string
  /** The token the hostile gateway's handshake accepts. @default a fixed test token */
  token?: string
}

/** A running hostile gateway. */
export type HostileGateway = {
  readonly url: string
  readonly port: number
  readonly scenario: HostileScenario
  /** The shared token its (otherwise ordinary) handshake accepts. */
  readonly token: string
  /** The fake underneath, for its counters and jobs. */
  readonly fake: FakeGateway
  /** Sockets accepted so far. */
  readonly connectionCount: number
  /** The text of every frame received, in order (binary frames as ''). */
  received(): string[]
  /** The relay scenario's records, one per relayed socket. */
  readonly relayed: RelayRecord[]
  close(): Promise<void>
}

/** Starts a hostile gateway on 127.0.0.1 for one scenario. */
export async function startHostileGateway(
  scenario: HostileScenario,
  options: HostileGatewayOptions = {},
): Promise<HostileGateway> {
  const relayed: RelayRecord[] = []
  if (scenario === 'relay' && !options.upstream) throw new Error('the relay scenario needs options.upstream')
  const token = options.token ?? 'hostile-shared-token'
  const fakeOptions: FakeGatewayOptions =
    scenario === 'relay' ? { hooks: relayTo(options.upstream as string, relayed) } : scenarioOptions(scenario)
  const fake = await startFakeGateway({ flavor: '9.6', token, ...fakeOptions })
  return {
    url: fake.url,
    port: fake.port,
    scenario,
    token,
    fake,
    relayed,
    get connectionCount() {
      return fake.connectionCount
    },
    received: () => fake.frames.filter((f) => f.direction === 'in').map((f) => f.text),
    close: () => fake.close(),
  }
}

/**
 * What in `bytes` could drive a terminal: ESC, BEL, CR, any other C0 control except tab and LF, DEL, C1 code
 * points (as UTF-8 or as raw 8-bit bytes, which also makes the text invalid UTF-8), line separators and bidi
 * overrides. Returns one description per finding (empty when clean).
 */
export function terminalControls(bytes: Buffer): string[] {
  const found: string[] = []
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return ['not valid UTF-8 (a raw 8-bit C1 byte?)']
  }
  for (const m of text.matchAll(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
  ))
    found.push(`U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}`)
  return found
}
