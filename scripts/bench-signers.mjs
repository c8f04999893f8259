#!/usr/bin/env node
// Benchmark (not a test): signatures per second for each signer back-end, on a 220-byte v3-like payload.
// The keychain only when a Secret Service answers, the agent only when SSH_AUTH_SOCK is set up by
// scripts/with-ssh-agent.sh (an ed25519 key is added here). Writes the "Signers" section of BENCHMARKS.md.
// pkcs11 only when SoftHSM2 is installed (a throwaway token in the work dir).
// Usage: scripts/with-ssh-agent.sh scripts/with-keyring.sh node scripts/bench-signers.mjs
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createExecSigner, createSshAgentSigner } from '../packages/signer-agent/dist/index.js'
import { createFileSigner } from '../packages/signer-file/dist/index.js'
import { createKeychainSigner, deleteKeychainSeed } from '../packages/signer-keychain/dist/index.js'
import { closePkcs11Sessions, createPkcs11Signer } from '../packages/signer-pkcs11/dist/index.js'
import { gitRev, machine, root, summarise, writeSection } from './bench-lib.mjs'

const work = mkdtempSync(join(tmpdir(), 'clawlink-bench-signers-'))
const payload = new TextEncoder().encode(
  `v3|${'a'.repeat(64)}|cli|cli|operator|operator.admin,operator.read,operator.write|1737264000000|${'t'.repeat(43)}|3f1b6b2e-2c1a-4c55-9a57-0c8f1f3c2d10|linux|`,
)

async function measure(label, signer, seconds = 3) {
  for (let i = 0; i < 20; i++) await signer.sign(payload) // warm-up
  const lat = []
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    const t = process.hrtime.bigint()
    await signer.sign(payload)
    lat.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  const s = summarise(lat)
  return `| ${label} | ${(lat.length / seconds).toFixed(0)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} |`
}

const rows = []
rows.push(
  await measure(
    'file (node:crypto KeyObject, in-process)',
    await createFileSigner({ path: join(work, 'key.json') }),
  ),
)
if (process.env.CLAWLINK_KEYRING === '1') {
  const account = `bench-${process.pid}`
  rows.push(
    await measure(
      'keychain (seed from gnome-keyring once, signing in-process)',
      await createKeychainSigner({ account, service: 'clawlink-bench' }),
    ),
  )
  await deleteKeychainSeed({ account, service: 'clawlink-bench' })
} else rows.push('| keychain | not run: no Secret Service (run under scripts/with-keyring.sh) | | |')
if (process.env.SSH_AUTH_SOCK) {
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'clawlink-bench',
    '-f',
    join(work, 'id'),
  ])
  execFileSync('ssh-add', [join(work, 'id')], { stdio: 'ignore' })
  rows.push(
    await measure(
      'ssh-agent (OpenSSH, new connection per signature)',
      await createSshAgentSigner({ comment: 'clawlink-bench' }),
    ),
  )
} else rows.push('| ssh-agent | not run: no SSH_AUTH_SOCK (run under scripts/with-ssh-agent.sh) | | |')
// pkcs11: a throwaway SoftHSM2 token in the work dir; the key pair is generated inside it.
const softhsm = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find(
  (p) => existsSync(p),
)
if (softhsm) {
  mkdirSync(join(work, 'tokens'))
  const conf = join(work, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${join(work, 'tokens')}\n`)
  process.env.SOFTHSM2_CONF = conf
  const pin = '1234'
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'bench', '--pin', pin, '--so-pin', '5678'],
    {
      stdio: 'ignore',
    },
  )
  const version = execFileSync('softhsm2-util', ['--version']).toString().trim()
  const binding = JSON.parse(
    readFileSync(join(root, 'packages/signer-pkcs11/node_modules/pkcs11js/package.json'), 'utf8'),
  ).version
  rows.push(
    await measure(
      `pkcs11 (SoftHSM2 ${version} via pkcs11js ${binding}, one session, C_Sign on the thread pool, verified)`,
      await createPkcs11Signer({
        uri: `pkcs11:token=bench;object=dev?module-path=${softhsm}`,
        pin,
        generate: true,
      }),
    ),
  )
  closePkcs11Sessions()
} else rows.push('| pkcs11 | not run: SoftHSM2 is not installed (apt-get install softhsm2) | | |')
const program = join(root, 'packages/signer-agent/test/fixtures/test-signer.mjs')
const exec = await createExecSigner({
  command: [process.execPath, program],
  env: { TEST_SIGNER_SEED_HEX: '11'.repeat(32) },
})
rows.push(await measure('exec (a Node program per signature: process spawn dominates)', exec, 5))

const body = [
  `Sequential signatures of a 220-byte connect payload; each signature is awaited before the next. Run`,
  `${new Date().toISOString()} on ${machine()}, commit ${gitRev()}. Produced by`,
  '`scripts/with-ssh-agent.sh scripts/with-keyring.sh node scripts/bench-signers.mjs`.',
  '',
  '| Back-end | signatures/s | p50 (ms) | p99 (ms) |',
  '|---|---|---|---|',
  ...rows,
  '',
  'A connect signs once, so even the exec signer adds only its p50 to a `cron run`. The pkcs11 row is a SoftHSM2',
  'token in a temp dir; each signature crosses to the thread pool and is verified before it is returned.',
].join('\n')
process.stdout.write(`${body}\n`)
writeSection('Signers', body)
