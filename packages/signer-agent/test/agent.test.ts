import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { base64UrlEncode, hexEncode, SignerError, seedToPkcs8Pem, utf8Encode } from '@clawlink/protocol'
import { runSignerConformance, vectorSeed } from '@clawlink/testkit/conformance'
import * as ed from '@noble/ed25519'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createExecSigner, createSshAgentSigner, listAgentIdentities } from '../src/index.js'

const hasAgent = (() => {
  try {
    execFileSync('ssh-agent', ['-h'], { stdio: 'ignore' })
    return true
  } catch (error) {
    return (error as { status?: number }).status !== undefined && existsSync('/usr/bin/ssh-add')
  }
})()
if (!hasAgent && process.env.CLAWLINK_REQUIRE_REAL === '1')
  throw new Error('CLAWLINK_REQUIRE_REAL=1 but OpenSSH ssh-agent is not installed')

/** An OpenSSH `openssh-key-v1` private key file (unencrypted) for a raw Ed25519 seed, so ssh-add can load it. */
function opensshKeyFile(seed: Uint8Array, publicKey: Uint8Array, comment: string): string {
  const str = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(bytes.length)
    return Buffer.concat([len, bytes])
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    return b
  }
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(publicKey)])
  const check = randomBytes(4)
  let priv = Buffer.concat([
    check,
    check,
    str('ssh-ed25519'),
    str(publicKey),
    str(Buffer.concat([seed, publicKey])),
    str(comment),
  ])
  for (let pad = 1; priv.length % 8 !== 0; pad++) priv = Buffer.concat([priv, Buffer.from([pad])])
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    str('none'),
    str('none'),
    str(''),
    u32(1),
    str(pubBlob),
    str(priv),
  ])
  const b64 = body
    .toString('base64')
    .match(/.{1,70}/g)!
    .join('\n')
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`
}

describe.skipIf(!hasAgent)('ssh-agent signer against a real OpenSSH agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-agent-'))
  const socket = join(dir, 'agent.sock')
  const confirmSocket = join(dir, 'confirm.sock')
  const agents: ChildProcess[] = []
  const env = (sock: string) => ({ ...process.env, SSH_AUTH_SOCK: sock })

  async function startAgent(path: string, extraEnv: Record<string, string> = {}) {
    const agent = spawn('ssh-agent', ['-D', '-a', path], {
      env: { ...process.env, ...extraEnv },
      stdio: 'ignore',
    })
    agents.push(agent)
    for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50))
    if (!existsSync(path)) throw new Error('ssh-agent socket never appeared')
  }

  function addKey(sock: string, name: string, seed?: Uint8Array, confirm = false): string {
    const file = join(dir, name)
    if (seed) {
      const pub = new Uint8Array(
        createPublicKey(createPrivateKey(seedToPkcs8Pem(seed)))
          .export({ format: 'der', type: 'spki' })
          .subarray(12),
      )
      writeFileSync(file, opensshKeyFile(seed, pub, name), { mode: 0o600 })
    } else {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file])
    }
    chmodSync(file, 0o600)
    execFileSync('ssh-add', [...(confirm ? ['-c'] : []), file], { env: env(sock), stdio: 'ignore' })
    return name
  }

  beforeAll(async () => {
    await startAgent(socket)
    // The agent asks this program to confirm a `ssh-add -c` key; it always says no.
    const deny = join(dir, 'deny.sh')
    writeFileSync(deny, '#!/bin/sh\nexit 1\n', { mode: 0o700 })
    await startAgent(confirmSocket, { SSH_ASKPASS: deny, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' })
    addKey(socket, 'vector-key', vectorSeed())
  })
  afterAll(() => {
    for (const a of agents) a.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  let n = 0
  runSignerConformance('ssh-agent', {
    create: async () => createSshAgentSigner({ socketPath: socket, comment: addKey(socket, `fresh-${++n}`) }),
    createFromVectorSeed: () => createSshAgentSigner({ socketPath: socket, comment: 'vector-key' }),
  })

  it('lists identities with OpenSSH fingerprints', async () => {
    const ids = await listAgentIdentities(socket)
    const printed = execFileSync('ssh-add', ['-l'], { env: env(socket) }).toString()
    for (const id of ids) expect(printed).toContain(id.fingerprint)
    expect(ids.find((i) => i.comment === 'vector-key')?.publicKey).toEqual(
      await ed.getPublicKeyAsync(vectorSeed()),
    )
  })

  it('picks a key by fingerprint', async () => {
    const id = (await listAgentIdentities(socket)).find((i) => i.comment === 'vector-key')!
    const signer = await createSshAgentSigner({ socketPath: socket, fingerprint: id.fingerprint })
    expect(base64UrlEncode(signer.publicKey)).toBe('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')
  })

  it('several keys and no choice → AGENT_KEY_AMBIGUOUS listing the candidates', async () => {
    const error = (await createSshAgentSigner({ socketPath: socket }).catch((e) => e)) as SignerError
    expect(error.code).toBe('AGENT_KEY_AMBIGUOUS')
    expect(error.message).toContain('vector-key')
    expect(error.message).toMatch(/SHA256:/)
  })

  it('no matching key → AGENT_KEY_NOT_FOUND listing what the agent has', async () => {
    const error = (await createSshAgentSigner({ socketPath: socket, comment: 'nope' }).catch(
      (e) => e,
    )) as SignerError
    expect(error.code).toBe('AGENT_KEY_NOT_FOUND')
    expect(error.message).toContain('vector-key')
  })

  it('a denied confirm-on-use key → AGENT_REFUSED', async () => {
    addKey(confirmSocket, 'confirm-key', undefined, true)
    const signer = await createSshAgentSigner({
      socketPath: confirmSocket,
      comment: 'confirm-key',
      timeoutMs: 15_000,
    })
    const error = (await signer.sign(utf8Encode('please')).catch((e) => e)) as SignerError
    expect(error).toBeInstanceOf(SignerError)
    expect(error.code).toBe('AGENT_REFUSED')
  })

  it('no agent at the socket → AGENT_UNAVAILABLE; no SSH_AUTH_SOCK → AGENT_UNAVAILABLE', async () => {
    expect(
      ((await createSshAgentSigner({ socketPath: join(dir, 'none.sock') }).catch((e) => e)) as SignerError)
        .code,
    ).toBe('AGENT_UNAVAILABLE')
    const saved = process.env.SSH_AUTH_SOCK
    delete process.env.SSH_AUTH_SOCK
    try {
      expect(((await createSshAgentSigner({}).catch((e) => e)) as SignerError).code).toBe('AGENT_UNAVAILABLE')
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved
    }
  })
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** An agent socket that accepts and reads but never answers; `connection` resolves with the accepted socket. */
async function silentAgent(path: string) {
  const server = createServer((socket) => socket.resume())
  const connection = new Promise<Socket>((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return { server, connection }
}

const closeOf = (socket: Socket) =>
  socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()))

describe('ssh-agent signer: every wait is bounded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-silent-agent-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a silent agent → SIGNER_TIMEOUT (retryable), and the connection is closed', async () => {
    const agent = await silentAgent(join(dir, 'timeout.sock'))
    try {
      const error = (await listAgentIdentities(join(dir, 'timeout.sock'), { timeoutMs: 200 }).catch(
        (e) => e,
      )) as SignerError
      expect(error).toBeInstanceOf(SignerError)
      expect(error.code).toBe('SIGNER_TIMEOUT')
      expect(error.shouldRetry()).toBe(true)
      await closeOf(await agent.connection)
    } finally {
      agent.server.close()
    }
  })

  it('an abort while waiting for the agent → ABORTED, and the connection is closed', async () => {
    const agent = await silentAgent(join(dir, 'abort.sock'))
    try {
      const controller = new AbortController()
      const pending = listAgentIdentities(join(dir, 'abort.sock'), {
        timeoutMs: 120_000,
        signal: controller.signal,
      }).catch((e) => e)
      const socket = await agent.connection
      await new Promise((resolve) => socket.once('data', resolve))
      controller.abort()
      const error = (await pending) as SignerError
      expect(error).toBeInstanceOf(SignerError)
      expect(error.code).toBe('ABORTED')
      await closeOf(socket)
    } finally {
      agent.server.close()
    }
  })
})

describe('exec signer', () => {
  const program = new URL('./fixtures/test-signer.mjs', import.meta.url).pathname
  const command = [process.execPath, program]
  const seedEnv = (seed: Uint8Array, mode = 'ok') => ({
    TEST_SIGNER_SEED_HEX: hexEncode(seed),
    TEST_SIGNER_MODE: mode,
  })

  runSignerConformance('exec', {
    create: () => createExecSigner({ command, env: seedEnv(randomBytes(32)) }),
    createFromVectorSeed: () => createExecSigner({ command, env: seedEnv(vectorSeed()) }),
  })

  it('takes the public key from options and accepts a raw 64-byte answer', async () => {
    const signer = await createExecSigner({
      command,
      publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      env: seedEnv(vectorSeed(), 'raw'),
    })
    const payload = utf8Encode('raw please')
    expect(await ed.verifyAsync(await signer.sign(payload), payload, signer.publicKey)).toBe(true)
  })

  const failures: [string, string, string, RegExp][] = [
    ['a non-zero exit', 'fail', 'EXEC_FAILED', /\(exit 3\): HSM slot 3 is locked$/],
    ['garbage output', 'garbage', 'EXEC_BAD_OUTPUT', /no valid signature/],
    ['a signature by another key', 'wrong-key', 'INVALID_SIGNATURE', /does not verify/],
  ]
  for (const [what, mode, code, message] of failures) {
    it(`${what} → ${code}`, async () => {
      const signer = await createExecSigner({
        command,
        publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
        env: seedEnv(vectorSeed(), mode),
      })
      const error = (await signer.sign(utf8Encode('secret-payload-text')).catch((e) => e)) as SignerError
      expect(error).toBeInstanceOf(SignerError)
      expect(error.code).toBe(code)
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('secret-payload-text')
    })
  }

  it('a hanging program → EXEC_TIMEOUT, and it is killed', async () => {
    const signer = await createExecSigner({
      command,
      publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      env: seedEnv(vectorSeed(), 'hang'),
      timeoutMs: 500,
    })
    const error = (await signer.sign(utf8Encode('x')).catch((e) => e)) as SignerError
    expect(error.code).toBe('EXEC_TIMEOUT')
    expect(error.shouldRetry()).toBe(true)
  })

  it('an abort while the program runs → ABORTED, and the program is killed', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'clawlink-exec-')), 'pid')
    const signer = await createExecSigner({
      command,
      publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      env: { ...seedEnv(vectorSeed(), 'hang'), TEST_SIGNER_PID_FILE: pidFile },
      timeoutMs: 120_000,
    })
    const controller = new AbortController()
    const pending = signer.sign(utf8Encode('x'), { signal: controller.signal }).catch((e) => e)
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await sleep(20)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    controller.abort()
    const error = (await pending) as SignerError
    expect(error).toBeInstanceOf(SignerError)
    expect(error.code).toBe('ABORTED')
    while (alive(pid)) await sleep(20) // the test's own timeout fails it if the program lives on
    expect(alive(pid)).toBe(false)
  })

  it('the program gets a minimal environment: never the gateway token, only what is allow-listed', async () => {
    const dump = join(mkdtempSync(join(tmpdir(), 'exec-env-')), 'env.json')
    const set = {
      OPENCLAW_GATEWAY_TOKEN: 'gateway-token-must-not-leak',
      OPENCLAW_GATEWAY_PASSWORD: 'gateway-password-must-not-leak',
      UNRELATED_SECRET: 'unrelated',
      MY_KMS_REGION: 'eu-west-1',
      AWS_PROFILE: 'signer',
      LC_ALL: 'C.UTF-8',
      CLAWLINK_SIGNER_ENV: 'MY_KMS_REGION, OPENCLAW_GATEWAY_TOKEN',
    }
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]))
    Object.assign(process.env, set)
    try {
      const signer = await createExecSigner({
        command,
        passEnv: ['AWS_*', 'OPENCLAW_GATEWAY_PASSWORD'],
        env: { ...seedEnv(vectorSeed()), TEST_SIGNER_ENV_DUMP: dump },
      })
      await signer.sign(utf8Encode('x'))
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>
    expect(seen.OPENCLAW_GATEWAY_TOKEN).toBeUndefined()
    expect(seen.OPENCLAW_GATEWAY_PASSWORD).toBeUndefined()
    expect(seen.UNRELATED_SECRET).toBeUndefined()
    expect(seen).toMatchObject({
      PATH: process.env.PATH,
      MY_KMS_REGION: 'eu-west-1',
      AWS_PROFILE: 'signer',
      LC_ALL: 'C.UTF-8',
      CLAWLINK_SIGNER_OP: 'sign',
    })
    const allowed =
      /^(PATH|HOME|LANG|LANGUAGE|LC_.*|TMPDIR|MY_KMS_REGION|AWS_.*|CLAWLINK_SIGNER_OP|TEST_SIGNER_.*)$/
    expect(Object.keys(seen).filter((k) => !allowed.test(k))).toEqual([])
  })

  it('a missing program → EXEC_FAILED; an empty command → INVALID_OPTIONS', async () => {
    expect(
      ((await createExecSigner({ command: ['/nonexistent/kms-sign'] }).catch((e) => e)) as SignerError).code,
    ).toBe('EXEC_FAILED')
    expect(((await createExecSigner({ command: [] }).catch((e) => e)) as SignerError).code).toBe(
      'INVALID_OPTIONS',
    )
  })
})
