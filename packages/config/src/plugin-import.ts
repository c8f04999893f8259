/**
 * Imports a `--signer <module>` plug-in. The bundled apps run inside V8's code cache (scripts/launcher), where Node 20
 * loses the callback `import()` needs once code comes from the cache; their launcher lends its own `import` under
 * this symbol, and everything else (the packages used as libraries, tests) imports directly.
 */
const LENT = Symbol.for('clawlink.import')

type Importer = (specifier: string) => Promise<Record<string, unknown>>

export function importPlugin(specifier: string): Promise<Record<string, unknown>> {
  const lent = (globalThis as { [LENT]?: Importer })[LENT]
  return lent ? lent(specifier) : (import(specifier) as Promise<Record<string, unknown>>)
}
