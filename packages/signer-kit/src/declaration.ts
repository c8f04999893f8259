// What a built-in signer tells clawlink about itself: its kind, its flags, how a profile records it and how to
// build it. Types only, so a package's `./declaration` subpath loads nothing at start-up; the back-end itself
// (and any native module under it) is imported by `load()` only when that signer is used.
import type { DeviceSigner } from '@clawlink/protocol'

/** One `--flag VALUE` a signer takes (always a string; secrets never: a PIN or key comes by file or store). */
export interface SignerOption<Flag extends string = string, Key extends string = string> {
  /** The flag without its dashes, e.g. `keychain-account`; prefix it with the kind so signers never clash. */
  readonly flag: Flag
  /** Its key in the parsed settings flags (`SignerFlags`), e.g. `keychainAccount`. */
  readonly key: Key
  /** The value's name in help, e.g. `NAME`, `FILE`, `URI`. */
  readonly arg: string
  /** One line of help; shown after "<kind> signer: ". */
  readonly help: string
  /** What the shell completes: file names, nothing, or these values. @default 'none' */
  readonly complete?: 'file' | 'none' | readonly string[]
  /** An environment variable the back-end reads when the flag is absent (for docs and tools; help shows `help`). */
  readonly env?: string
  /** `--signer KIND` without this flag is a usage error (named in remedies). */
  readonly required?: boolean
}

/** A boolean flag of `clawlink device init` only (an action, never recorded in the profile). */
export interface SignerInitAction<Flag extends string = string> {
  readonly flag: Flag
  /** One line of help; shown after "device init with --signer <kind>: ". */
  readonly help: string
}

/** What {@link SignerDeclaration.fromFlags} may use. */
export interface SignerFlagContext {
  readonly cwd: string
  readonly env: Record<string, string | undefined>
  /** `~` expanded and made absolute against `cwd` (a profile must work from anywhere). */
  resolvePath(path: string): string
  /** Throws the caller's "bad signer options" error (config: ConfigError SIGNER_OPTIONS, exit 3). */
  invalid(message: string, remedy: string, cause?: unknown): never
}

/** What {@link SignerDeclaration.describe} and the loaded factory know of the profile. */
export interface SignerProfileContext {
  /** The profile's default key file (`<profile dir>/identity.json`). */
  readonly identityFile: string
  readonly profile: string
}

/** What the factory returned by {@link SignerDeclaration.load} gets besides the spec. */
export interface SignerLoadContext extends SignerProfileContext {
  /** Create the key when there is none (`device init`, first connection); false for doctor and `device show`. */
  readonly create: boolean
  /** The {@link SignerInitAction} flags given to `device init` (flag name → true). */
  readonly actions: Readonly<Record<string, boolean>>
}

/** One checked step of a signer's own doctor walk. */
export interface SignerCheckStep {
  step: string
  ok: boolean
  detail: string
  fix?: string
}

/**
 * A built-in signer, declared in its own package. `Spec` is what the profile records next to `kind` (never a
 * secret); its error codes stay where they are thrown (a `…SignerErrorCode` union of the package, a row each in
 * docs/errors.md; every SignerError exits 4).
 */
export interface SignerDeclaration<
  Kind extends string = string,
  Spec extends object = object,
  Flag extends string = string,
  Key extends string = string,
> {
  /** `--signer KIND` and the `kind` recorded in settings.json. */
  readonly kind: Kind
  /** How `device show` and doctor name it, e.g. `ssh-agent` for kind `agent`. @default kind */
  readonly label?: string
  readonly options: readonly SignerOption<Flag, Key>[]
  readonly initActions?: readonly SignerInitAction[]
  /**
   * The spec from the flag values (only this signer's, by option key), checked.
   * @throws through `ctx.invalid` when a value is missing or malformed
   */
  fromFlags(values: Partial<Record<Key, string>>, ctx: SignerFlagContext): Spec
  /** What is wrong with a spec read from a profile file (possibly tampered), or undefined when it is sound. */
  problem(spec: Readonly<Record<string, unknown>>): string | undefined
  /** The words in parentheses of `device show`'s signer line, e.g. `service clawlink, account ci`. */
  describe(spec: Spec, ctx: SignerProfileContext): string
  /** Imports the back-end (the only place its package and native modules load) and returns its factory. */
  load(): Promise<(spec: Spec, ctx: SignerLoadContext) => Promise<DeviceSigner>>
  /** Doctor's own walk of this signer (lazy like `load`); it never throws. */
  check?(): Promise<(spec: Spec) => Promise<SignerCheckStep[]>>
}

/** Any declaration, whatever its spec: what the list of built-ins holds. */
// biome-ignore lint/suspicious/noExplicitAny: the spec type varies per signer; each declaration is checked alone
export type AnySignerDeclaration = SignerDeclaration<string, any, string, string>
