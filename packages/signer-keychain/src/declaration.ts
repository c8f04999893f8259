import type { SignerDeclaration } from '@clawlink/signer-kit/declaration'

/** What a profile records of the keychain signer (defaults: service `clawlink`, account = the profile's name). */
export interface KeychainSignerSpec {
  account?: string
  service?: string
}

const optionalString = (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0)

/** `--signer keychain`: the seed in the OS keychain. keytar loads only in `load()`. */
export const keychainSigner: SignerDeclaration<
  'keychain',
  KeychainSignerSpec,
  'keychain-account' | 'keychain-service',
  'keychainAccount' | 'keychainService'
> = {
  kind: 'keychain',
  options: [
    { flag: 'keychain-account', key: 'keychainAccount', arg: 'NAME', help: 'the account name' },
    { flag: 'keychain-service', key: 'keychainService', arg: 'NAME', help: 'the service name' },
  ],
  fromFlags: (values) => ({
    ...(values.keychainAccount ? { account: values.keychainAccount } : {}),
    ...(values.keychainService ? { service: values.keychainService } : {}),
  }),
  problem: (spec) =>
    optionalString(spec.account) && optionalString(spec.service)
      ? undefined
      : 'account/service must be strings',
  describe: (spec, ctx) => `service ${spec.service ?? 'clawlink'}, account ${spec.account ?? ctx.profile}`,
  async load() {
    const { createKeychainSigner } = await import('./keychain-signer.js')
    return (spec, ctx) =>
      createKeychainSigner({
        account: spec.account ?? ctx.profile,
        ...(spec.service ? { service: spec.service } : {}),
        create: ctx.create,
      })
  },
}
