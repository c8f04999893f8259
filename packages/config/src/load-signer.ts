import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type DeviceSigner, describeSignerProblem } from '@clawlink/protocol'
import { ConfigError } from './errors.js'
import type { ProfilePaths } from './profile.js'
import { moduleRefusal, type SignerSpec } from './signer-spec.js'
import type { AnySignerDeclaration, SignerCheckStep } from '@clawlink/signer-kit/declaration'
import { builtinSigner } from './builtin-signers.js'
import { importPlugin } from './plugin-import.js'

type Factory = (options: Record<string, unknown>) => DeviceSigner | Promise<DeviceSigner>

/** How {@link loadSigner} builds the signer. */
export interface LoadSignerOptions {
  /** Create the key when there is none (file, keychain). @default true */
  create?: boolean
  /** @default 'default' */
  profile?: string
  /** The `device init` actions given (a signer's declared init flags, e.g. `{'pkcs11-generate': true}`). */
  actions?: Readonly<Record<string, boolean>>
  /** The built-in signers (tests add their own). @default builtinSigners */
  signers?: readonly AnySignerDeclaration[]
}

/**
 * Imports only the chosen back-end (its declaration's `load()`), so `cron run` with the file signer never loads
 * keytar, pkcs11js or an agent client (docs/testing.md §8), and builds the signer. `none` → undefined
 * (token-only connection).
 * @throws ConfigError for plug-in problems; SignerError from the back-end itself
 */
export async function loadSigner(
  spec: SignerSpec,
  paths: ProfilePaths,
  options: LoadSignerOptions = {},
): Promise<DeviceSigner | undefined> {
  if (spec.kind === 'none') return undefined
  if (spec.kind === 'module') return loadPluginSigner(spec.module, spec.options)
  const declared = builtinSigner(spec.kind, options.signers)
  if (!declared)
    throw new ConfigError('SIGNER_UNKNOWN', `unknown signer "${String(spec.kind).slice(0, 80)}"`, {
      remedy: 'run "clawlink device init" with a known --signer',
    })
  const create = await declared.load()
  return create(spec, {
    identityFile: paths.identityFile,
    profile: options.profile ?? 'default',
    create: options.create ?? true,
    actions: options.actions ?? {},
  })
}

/**
 * Doctor's own walk of the signer (e.g. PKCS#11: module, slot, login, key type), loaded lazily; undefined when
 * the signer declares none. Never throws.
 */
export async function checkSigner(
  spec: SignerSpec,
  signers?: readonly AnySignerDeclaration[],
): Promise<SignerCheckStep[] | undefined> {
  const declared = builtinSigner(spec.kind, signers)
  if (!declared?.check) return undefined
  const check = await declared.check()
  return check(spec)
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
