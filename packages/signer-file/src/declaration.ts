import { isAbsolute } from 'node:path'
import type { SignerDeclaration } from '@clawlink/signer-kit/declaration'

/** What a profile records of the file signer: the key file when not the profile's own identity.json. */
export interface FileSignerSpec {
  keyFile?: string
}

/** `--signer file` (the default): a 0600 JSON key file. Loads no back-end until `load()`. */
export const fileSigner: SignerDeclaration<'file', FileSignerSpec, 'key-file', 'keyFile'> = {
  kind: 'file',
  options: [
    { flag: 'key-file', key: 'keyFile', arg: 'FILE', help: 'the 0600 JSON key file', complete: 'file' },
  ],
  fromFlags: (values, ctx) => (values.keyFile ? { keyFile: ctx.resolvePath(values.keyFile) } : {}),
  problem: (spec) =>
    spec.keyFile === undefined || (typeof spec.keyFile === 'string' && isAbsolute(spec.keyFile))
      ? undefined
      : 'keyFile must be an absolute path',
  describe: (spec, ctx) => spec.keyFile ?? ctx.identityFile,
  async load() {
    const { createFileSigner } = await import('./file-signer.js')
    return (spec, ctx) => createFileSigner({ path: spec.keyFile ?? ctx.identityFile, create: ctx.create })
  },
}
