import { existsSync, readFileSync } from 'node:fs'
import type { SignerDeclaration, SignerFlagContext } from '@clawlink/signer-kit/declaration'

// The ssh-agent and exec signers, declared without loading either back-end (they load in `load()`).

const optionalString = (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0)

/** What a profile records of the ssh-agent signer: its socket (else SSH_AUTH_SOCK) and which key. */
export interface SshAgentSignerSpec {
  socket?: string
  /** A `SHA256:…` fingerprint, else the key's comment. */
  key?: string
}

/** `--signer agent`: an ssh-ed25519 key held by an ssh-agent. */
export const sshAgentSigner: SignerDeclaration<
  'agent',
  SshAgentSignerSpec,
  'agent-socket' | 'agent-key',
  'agentSocket' | 'agentKey'
> = {
  kind: 'agent',
  label: 'ssh-agent',
  options: [
    {
      flag: 'agent-socket',
      key: 'agentSocket',
      arg: 'PATH',
      help: 'SSH_AUTH_SOCK to use',
      complete: 'file',
      env: 'SSH_AUTH_SOCK',
    },
    { flag: 'agent-key', key: 'agentKey', arg: 'SHA256:…|COMMENT', help: 'which ssh-ed25519 key' },
  ],
  fromFlags: (values, ctx) => ({
    ...(values.agentSocket ? { socket: ctx.resolvePath(values.agentSocket) } : {}),
    ...(values.agentKey ? { key: values.agentKey } : {}),
  }),
  problem: (spec) =>
    optionalString(spec.socket) && optionalString(spec.key) ? undefined : 'socket/key must be strings',
  describe: (spec) => `${spec.socket ?? 'SSH_AUTH_SOCK'}${spec.key ? `, key ${spec.key}` : ''}`,
  async load() {
    const { createSshAgentSigner } = await import('./ssh-agent.js')
    return (spec) => {
      const key = spec.key
      return createSshAgentSigner({
        ...(spec.socket ? { socketPath: spec.socket } : {}),
        ...(key ? (key.startsWith('SHA256:') ? { fingerprint: key } : { comment: key }) : {}),
      })
    }
  },
}

/** What a profile records of the exec signer: the program's argv (no shell) and its public key if given. */
export interface ExecSignerSpec {
  command: string[]
  publicKey?: string
}

const EXEC_EXAMPLE = `--exec-command '["/usr/local/bin/kms-sign","--key","device"]'`

function parseCommand(json: string | undefined, ctx: SignerFlagContext): string[] {
  if (!json)
    ctx.invalid(
      '--signer exec needs --exec-command',
      `pass the program as a JSON array, e.g. ${EXEC_EXAMPLE}`,
    )
  let argv: unknown
  try {
    argv = JSON.parse(json)
  } catch {
    argv = undefined
  }
  const isArgv =
    Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string' && a.length > 0)
  if (!isArgv) ctx.invalid('--exec-command must be a JSON array of strings', `e.g. ${EXEC_EXAMPLE}`)
  return argv as string[]
}

/** `--exec-public-key`: a key as text, or a file holding it when the value names an existing file. */
function publicKey(value: string, ctx: SignerFlagContext): string {
  const looksLikePath = value.startsWith('~') || value.startsWith('.') || value.startsWith('/')
  const path = looksLikePath ? ctx.resolvePath(value) : undefined
  if (!path || !existsSync(path)) return value
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
    return ctx.invalid(
      `cannot read --exec-public-key file ${path}: ${why}`,
      'check the path, or pass the key itself (base64url or PEM)',
      cause,
    )
  }
}

/** `--signer exec`: your HSM/KMS program signs (payload on stdin, signature on stdout). */
export const execSigner: SignerDeclaration<
  'exec',
  ExecSignerSpec,
  'exec-command' | 'exec-public-key',
  'execCommand' | 'execPublicKey'
> = {
  kind: 'exec',
  options: [
    {
      flag: 'exec-command',
      key: 'execCommand',
      arg: 'JSON',
      help: 'argv of your HSM/KMS program as a JSON array (payload on stdin, signature on stdout)',
      required: true,
    },
    { flag: 'exec-public-key', key: 'execPublicKey', arg: 'B64URL', help: 'its public key' },
  ],
  fromFlags: (values, ctx) => ({
    command: parseCommand(values.execCommand, ctx),
    ...(values.execPublicKey ? { publicKey: publicKey(values.execPublicKey, ctx) } : {}),
  }),
  problem(spec) {
    const command = spec.command
    const isArgv =
      Array.isArray(command) &&
      command.length > 0 &&
      command.every((a) => typeof a === 'string' && a.length > 0)
    if (!isArgv) return 'command must be a non-empty list of strings'
    return optionalString(spec.publicKey) ? undefined : 'publicKey must be a string'
  },
  describe: (spec) => spec.command[0] ?? '',
  async load() {
    const { createExecSigner } = await import('./exec-signer.js')
    return (spec) =>
      createExecSigner({ command: spec.command, ...(spec.publicKey ? { publicKey: spec.publicKey } : {}) })
  },
}
