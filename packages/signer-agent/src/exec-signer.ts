import { spawn } from 'node:child_process'
import {
  base64Decode,
  type DeviceSigner,
  GATEWAY_SECRET_ENV,
  publicKeyFrom,
  SignerError,
  type SignerErrorCode,
} from '@clawlink/protocol'
import { verifyOrThrow } from './verify.js'
import { withDeadline } from '@clawlink/signer-kit'

/** Options of {@link createExecSigner}. */
export interface ExecSignerOptions {
  /** The program and its arguments (argv; no shell). */
  command: readonly string[]
  /** base64url/base64 raw key or SPKI PEM; when absent the program is asked (`CLAWLINK_SIGNER_OP=public-key`). */
  publicKey?: string
  /** @default 10000 */
  timeoutMs?: number
  /** Extra environment for the program (explicit values; passed as given). */
  env?: Record<string, string>
  /**
   * Names of further variables to pass on from this process (`AWS_*` for a prefix), besides
   * the base names (PATH, HOME, locale, TMPDIR) and `CLAWLINK_SIGNER_ENV`. Gateway secrets are never passed.
   */
  passEnv?: readonly string[]
}

/** What the program always gets from this process, when set: where programs are, home, locale, temp dir. */
const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_*', 'TMPDIR'] as const
/** Never passed on, whatever the allow-list says: the gateway's shared secrets. */
const NEVER_PASSED: ReadonlySet<string> = new Set([
  ...GATEWAY_SECRET_ENV.token,
  ...GATEWAY_SECRET_ENV.password,
])

/**
 * The environment the signer program runs with: {@link BASE_ENV_NAMES}, the names in `CLAWLINK_SIGNER_ENV`
 * (comma-separated, `PREFIX_*` allowed) and `passEnv` taken from `parent`, then `extra` — and never a gateway
 * token or password (docs/signers.md). A program in front of an HSM sees nothing else of clawlink's environment.
 */
function signerEnvironment(
  parent: NodeJS.ProcessEnv,
  passEnv: readonly string[] = [],
  extra: Record<string, string> = {},
): Record<string, string> {
  const listed = (parent.CLAWLINK_SIGNER_ENV ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
  const patterns = [...BASE_ENV_NAMES, ...listed, ...passEnv]
  const allowed = (name: string): boolean =>
    !NEVER_PASSED.has(name) &&
    patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p))
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parent))
    if (value !== undefined && allowed(name)) env[name] = value
  for (const [name, value] of Object.entries(extra)) if (!NEVER_PASSED.has(name)) env[name] = value
  return env
}

/** The exec signer's own `SignerError` codes, besides protocol's generic ones (rows in docs/errors.md). */
export type ExecSignerErrorCode = SignerErrorCode | 'EXEC_FAILED' | 'EXEC_TIMEOUT' | 'EXEC_BAD_OUTPUT'
const ExecSignerError = SignerError<ExecSignerErrorCode>
type ExecSignerError = SignerError<ExecSignerErrorCode>

const MAX_OUTPUT = 64 * 1024

/** A program that ended badly: its exit (or signal) and the first line of its stderr, never the payload. */
function exitError(
  file: string,
  code: number | null,
  sig: NodeJS.Signals | null,
  stderr: string,
): ExecSignerError {
  const first = stderr.trim().split('\n')[0]?.slice(0, 200)
  return new ExecSignerError(
    'EXEC_FAILED',
    `signer program ${file} failed (${sig ? `signal ${sig}` : `exit ${code}`})${first ? `: ${first}` : ''}`,
    { remedy: 'fix the program or its configuration; run it by hand with CLAWLINK_SIGNER_OP set to see why' },
  )
}

/**
 * Runs the program once: payload on stdin, answer on stdout. The operation is in `CLAWLINK_SIGNER_OP`.
 * Never puts the payload in an error message. The program is killed when it overruns `timeoutMs` or `signal` aborts.
 */
function runProgram(
  command: readonly string[],
  op: 'sign' | 'public-key',
  input: Uint8Array,
  timeoutMs: number,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<Buffer> {
  return withDeadline((bound) => spawnProgram(command, op, input, env, bound), {
    timeoutMs,
    signal,
    onTimeout: () =>
      new ExecSignerError(
        'EXEC_TIMEOUT',
        `signer program ${command[0]} did not answer within ${timeoutMs} ms (${op})`,
        { remedy: 'check the program and the HSM/KMS behind it', retryable: true },
      ),
  })
}

function spawnProgram(
  command: readonly string[],
  op: 'sign' | 'public-key',
  input: Uint8Array,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<Buffer> {
  const [file, ...args] = command
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, {
      env: { ...env, CLAWLINK_SIGNER_OP: op },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    })
    const out: Buffer[] = []
    let outBytes = 0
    let err = ''
    let settled = false
    const kill = () => {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    const done = (error?: Error, value?: Buffer) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', kill)
      if (error) reject(error)
      else resolve(value!)
    }
    signal.addEventListener('abort', kill, { once: true })
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length
      if (outBytes > MAX_OUTPUT) {
        kill()
        done(
          new ExecSignerError(
            'EXEC_BAD_OUTPUT',
            `signer program ${file} printed more than ${MAX_OUTPUT} bytes`,
          ),
        )
      } else out.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8')
    })
    child.on('error', (error: NodeJS.ErrnoException) =>
      done(
        new ExecSignerError(
          'EXEC_FAILED',
          `cannot run signer program ${file}: ${error.code ?? error.message}`,
          {
            cause: error,
            remedy: 'check --exec-command: the program path and that it is executable',
          },
        ),
      ),
    )
    child.on('close', (code, sig) =>
      code === 0 ? done(undefined, Buffer.concat(out)) : done(exitError(file!, code, sig, err)),
    )
    child.stdin.on('error', () => {}) // a program that exits without reading stdin is judged by its exit code
    child.stdin.end(Buffer.from(input))
  })
}

function decodeOutput(out: Buffer, bytes: number, what: string, file: string): Uint8Array {
  if (out.length === bytes) return Uint8Array.from(out)
  const text = out.toString('utf8').trim()
  try {
    const decoded = text.includes('BEGIN') ? publicKeyFrom(text) : base64Decode(text)
    if (decoded.length === bytes) return decoded
  } catch {}
  throw new ExecSignerError(
    'EXEC_BAD_OUTPUT',
    `signer program ${file} printed no valid ${what} (expected ${bytes} bytes as base64url, base64 or raw)`,
    {
      remedy: `print the ${what} as base64url on stdout`,
    },
  )
}

/**
 * A signer that delegates to a program (HSM, KMS, smart card …): `CLAWLINK_SIGNER_OP=sign`, payload on stdin,
 * signature on stdout; the public key from options or from `CLAWLINK_SIGNER_OP=public-key`.
 * Every signature is verified before use.
 * @throws SignerError EXEC_FAILED, EXEC_TIMEOUT, EXEC_BAD_OUTPUT, INVALID_SIGNATURE
 */
export async function createExecSigner(options: ExecSignerOptions): Promise<DeviceSigner> {
  if (
    !Array.isArray(options?.command) ||
    options.command.length === 0 ||
    options.command.some((a) => typeof a !== 'string' || a === '')
  ) {
    throw new ExecSignerError(
      'INVALID_OPTIONS',
      'the exec signer needs a command: an array of non-empty strings (argv, no shell)',
    )
  }
  const command = [...options.command]
  const timeoutMs = options.timeoutMs ?? 10_000
  const env = signerEnvironment(process.env, options.passEnv ?? [], options.env ?? {})
  let publicKey: Uint8Array
  if (options.publicKey) {
    try {
      publicKey = publicKeyFrom(options.publicKey)
    } catch (cause) {
      throw new ExecSignerError(
        'INVALID_OPTIONS',
        `--exec-public-key is not an Ed25519 public key: ${(cause as Error).message}`,
        { cause },
      )
    }
  } else {
    publicKey = decodeOutput(
      await runProgram(command, 'public-key', new Uint8Array(0), timeoutMs, env),
      32,
      'public key',
      command[0]!,
    )
  }
  return {
    algorithm: 'ed25519',
    publicKey,
    async sign(payload, signOptions) {
      const out = await runProgram(command, 'sign', payload, timeoutMs, env, signOptions?.signal)
      const signature = decodeOutput(out, 64, 'signature', command[0]!)
      return verifyOrThrow(publicKey, payload, signature, `signer program ${command[0]}`)
    },
  }
}
