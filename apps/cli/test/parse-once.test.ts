import { describe, expect, it } from 'vitest'
import { parseCommand } from '../src/args.js'
import { parses, resolveInvocation } from '../src/grammar.js'

// The argv is parsed once per command (issue 23): the invocation's parse is the very object the command reads.
describe('one parse per invocation', () => {
  it('the command gets the parse resolveInvocation made, not a second one', () => {
    const before = parses.count
    const invocation = resolveInvocation(['cron', 'run', 'nightly', '--wait', '--timeout', '5m'])
    if (invocation.kind !== 'run') throw new Error(`expected a run, got ${invocation.kind}`)
    const first = parseCommand(invocation.argv, 'cron run')
    expect(parses.count - before).toBe(1)
    expect(first.values).toMatchObject({ wait: true, timeout: '5m' })
    expect(first.positionals).toEqual(['nightly'])
    expect(parseCommand(invocation.argv, 'cron run')).toBe(first)
  })
  it('another argv array, or the same words for another command, is parsed on its own', () => {
    const invocation = resolveInvocation(['cron', 'runs', 'nightly', '-f'])
    if (invocation.kind !== 'run') throw new Error(`expected a run, got ${invocation.kind}`)
    const copy = [...invocation.argv]
    expect(parseCommand(copy, 'cron runs')).not.toBe(parseCommand(invocation.argv, 'cron runs'))
    expect(parseCommand(copy, 'cron runs').values).toMatchObject({ follow: true })
  })
})
