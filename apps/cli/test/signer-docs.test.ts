import { builtinSigners, type SignerDeclaration } from '@clawlink/config'
import { describe, expect, it } from 'vitest'
import { signerOptionDocs } from '../src/option-docs.js'
import { COMMAND_OPTIONS, OPTION_DOCS } from '../src/spec.js'

// The CLI's signer flags come from the signers' declarations: a signer added to the list gets its help line and
// completion without an edit here.
const testSigner: SignerDeclaration<'test-hsm', { slot: string }, 'test-hsm-slot', 'testHsmSlot'> = {
  kind: 'test-hsm',
  options: [{ flag: 'test-hsm-slot', key: 'testHsmSlot', arg: 'N', help: 'the slot', complete: ['1', '2'] }],
  initActions: [{ flag: 'test-hsm-wipe', help: 'wipe the slot first' }],
  fromFlags: (values) => ({ slot: values.testHsmSlot ?? '0' }),
  problem: () => undefined,
  describe: (spec) => `slot ${spec.slot}`,
  load: () => Promise.reject(new Error('not loaded in this test')),
}

describe('signer flags in help and completion', () => {
  it('documents a declared option and init action of a signer added to the list', () => {
    const docs = signerOptionDocs([...builtinSigners, testSigner])
    expect(docs['test-hsm-slot']).toEqual({
      group: 'identity',
      arg: 'N',
      text: 'test-hsm signer: the slot',
      values: ['1', '2'],
    })
    expect(docs['test-hsm-wipe']).toEqual({
      group: 'identity',
      text: 'device init with --signer test-hsm: wipe the slot first',
    })
  })

  it('takes and documents every built-in signer flag on connecting commands, init actions on device init', () => {
    for (const d of builtinSigners) {
      for (const o of d.options) {
        expect(COMMAND_OPTIONS['cron run']).toHaveProperty([o.flag], { type: 'string' })
        expect(OPTION_DOCS[o.flag]?.text).toBe(`${d.kind} signer: ${o.help}`)
        expect(OPTION_DOCS[o.flag]?.file === true).toBe(o.complete === 'file')
      }
      for (const a of d.initActions ?? []) {
        expect(COMMAND_OPTIONS['device init']).toHaveProperty([a.flag], { type: 'boolean' })
        expect(COMMAND_OPTIONS['cron run']).not.toHaveProperty([a.flag])
      }
    }
    expect(OPTION_DOCS.signer?.values).toEqual(['file', 'keychain', 'agent', 'exec', 'pkcs11', 'none'])
  })
})
