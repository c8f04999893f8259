import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so']

/** The SoftHSM2 module, when SoftHSM2 and OpenSC's pkcs11-tool are installed. */
export const SOFTHSM_MODULE = CANDIDATES.find((p) => existsSync(p))

function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--help'], { stdio: 'ignore' })
    return true
  } catch (error) {
    return (error as { status?: number }).status !== undefined
  }
}

/** True when a real token can be made here. */
export const hasSoftHsm =
  SOFTHSM_MODULE !== undefined && installed('softhsm2-util') && installed('pkcs11-tool')

if (!hasSoftHsm && process.env.CLAWLINK_REQUIRE_REAL === '1')
  throw new Error('CLAWLINK_REQUIRE_REAL=1 but SoftHSM2 (softhsm2) or pkcs11-tool (opensc) is not installed')

const TOOL = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'token-tool.cjs')

/** Throwaway test PINs (a token in a temp dir, deleted afterwards). */
export const USER_PIN = '123456'
export const SO_PIN = '87654321'

/** A SoftHSM2 token directory of its own (own SOFTHSM2_CONF), removed by {@link SoftHsm.remove}. */
export interface SoftHsm {
  readonly dir: string
  readonly module: string
  /** Environment for tools and child processes (SOFTHSM2_CONF). */
  readonly env: NodeJS.ProcessEnv
  initToken(label: string): void
  /** A token whose user PIN was never set (the SO must set it). */
  initTokenWithoutUserPin(label: string): void
  setUserPinAsSo(label: string): void
  keygen(token: string, label: string, idHex: string, keyType?: string): void
  importSeed(token: string, label: string, idHex: string, seedHex: string): void
  /** `pkcs11:token=…;object=…;id=…?module-path=…` */
  uri(token: string, path?: string): string
  remove(): void
}

/**
 * Creates the token directory and points this process's SOFTHSM2_CONF at it: SoftHSM2 reads it at
 * C_Initialize and lists tokens made later only after closePkcs11Sessions().
 */
export function createSoftHsm(): SoftHsm {
  const module = SOFTHSM_MODULE!
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-softhsm-'))
  mkdirSync(join(dir, 'tokens'), { mode: 0o700 })
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  process.env.SOFTHSM2_CONF = conf
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  const run = (cmd: string, args: string[], extra: Record<string, string> = {}) =>
    execFileSync(cmd, args, { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  const tool = (op: string, token: string, args: string[] = []) =>
    run(process.execPath, [TOOL, op, ...args], { MODULE: module, TOKEN: token, PIN: USER_PIN, SO_PIN })
  return {
    dir,
    module,
    env,
    initToken: (label) =>
      void run('softhsm2-util', [
        '--init-token',
        '--free',
        '--label',
        label,
        '--pin',
        USER_PIN,
        '--so-pin',
        SO_PIN,
      ]),
    initTokenWithoutUserPin: (label) => void tool('init-token-no-pin', label),
    setUserPinAsSo: (label) => void tool('init-pin', label),
    keygen: (token, label, idHex, keyType = 'EC:edwards25519') =>
      void run('pkcs11-tool', [
        '--module',
        module,
        '--token-label',
        token,
        '--login',
        '--pin',
        USER_PIN,
        '--keypairgen',
        '--key-type',
        keyType,
        '--label',
        label,
        '--id',
        idHex,
      ]),
    importSeed: (token, label, idHex, seedHex) => void tool('import', token, [label, idHex, seedHex]),
    uri: (token, path = '') => `pkcs11:token=${encodeURIComponent(token)}${path}?module-path=${module}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
