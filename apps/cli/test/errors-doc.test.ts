import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// Every stable error code clawlink can show a user — a gateway refusal, a client, config, signer, CLI or MCP
// failure — has a row in docs/errors.md. The codes are read from the source, so a new code without a row fails.
const root = join(import.meta.dirname, '..', '..', '..')

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Each code with the files (relative to the repository) it occurs in, in the order they were read. */
function codesInSource(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const note = (code: string, file: string) => {
    const files = found.get(code) ?? found.set(code, []).get(code)!
    const path = file.slice(root.length + 1)
    if (!files.includes(path)) files.push(path)
  }
  const dirs = ['packages', 'apps'].flatMap((g) =>
    readdirSync(join(root, g)).map((p) => join(root, g, p, 'src')),
  )
  for (const file of dirs.flatMap((d) => (statSync(d, { throwIfNoEntry: false }) ? sources(d) : []))) {
    if (file.includes('/testkit/') || file.includes('/release-test/')) continue
    const text = readFileSync(file, 'utf8')
    // `type XErrorCode = | 'A' | 'B'` and `X_ERROR_CODES = ['A', 'B'] as const`
    for (const m of text.matchAll(/(?:type \w*ErrorCode =|_ERROR_CODES = \[)([^;]*?)(?:\n\n|\] as const)/gs))
      for (const c of m[1]!.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) note(c[1]!, file)
    // new CliError('X', …), new ToolRefusal(…, 'X'), new ClientError('X', …)
    // a default code: `readonly code = 'X'`
    for (const m of text.matchAll(/readonly code = '([A-Z][A-Z0-9_]+)'/g)) note(m[1]!, file)
    // new SignerError<FileSignerErrorCode>('X', …) too
    for (const m of text.matchAll(/new (?:\w+Error|ToolRefusal)(?:<\w+>)?\(\s*'([A-Z][A-Z0-9_]+)'/g))
      note(m[1]!, file)
  }
  return found
}

function documented(): Set<string> {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
  // Every backticked code in a table row's first cell (a row may name several: `A`, `B`).
  const firstCells = [...doc.matchAll(/^\| ([^|]*`[A-Z][A-Z0-9_]+`[^|]*)\|/gm)].map((m) => m[1]!)
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)))
}

describe('docs/errors.md', () => {
  it('has a row for every error code in the source', () => {
    const codes = codesInSource()
    expect(codes.size).toBeGreaterThan(60)
    const doc = documented()
    const missing = [...codes].filter(([code]) => !doc.has(code)).map(([c, f]) => `${c} (${f[0]})`)
    expect(missing).toEqual([])
  })

  it('reads the codes each signer back-end declares in its own package, and protocol declares none of them', () => {
    const codes = codesInSource()
    const packagesOf = (code: string) => [
      ...new Set(codes.get(code)?.map((f) => f.split('/').slice(0, 2).join('/'))),
    ]
    expect(packagesOf('KEY_FILE_INSECURE')).toEqual(['packages/signer-file'])
    expect(packagesOf('KEYCHAIN_UNAVAILABLE')).toEqual(['packages/signer-keychain'])
    expect(packagesOf('AGENT_REFUSED')).toEqual(['packages/signer-agent'])
    expect(packagesOf('EXEC_TIMEOUT')).toEqual(['packages/signer-agent'])
    expect(packagesOf('PKCS11_PIN_LOCKED')).toEqual(['packages/signer-pkcs11'])
    expect(packagesOf('SIGNER_TIMEOUT')).toContain('packages/protocol')
  })
})
