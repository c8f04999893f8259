import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type DeviceSigner, describeSignerProblem } from '@clawlink/protocol'
import { ConfigError } from './errors.js'
import type { ProfilePaths } from './profile.js'
import { moduleRefusal, type SignerSpec } from './signer-spec.js'
import { importPlugin } from './plugin-import.js'

type Factory = (options: Record<string, unknown>) => DeviceSigner | Promise<DeviceSigner>

/**
 * Imports only the chosen back-end (`await import()`), so `cron run` with the file signer never loads keytar
 * or an agent client (docs/testing.md §8), and builds the signer. `none` → undefined (token-only connection).
 * @throws ConfigError for plug-in problems; SignerError from the back-end itself
 */
export async function loadSigner(
  spec: SignerSpec,
  paths: ProfilePaths,
  options: { create?: boolean; profile?: string; pkcs11Generate?: boolean } = {},
): Promise<DeviceSigner | undefined> {
  switch (spec.kind) {
    case 'none':
      return undefined
    case 'file': {
      const { createFileSigner } = await import('@clawlink/signer-file')
      return createFileSigner({ path: spec.keyFile ?? paths.identityFile, create: options.create ?? true })
    }
    case 'keychain': {
      const mod = (await import('@clawlink/signer-keychain')) as unknown as { createKeychainSigner: Factory }
      return mod.createKeychainSigner({
        account: spec.account ?? options.profile ?? 'default',
        ...(spec.service ? { service: spec.service } : {}),
        create: options.create ?? true,
      })
    }
    case 'agent': {
      const mod = (await import('@clawlink/signer-agent')) as unknown as { createSshAgentSigner: Factory }
      const key = spec.key
      return mod.createSshAgentSigner({
        ...(spec.socket ? { socketPath: spec.socket } : {}),
        ...(key ? (key.startsWith('SHA256:') ? { fingerprint: key } : { comment: key }) : {}),
      })
    }
    case 'exec': {
      const mod = (await import('@clawlink/signer-agent')) as unknown as { createExecSigner: Factory }
      return mod.createExecSigner({
        command: spec.command,
        ...(spec.publicKey ? { publicKey: spec.publicKey } : {}),
      })
    }
    case 'pkcs11': {
      // Only here is the PKCS#11 package (and through it the native pkcs11js) loaded.
      const { createPkcs11Signer } = await import('@clawlink/signer-pkcs11')
      return createPkcs11Signer({ uri: spec.uri, generate: options.pkcs11Generate === true })
    }
    case 'module':
      return loadPluginSigner(spec.module, spec.options)
  }
}

/** One checked step of a PKCS#11 key (module, slot, login, key type), for doctor. */
export interface Pkcs11CheckStep {
  step: string
  ok: boolean
  detail: string
  fix?: string
}

/** Doctor's PKCS#11 walk: loads the package lazily, never throws. */
export async function checkPkcs11Signer(uri: string): Promise<Pkcs11CheckStep[]> {
  const { describePkcs11Key } = await import('@clawlink/signer-pkcs11')
  return describePkcs11Key(uri)
}

/**
 * A user's own signer: any module exporting `createSigner(options)` (or a default function) that returns a
 * DeviceSigner (docs/architecture.md "The signer contract").
 * Only an absolute file path or an installed package name is imported — never a URL (`data:`, `http:` …).
 * @throws ConfigError SIGNER_PLUGIN_REFUSED, SIGNER_PLUGIN_NOT_FOUND, SIGNER_PLUGIN_INVALID
 */
export async function loadPluginSigner(
  module: string,
  options: Record<string, string>,
): Promise<DeviceSigner> {
  const refusal = moduleRefusal(module)
  if (refusal) {
    throw new ConfigError(
      'SIGNER_PLUGIN_REFUSED',
      `signer module "${module.slice(0, 80)}" is refused: ${refusal}`,
      { remedy: 'use a module file path (e.g. ./my-signer.mjs) or an installed package name' },
    )
  }
  const isPath = isAbsolute(module)
  if (isPath && !existsSync(module)) {
    throw new ConfigError('SIGNER_PLUGIN_NOT_FOUND', `signer module ${module} does not exist`, {
      remedy: 'check the path given to --signer',
    })
  }
  let mod: Record<string, unknown>
  try {
    mod = await importPlugin(isPath ? pathToFileURL(module).href : module)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' && !isPath) {
      throw new ConfigError('SIGNER_PLUGIN_NOT_FOUND', `signer package "${module}" is not installed`, {
        remedy: `install it next to clawlink, or pass a module path`,
        cause,
      })
    }
    throw new ConfigError(
      'SIGNER_PLUGIN_INVALID',
      `signer module ${module} failed to load: ${(cause as Error).message}`,
      { remedy: 'fix the module', cause },
    )
  }
  const factory = (mod.createSigner ?? mod.default) as Factory | undefined
  if (typeof factory !== 'function') {
    throw new ConfigError(
      'SIGNER_PLUGIN_INVALID',
      `signer module ${module} exports no createSigner function`,
      { remedy: 'export `createSigner(options)` returning a DeviceSigner' },
    )
  }
  const signer = await factory(options)
  const problem = describeSignerProblem(signer)
  if (problem) {
    throw new ConfigError(
      'SIGNER_PLUGIN_INVALID',
      `signer module ${module} returned something that is not a DeviceSigner: ${problem}`,
      {
        remedy:
          'return {algorithm: "ed25519", publicKey: Uint8Array(32), sign(payload) → Promise<Uint8Array(64)>}',
      },
    )
  }
  return signer
}
