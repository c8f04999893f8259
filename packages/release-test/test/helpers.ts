import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { userHome } from '@clawlink/testkit/harness'
import { runOk } from '../src/index.js'

/** A private HOME, clawlink profile dir and OpenClaw state dir for the installed bins, with a token file. */
export function userSandbox(parent: string, token: string) {
  return userHome(parent, token)
}

/** A real ssh-agent on a private socket holding one new Ed25519 key; `deviceId` is sha256(raw public key). */
export async function startSshAgent(
  dir: string,
): Promise<{ socket: string; deviceId: string; stop(): void }> {
  mkdirSync(dir, { recursive: true })
  const socket = join(dir, 'agent.sock')
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' })
  const stop = () => {
    if (agent.exitCode === null) agent.kill('SIGTERM')
  }
  try {
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50)
    if (!existsSync(socket)) throw new Error('ssh-agent did not create its socket within 5 s')
    const key = join(dir, 'id_ed25519')
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release-test', '-f', key])
    await runOk('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket } })
    // ssh wire format: string "ssh-ed25519", string key (32 bytes) — the key is the last 32 bytes of the blob.
    const blob = Buffer.from(readFileSync(`${key}.pub`, 'utf8').split(' ')[1] ?? '', 'base64')
    const deviceId = createHash('sha256')
      .update(blob.subarray(blob.length - 32))
      .digest('hex')
    return { socket, deviceId, stop }
  } catch (error) {
    stop()
    throw error
  }
}

/** A third-party signer plug-in package built on @clawlink/signer-agent, as a user would publish one. */
export function writeSignerPlugin(dir: string, name: string, agentRange: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name,
        version: '1.0.0',
        type: 'module',
        license: 'MIT',
        exports: './index.js',
        dependencies: { '@clawlink/signer-agent': agentRange },
      },
      null,
      2,
    )}\n`,
  )
  writeFileSync(
    join(dir, 'index.js'),
    [
      "import { createSshAgentSigner } from '@clawlink/signer-agent'",
      '',
      '/** clawlink calls this with the --signer-option key=value pairs. */',
      'export function createSigner(options) {',
      '  return createSshAgentSigner({ socketPath: options.socket })',
      '}',
      '',
    ].join('\n'),
  )
}

/** A fresh ESM consumer of @clawlink/protocol: a script node runs and a file tsc checks. */
export function writeConsumer(dir: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`,
  )
  writeFileSync(
    join(dir, 'main.js'),
    [
      "import { CLAWLINK_SCOPES, deriveDeviceId } from '@clawlink/protocol'",
      "import vectors from '@clawlink/protocol/vectors/device-auth.json' with { type: 'json' }",
      '',
      'console.log(JSON.stringify({',
      '  deviceId: deriveDeviceId(new Uint8Array(32)),',
      '  scopes: CLAWLINK_SCOPES,',
      '  vectors: typeof vectors,',
      '}))',
      '',
    ].join('\n'),
  )
  writeFileSync(
    join(dir, 'check.ts'),
    [
      "import { type CronRunOptions, buildCronRunParams, deriveDeviceId } from '@clawlink/protocol'",
      '',
      'const id: string = deriveDeviceId(new Uint8Array(32))',
      "const options: CronRunOptions = { id: 'nightly', mode: 'due' }",
      'export const params = buildCronRunParams(options)',
      '// The declarations are really used (not `any`): a wrong argument must be a type error.',
      '// @ts-expect-error deriveDeviceId takes bytes',
      "deriveDeviceId('not bytes')",
      'export { id }',
      '',
    ].join('\n'),
  )
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['check.ts'],
      },
      null,
      2,
    )}\n`,
  )
}
