import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BIN } from './helpers.js'

const read = (name: string) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8'))

describe('server.json (MCP Registry)', () => {
  it('names this package, is shipped in it, and lists only flags and variables the server knows', () => {
    const server = read('server.json')
    const pkg = read('package.json')
    expect(pkg.files).toContain('server.json')
    expect(server.name).toBe(pkg.mcpName)
    const [npm] = server.packages
    expect(npm).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version })
    expect(server.version).toBe(pkg.version)
    const helpText = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stderr // help goes to stderr
    for (const arg of npm.packageArguments) expect(helpText).toContain(arg.name)
    for (const v of npm.environmentVariables) expect(helpText).toContain(v.name)
  })
})
