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

function codesInSource(): Map<string, string> {
  const found = new Map<string, string>()
  const note = (code: string, file: string) => found.has(code) || found.set(code, file.slice(root.length + 1))
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
    for (const m of text.matchAll(/new (?:\w+Error)\(\s*'([A-Z][A-Z0-9_]+)'/g)) note(m[1]!, file)
    for (const m of text.matchAll(/new ToolRefusal\([^;]*?,\s*'([A-Z][A-Z0-9_]+)',?\s*\)/gs))
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
    const missing = [...codes].filter(([code]) => !doc.has(code)).map(([c, f]) => `${c} (${f})`)
    expect(missing).toEqual([])
  })
})
