import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { base64Encode, type DeviceSigner, SignerError, type SignerErrorCode } from '@clawlink/protocol'
import { verifyOrThrow } from './verify.js'
import { withDeadline } from '@clawlink/signer-kit'

// ssh-agent wire protocol (docs/testing.md §4, draft-miller-ssh-agent): uint32 length | byte type | contents.
const FAILURE = 5
const REQUEST_IDENTITIES = 11
const IDENTITIES_ANSWER = 12
const SIGN_REQUEST = 13
const SIGN_RESPONSE = 14
// OpenSSH drops messages over 256 KiB, framing included.
const MAX_PAYLOAD = 256 * 1024 - 1024

/** An identity the agent holds. */
export interface AgentIdentity {
  /** `ssh-ed25519`, `ssh-rsa`, … */
  type: string
  /** `SHA256:…` as `ssh-add -l` and `ssh-keygen -lf` print it. */
  fingerprint: string
  comment: string
  blob: Uint8Array
  /** Raw 32-byte key for ssh-ed25519 identities. */
  publicKey: Uint8Array | undefined
}

class Reader {
  private offset = 0
  constructor(private readonly buf: Uint8Array) {}
  uint32(): number {
    if (this.offset + 4 > this.buf.length) throw new Error('truncated')
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.offset, 4).getUint32(0)
    this.offset += 4
    return v
  }
  string(): Uint8Array {
    const n = this.uint32()
    if (this.offset + n > this.buf.length) throw new Error('truncated')
    const out = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  get done(): boolean {
    return this.offset === this.buf.length
  }
}

function sshString(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(bytes.length)
  return Buffer.concat([len, bytes])
}

/** The ssh-agent signer's own `SignerError` codes, besides protocol's generic ones (rows in docs/errors.md). */
export type SshAgentSignerErrorCode =
  | SignerErrorCode
  | 'AGENT_UNAVAILABLE'
  | 'AGENT_KEY_NOT_FOUND'
  | 'AGENT_KEY_AMBIGUOUS'
  | 'AGENT_REFUSED'
  | 'AGENT_PROTOCOL'
const SshAgentSignerError = SignerError<SshAgentSignerErrorCode>

interface CallOptions {
  timeoutMs: number
  signal?: AbortSignal | undefined
}

/** One request on a fresh connection; resolves to the reply's type and contents. */
function agentCall(
  socketPath: string,
  type: number,
  body: Uint8Array,
  options: CallOptions,
): Promise<{ type: number; body: Buffer }> {
  return withDeadline((signal) => exchange(socketPath, type, body, signal), {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onTimeout: () =>
      new SshAgentSignerError(
        'SIGNER_TIMEOUT',
        `ssh-agent at ${socketPath} did not answer within ${options.timeoutMs} ms (waiting for a confirmation?)`,
      ),
  })
}

/** Sends one request and reads one reply; the socket is closed when the reply is in or `signal` aborts. */
function exchange(
  socketPath: string,
  type: number,
  body: Uint8Array,
  signal: AbortSignal,
): Promise<{ type: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let received = Buffer.alloc(0)
    const finish = (error: Error | undefined, reply?: { type: number; body: Buffer }) => {
      signal.removeEventListener('abort', onAbort)
      socket.destroy()
      if (error) reject(error)
      else resolve(reply!)
    }
    const onAbort = () => socket.destroy()
    signal.addEventListener('abort', onAbort, { once: true })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message
      finish(
        new SshAgentSignerError('AGENT_UNAVAILABLE', `no ssh-agent at ${socketPath} (${code})`, {
          cause: error,
          remedy: 'start ssh-agent and export SSH_AUTH_SOCK, or pass --agent-socket',
        }),
      )
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 4) return
      const length = received.readUInt32BE(0)
      if (length > 1024 * 1024)
        return finish(
          new SshAgentSignerError('AGENT_PROTOCOL', `ssh-agent sent an oversized reply (${length} bytes)`),
        )
      if (received.length < 4 + length) return
      if (length < 1)
        return finish(new SshAgentSignerError('AGENT_PROTOCOL', 'ssh-agent sent an empty reply'))
      finish(undefined, { type: received[4]!, body: received.subarray(5, 4 + length) })
    })
    socket.on('end', () =>
      finish(
        new SshAgentSignerError(
          'AGENT_PROTOCOL',
          `ssh-agent at ${socketPath} closed the connection without an answer`,
        ),
      ),
    )
    const header = Buffer.alloc(5)
    header.writeUInt32BE(body.length + 1)
    header[4] = type
    socket.write(Buffer.concat([header, body]))
  })
}

function fingerprintOf(blob: Uint8Array): string {
  return `SHA256:${base64Encode(createHash('sha256').update(blob).digest()).replace(/=+$/, '')}`
}

/** Lists the agent's identities (REQUEST_IDENTITIES). @throws SignerError AGENT_UNAVAILABLE, AGENT_PROTOCOL */
export async function listAgentIdentities(
  socketPath: string,
  options: CallOptions = { timeoutMs: 10_000 },
): Promise<AgentIdentity[]> {
  const reply = await agentCall(socketPath, REQUEST_IDENTITIES, new Uint8Array(0), options)
  if (reply.type !== IDENTITIES_ANSWER)
    throw new SshAgentSignerError('AGENT_PROTOCOL', `ssh-agent answered type ${reply.type} to a list request`)
  try {
    const r = new Reader(reply.body)
    const count = r.uint32()
    const out: AgentIdentity[] = []
    for (let i = 0; i < count; i++) {
      const blob = Uint8Array.from(r.string())
      const comment = Buffer.from(r.string()).toString('utf8')
      const br = new Reader(blob)
      const type = Buffer.from(br.string()).toString('latin1')
      let publicKey: Uint8Array | undefined
      if (type === 'ssh-ed25519') {
        const pk = br.string()
        if (pk.length === 32 && br.done) publicKey = Uint8Array.from(pk)
      }
      out.push({ type, fingerprint: fingerprintOf(blob), comment, blob, publicKey })
    }
    return out
  } catch {
    throw new SshAgentSignerError('AGENT_PROTOCOL', 'ssh-agent sent a malformed identity list')
  }
}

/** Options of {@link createSshAgentSigner}. */
export interface SshAgentSignerOptions {
  /** @default process.env.SSH_AUTH_SOCK */
  socketPath?: string
  /** Pick the key by `SHA256:…` fingerprint. */
  fingerprint?: string
  /** Or by its comment. */
  comment?: string
  /** Per request; a confirm-on-use key waits for a human. @default 30000 */
  timeoutMs?: number
}

function describe(ids: AgentIdentity[]): string {
  return ids.map((i) => `${i.fingerprint} ${i.comment || '(no comment)'}`).join('; ')
}

/** The raw 64 bytes inside an SSH_AGENT_SIGN_RESPONSE (string blob → string "ssh-ed25519", string sig). */
function unwrapSignature(body: Uint8Array): Uint8Array {
  try {
    const outer = new Reader(body)
    const inner = new Reader(outer.string())
    const format = Buffer.from(inner.string()).toString('latin1')
    const signature = Uint8Array.from(inner.string())
    if (format === 'ssh-ed25519' && signature.length === 64 && inner.done && outer.done) return signature
  } catch {
    // a truncated string: reported below like any other malformed answer
  }
  throw new SshAgentSignerError('AGENT_PROTOCOL', 'ssh-agent returned a malformed ssh-ed25519 signature')
}

/**
 * A signer whose Ed25519 key stays in an ssh-agent (OpenSSH, 1Password, Secretive, YubiKey agents, …): the
 * agent signs the raw payload (plain RFC 8032, no prehash), and the 64-byte signature is unwrapped.
 * @throws SignerError AGENT_UNAVAILABLE, AGENT_KEY_NOT_FOUND, AGENT_KEY_AMBIGUOUS (listing candidates)
 */
export async function createSshAgentSigner(
  options: SshAgentSignerOptions = {},
): Promise<DeviceSigner & { fingerprint: string; comment: string }> {
  const socketPath = options.socketPath ?? process.env.SSH_AUTH_SOCK
  if (!socketPath) {
    throw new SshAgentSignerError('AGENT_UNAVAILABLE', 'no ssh-agent: SSH_AUTH_SOCK is not set', {
      remedy: 'start ssh-agent (eval "$(ssh-agent)") and ssh-add your key, or pass --agent-socket',
    })
  }
  const timeoutMs = options.timeoutMs ?? 30_000
  const all = await listAgentIdentities(socketPath, { timeoutMs })
  const ed = all.filter((i) => i.publicKey)
  const wanted = ed.filter(
    (i) =>
      (options.fingerprint === undefined || i.fingerprint === options.fingerprint) &&
      (options.comment === undefined || i.comment === options.comment),
  )
  if (wanted.length === 0) {
    const what = options.fingerprint ?? options.comment
    const have =
      ed.length > 0
        ? `ssh-ed25519 keys in the agent: ${describe(ed)}`
        : `the agent holds no ssh-ed25519 key (${all.length} other key(s))`
    throw new SshAgentSignerError(
      'AGENT_KEY_NOT_FOUND',
      `${what ? `no ssh-ed25519 key matching "${what}"` : 'no ssh-ed25519 key'} in the agent; ${have}`,
      {
        remedy:
          'ssh-add an Ed25519 key (ssh-keygen -t ed25519), or pick one with --agent-key <SHA256:…|comment>',
      },
    )
  }
  if (wanted.length > 1) {
    throw new SshAgentSignerError(
      'AGENT_KEY_AMBIGUOUS',
      `${wanted.length} ssh-ed25519 keys match: ${describe(wanted)}`,
      {
        remedy: 'choose one with --agent-key <SHA256:…|comment>',
      },
    )
  }
  const id = wanted[0]!
  const publicKey = id.publicKey!
  return {
    algorithm: 'ed25519',
    publicKey,
    fingerprint: id.fingerprint,
    comment: id.comment,
    async sign(payload, signOptions) {
      if (payload.length > MAX_PAYLOAD)
        throw new SshAgentSignerError(
          'INVALID_OPTIONS',
          `payload of ${payload.length} bytes exceeds what ssh-agent accepts (~256 KiB)`,
        )
      const body = Buffer.concat([sshString(id.blob), sshString(payload), Buffer.alloc(4)])
      const reply = await agentCall(socketPath, SIGN_REQUEST, body, {
        timeoutMs,
        signal: signOptions?.signal,
      })
      if (reply.type === FAILURE) {
        throw new SshAgentSignerError(
          'AGENT_REFUSED',
          `ssh-agent refused to sign with ${id.fingerprint} (confirmation denied, agent locked, or key removed)`,
          {
            remedy: 'confirm the request on the agent, unlock it (ssh-add -X), or ssh-add the key again',
          },
        )
      }
      if (reply.type !== SIGN_RESPONSE)
        throw new SshAgentSignerError(
          'AGENT_PROTOCOL',
          `ssh-agent answered type ${reply.type} to a sign request`,
        )
      const signature = unwrapSignature(reply.body)
      return verifyOrThrow(publicKey, payload, signature, `ssh-agent key ${id.fingerprint}`)
    },
  }
}
