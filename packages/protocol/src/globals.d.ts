// The protocol package compiles without Node or DOM types (it must stay pure); these two
// WHATWG globals exist in every runtime we target (Node ≥ 20, browsers, Deno, Bun).
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean })
  decode(input?: Uint8Array): string
}
// Only the shape the protocol passes through; consumers see their runtime's full AbortSignal.
interface AbortSignal {
  readonly aborted: boolean
  readonly reason: unknown
}
