#!/usr/bin/env node
// Fails (exit 1) when the shipped source of a package imports itself in a circle: follows every relative import
// (bare `import './x.js'` too) and re-export in packages/*/src and apps/*/src (type-only ones too: a circle of types is still a tangle), test
// files excepted, and prints each circle it finds as a → b → a.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The repository, or the tree named by --root DIR (its own test gives it one with a circle).
const rootAt = process.argv.indexOf('--root')
const root =
  rootAt > 0 ? resolve(process.argv[rootAt + 1]) : resolve(dirname(new URL(import.meta.url).pathname), '..')
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g
const DYNAMIC = /import\(\s*['"](\.[^'"]+)['"]\s*\)/g
// `import './x.js'`: imported for its effects only, still an edge.
const BARE = /(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g

function sourceFiles(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (/\.tsx?$/.test(name) && !/\.(test|spec)\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
      out.push(path)
  }
  return out
}

function target(from, spec) {
  const base = resolve(dirname(from), spec).replace(/\.(m?js)$/, '')
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')])
    if (existsSync(candidate)) return candidate
  return undefined
}

export function findCycles(files) {
  const edges = new Map()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const deps = new Set()
    for (const re of [IMPORT, DYNAMIC, BARE])
      for (const m of text.matchAll(re)) {
        const to = target(file, m[1])
        if (to) deps.add(to)
      }
    edges.set(file, [...deps])
  }
  const cycles = new Map()
  const state = new Map() // 1 = on the stack, 2 = done
  const stack = []
  const visit = (node) => {
    state.set(node, 1)
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 1) {
        const cycle = stack.slice(stack.indexOf(next))
        const key = [...cycle].sort().join('|')
        if (!cycles.has(key)) cycles.set(key, [...cycle, next])
      } else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 2)
  }
  for (const file of edges.keys()) if (!state.has(file)) visit(file)
  return [...cycles.values()]
}

const files = []
for (const group of ['packages', 'apps'])
  for (const name of readdirSync(join(root, group))) {
    const src = join(root, group, name, 'src')
    if (existsSync(src)) files.push(...sourceFiles(src))
  }
const cycles = findCycles(files)
for (const cycle of cycles) console.log(`import circle: ${cycle.map((f) => relative(root, f)).join(' → ')}`)
console.log(
  cycles.length === 0
    ? `no import circles in ${files.length} source files`
    : `${cycles.length} import circle(s)`,
)
process.exitCode = cycles.length === 0 ? 0 : 1
