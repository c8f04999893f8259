import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { runCli, sandbox } from './helpers.js'

// The `context` commands and the context errors, through the built CLI (no gateway needed: each fails or
// answers before connecting, or connects to a closed port).

describe('clawlink context', () => {
  it('add, list, show, use, rm keep the file; the first context becomes current', {
    timeout: 60_000,
  }, async () => {
    const box = sandbox('tok')
    const add = (name: string, ...rest: string[]) => runCli(['context', 'add', name, ...rest], box.env)
    expect((await add('a', '--url', 'ws://127.0.0.1:1', '--token-file', box.tokenFile)).code).toBe(EXIT.OK)
    expect((await add('b', '--url', 'wss://gw.example:18789', '--profile', 'ops')).code).toBe(EXIT.OK)
    const again = await add('a', '--url', 'ws://127.0.0.1:2')
    expect(again.code).toBe(EXIT.USAGE)
    expect(again.stderr).toContain('context "a" already exists')
    const list = JSON.parse((await runCli(['context', 'list', '--json'], box.env)).stdout)
    expect(list).toMatchObject({
      current: 'a',
      contexts: [
        { name: 'a', current: true },
        { name: 'b', profile: 'ops' },
      ],
    })
    expect((await runCli(['context', 'use', 'b'], box.env)).code).toBe(EXIT.OK)
    const show = JSON.parse((await runCli(['context', 'show', '--json'], box.env)).stdout)
    expect(show.context).toMatchObject({ name: 'b', current: true, url: 'wss://gw.example:18789' })
    expect((await runCli(['context', 'rm', 'b'], box.env)).code).toBe(EXIT.OK)
    const text = readFileSync(join(box.env.CLAWLINK_HOME!, 'contexts.conf'), 'utf8')
    expect(text).not.toContain('[b]')
    expect(text).not.toMatch(/^current/m)
    const unknown = await runCli(['context', 'use', 'zz'], box.env)
    expect(unknown.code).toBe(EXIT.CONFIG)
    expect(unknown.stderr).toContain('one of: a')
  })

  it('a hand-edited typo exits 3 naming the file and line, for every command that reads contexts', {
    timeout: 60_000,
  }, async () => {
    const box = sandbox('tok')
    const file = join(box.env.CLAWLINK_HOME!, 'contexts.conf')
    expect((await runCli(['context', 'add', 'a', '--url', 'ws://127.0.0.1:1'], box.env)).code).toBe(EXIT.OK)
    writeFileSync(file, readFileSync(file, 'utf8').replace('url =', 'ulr ='), { mode: 0o600 })
    for (const argv of [
      ['cron', 'list'],
      ['context', 'list'],
      ['doctor', '--all-contexts'],
    ]) {
      const r = await runCli(argv, box.env)
      expect(r.code, argv.join(' ')).toBe(EXIT.CONFIG)
      expect(r.stderr).toContain(`${file} line 5: unknown key "ulr" in [a]: did you mean "url"?`)
    }
  })

  it('a context whose token file vanished: exit 3 naming the context and the file', {
    timeout: 60_000,
  }, async () => {
    const box = sandbox('tok')
    expect(
      (
        await runCli(
          ['context', 'add', 'a', '--url', 'ws://127.0.0.1:1', '--token-file', box.tokenFile],
          box.env,
        )
      ).code,
    ).toBe(EXIT.OK)
    rmSync(box.tokenFile)
    const r = await runCli(['cron', 'status', '--context', 'a'], box.env)
    expect(r.code).toBe(EXIT.CONFIG)
    expect(r.stderr).toContain(`context "a": its token file ${box.tokenFile} cannot be read (ENOENT)`)
  })

  it('--all-contexts: refused with --url or --context, and where it does not belong', {
    timeout: 60_000,
  }, async () => {
    const box = sandbox('tok')
    expect((await runCli(['context', 'add', 'a', '--url', 'ws://127.0.0.1:1'], box.env)).code).toBe(EXIT.OK)
    const withUrl = await runCli(['cron', 'list', '--all-contexts', '--url', 'ws://127.0.0.1:2'], box.env)
    expect(withUrl.code).toBe(EXIT.USAGE)
    expect(withUrl.stderr).toContain('--url cannot be combined with --all-contexts')
    expect((await runCli(['cron', 'run', 'x', '--all-contexts'], box.env)).code).toBe(EXIT.USAGE)
    const none = await runCli(['cron', 'list', '--all-contexts'], sandbox().env)
    expect(none.code).toBe(EXIT.USAGE)
    expect(none.stderr).toContain('no contexts in')
  })
})
