import { sshAgentSigner, execSigner } from '@clawlink/signer-agent/declaration'
import { fileSigner } from '@clawlink/signer-file/declaration'
import { keychainSigner } from '@clawlink/signer-keychain/declaration'
import type { AnySignerDeclaration, SignerDeclaration } from '@clawlink/signer-kit/declaration'
import { pkcs11Signer } from '@clawlink/signer-pkcs11/declaration'

/**
 * The one list of built-in signers. Their kinds, flags, help, completion, profile checks and loaders all derive
 * from it (signer-spec.ts, flags.ts, load-signer.ts, the CLI's option table, the MCP server's help). A new
 * signer is a package exporting a declaration from its `./declaration` subpath, plus one entry here. The first
 * is the default: its flags without `--signer` select it. Order is the order of help and completion.
 */
export const builtinSigners = [fileSigner, keychainSigner, sshAgentSigner, execSigner, pkcs11Signer] as const

type Builtin = (typeof builtinSigners)[number]

/** The spec a profile records for each built-in: `{kind}` and the signer's own fields. */
export type BuiltinSignerSpec = Builtin extends infer D
  ? D extends SignerDeclaration<infer K, infer S, infer _F, infer _Key>
    ? { kind: K } & S
    : never
  : never

/** The parsed-flag key of every built-in signer's option (`keyFile`, `pkcs11Uri`, …). */
export type BuiltinSignerKey = Builtin extends infer D
  ? D extends SignerDeclaration<infer _K, infer _S, infer _F, infer Key>
    ? Key
    : never
  : never

/** The flag name of every built-in signer's option (`key-file`, `pkcs11-uri`, …). */
export type BuiltinSignerFlag = Builtin extends infer D
  ? D extends SignerDeclaration<infer _K, infer _S, infer F, infer _Key>
    ? F
    : never
  : never

/** The kinds `--signer` takes besides a plug-in: the built-ins, then `none` (token-only). */
export function signerKinds(list: readonly AnySignerDeclaration[] = builtinSigners): string[] {
  return [...list.map((d) => d.kind), 'none']
}

/** The declaration of a built-in kind, or undefined (`none`, `module`, unknown). */
export function builtinSigner(
  kind: string,
  list: readonly AnySignerDeclaration[] = builtinSigners,
): AnySignerDeclaration | undefined {
  return list.find((d) => d.kind === kind)
}
