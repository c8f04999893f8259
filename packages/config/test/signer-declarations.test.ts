import { parseArgs } from 'node:util'
import type { SignerDeclaration } from '@clawlink/signer-kit/declaration'
import { describe, expect, it } from 'vitest'
import { builtinSigners, signerKinds } from '../src/builtin-signers.js'
import { SETTINGS_OPTIONS, settingsFlagsFromValues, signerInitOptions, signerOptions } from '../src/flags.js'
import { loadSigner } from '../src/load-signer.js'
import { profilePaths } from '../src/profile.js'
import { describeSignerSpec, signerSpecFromFlags, validateSignerSpec } from '../src/signer-spec.js'

// A signer that exists only in this test: adding one to the list must be all it takes for its flag to parse,
// its spec to be built, checked and described, and its back-end to load.
const publicKey = new Uint8Array(32).fill(7)
let loads = 0
const testSigner: SignerDeclaration<'test-hsm', { slot: string }, 'test-hsm-slot', 'testHsmSlot'> = {
  kind: 'test-hsm',
  label: 'test HSM',
  options: [
    {
      flag: 'test-hsm-slot',
      key: 'testHsmSlot',
      arg: 'N',
      help: 'the slot',
      complete: ['1', '2'],
      required: true,
    },
  ],
  initActions: [{ flag: 'test-hsm-wipe', help: 'wipe the slot first' }],
  fromFlags: (values, ctx) =>
    values.testHsmSlot
      ? { slot: values.testHsmSlot }
      : ctx.invalid('--signer test-hsm needs --test-hsm-slot', 'add it'),
  problem: (spec) => (typeof spec.slot === 'string' ? undefined : 'slot must be a string'),
  describe: (spec, ctx) => `slot ${spec.slot}, profile ${ctx.profile}`,
  async load() {
    loads++
    return async (spec, ctx) => ({
      algorithm: 'ed25519' as const,
      publicKey: publicKey.map((b) => b + Number(spec.slot) + (ctx.actions['test-hsm-wipe'] ? 100 : 0)),
      sign: async () => new Uint8Array(64),
    })
  },
}
const list = [...builtinSigners, testSigner]

function parse(args: string[]) {
  const options = { ...SETTINGS_OPTIONS, ...signerOptions(list), ...signerInitOptions(list) }
  return parseArgs({ args, options, strict: true }).values
}

describe('the built-in signers list', () => {
  it('names the kinds --signer takes, in order, then none', () => {
    expect(signerKinds()).toEqual(['file', 'keychain', 'agent', 'exec', 'pkcs11', 'none'])
    expect(signerKinds(list)).toEqual(['file', 'keychain', 'agent', 'exec', 'pkcs11', 'test-hsm', 'none'])
  })

  it('gives every built-in option to the settings flags, and no flag twice', () => {
    const flags = builtinSigners.flatMap((d) => d.options.map((o) => o.flag))
    expect(new Set(flags).size).toBe(flags.length)
    for (const flag of flags) expect(SETTINGS_OPTIONS).toHaveProperty([flag], { type: 'string' })
    expect(signerInitOptions()).toEqual({ 'pkcs11-generate': { type: 'boolean' } })
  })

  it('parses, builds, checks, describes and loads a signer declared only in a test', async () => {
    expect(() =>
      parseArgs({ args: ['--test-hsm-slot', '2'], options: SETTINGS_OPTIONS, strict: true }),
    ).toThrow(/Unknown option '--test-hsm-slot'/)
    const values = parse(['--signer', 'test-hsm', '--test-hsm-slot', '2', '--test-hsm-wipe'])
    const flags = settingsFlagsFromValues(values, list)
    expect(flags).toEqual({ signer: 'test-hsm', testHsmSlot: '2' })
    const spec = signerSpecFromFlags(flags, '/tmp', {}, list)!
    expect(spec).toEqual({ kind: 'test-hsm', slot: '2' })
    expect(() => validateSignerSpec(spec, 'settings.json', list)).not.toThrow()
    expect(() => validateSignerSpec({ ...spec, slot: 3 } as never, 'settings.json', list)).toThrow(
      /malformed \(slot must be a string\)/,
    )
    const paths = profilePaths('/tmp/clawlink-test-profile', 'ci')
    expect(describeSignerSpec(spec, paths.identityFile, 'ci', list)).toBe('test HSM (slot 2, profile ci)')
    const signer = await loadSigner(spec, paths, { signers: list, actions: { 'test-hsm-wipe': true } })
    expect(loads).toBe(1)
    expect(signer?.publicKey[0]).toBe(7 + 2 + 100)
  })

  it('reports its option problems as SIGNER_OPTIONS; unlisted, its name is a plug-in package', () => {
    expect(() => signerSpecFromFlags({ signer: 'test-hsm' }, '/tmp', {}, list)).toThrow(
      expect.objectContaining({ code: 'SIGNER_OPTIONS', remedy: 'add it' }),
    )
    expect(signerSpecFromFlags({ signer: 'test-hsm', testHsmSlot: '2' } as never, '/tmp', {})).toEqual({
      kind: 'module',
      module: 'test-hsm',
      options: {},
    })
    expect(() => signerSpecFromFlags({ signer: 'no such' }, '/tmp', {}, list)).toThrow(
      expect.objectContaining({
        code: 'SIGNER_UNKNOWN',
        remedy:
          'use one of file, keychain, agent, exec, pkcs11, test-hsm, none, a module path or a package name',
      }),
    )
  })
})
