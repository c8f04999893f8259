import { getEventListeners } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignerError } from '@clawlink/protocol'
import { runSignerConformance, vectorSeed } from '@clawlink/testkit/conformance'
import { describe, expect, it } from 'vitest'
import { isRecord, randomSeed, signerFromSeed, withDeadline, writePrivateFile } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'clawlink-signer-kit-'))
let n = 0
const fresh = () => join(root, `case-${++n}`, 'file.json')
const mode = (path: string) => statSync(path).mode & 0o777
const leftovers = (path: string) => readdirSync(join(path, '..')).filter((name) => name.endsWith('.tmp'))

runSignerConformance('seed (signerFromSeed)', {
  create: () => signerFromSeed(randomSeed()),
  createFromVectorSeed: () => signerFromSeed(vectorSeed()),
})

describe('signerFromSeed and randomSeed', () => {
  it('refuses a seed that is not 32 bytes with INVALID_OPTIONS', async () => {
    for (const seed of [new Uint8Array(31), new Uint8Array(33), 'x'.repeat(32) as unknown as Uint8Array]) {
      const error = await signerFromSeed(seed).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SignerError)
      expect((error as SignerError).code).toBe('INVALID_OPTIONS')
    }
  })

  it('gives a fresh 32-byte seed each call', () => {
    const a = randomSeed()
    expect(a).toHaveLength(32)
    expect(Buffer.from(a).equals(Buffer.from(randomSeed()))).toBe(false)
  })
})

describe('writePrivateFile', () => {
  it('create-only: writes 0600 in a new 0700 folder, then never replaces the file', () => {
    const path = fresh()
    expect(writePrivateFile(path, 'first\n', { replace: false })).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('first\n')
    expect(mode(path)).toBe(0o600)
    expect(mode(join(path, '..'))).toBe(0o700)
    expect(writePrivateFile(path, 'second\n', { replace: false })).toBe(false)
    expect(readFileSync(path, 'utf8')).toBe('first\n')
    expect(leftovers(path)).toEqual([])
  })

  it('replace: swaps the whole file in, 0600 even over a 0644 file', () => {
    const path = fresh()
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, 'old and longer\n', { mode: 0o644 })
    expect(writePrivateFile(path, 'new\n', { replace: true })).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('new\n')
    expect(mode(path)).toBe(0o600)
    expect(leftovers(path)).toEqual([])
  })

  it('is 0600 whatever the umask', () => {
    const path = fresh()
    const old = process.umask(0o377)
    try {
      writePrivateFile(path, 'x', { replace: true })
    } finally {
      process.umask(old)
    }
    expect(mode(path)).toBe(0o600)
  })

  it('a failed move leaves no temp file behind', () => {
    const path = fresh()
    mkdirSync(path, { recursive: true }) // a folder where the file should go
    expect(() => writePrivateFile(path, 'x', { replace: true })).toThrow()
    expect(leftovers(path)).toEqual([])
    expect(writePrivateFile(path, 'x', { replace: false })).toBe(false)
    expect(leftovers(path)).toEqual([])
  })
})

const never = () => new Promise<never>(() => undefined)

describe('withDeadline', () => {
  it("settles like the work, and leaves no listener on the caller's signal", async () => {
    const caller = new AbortController()
    let seen: AbortSignal | undefined
    const value = await withDeadline(
      async (signal) => {
        seen = signal
        return 42
      },
      { timeoutMs: 60_000, signal: caller.signal, onTimeout: () => new Error('late') },
    )
    expect(value).toBe(42)
    expect(seen?.aborted).toBe(false)
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
  })

  it("passes the work's own error through unchanged, without aborting the work", async () => {
    const boom = new Error('boom')
    let seen: AbortSignal | undefined
    const error = await withDeadline(
      async (signal) => {
        seen = signal
        throw boom
      },
      { timeoutMs: 60_000, onTimeout: () => new Error('late') },
    ).catch((e: unknown) => e)
    expect(error).toBe(boom)
    expect(seen?.aborted).toBe(false)
  })

  it("rejects with onTimeout() when the work overruns, and aborts the work's signal with that error", async () => {
    const late = new Error('late')
    let seen: AbortSignal | undefined
    const error = await withDeadline(
      (signal) => {
        seen = signal
        return never()
      },
      { timeoutMs: 5, onTimeout: () => late },
    ).catch((e: unknown) => e)
    expect(error).toBe(late)
    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBe(late)
  })

  it('rejects with onAbort() when the caller aborts, and the late outcome of the work is ignored', async () => {
    const caller = new AbortController()
    let fail: (error: Error) => void = () => undefined
    let seen: AbortSignal | undefined
    const pending = withDeadline(
      (signal) => {
        seen = signal
        return new Promise<never>((_, reject) => {
          fail = reject
        })
      },
      { signal: caller.signal, onAbort: () => new Error('stopped') },
    )
    caller.abort()
    const error = await pending.catch((e: unknown) => e)
    expect((error as Error).message).toBe('stopped')
    expect(seen?.aborted).toBe(true)
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
    fail(new Error('the token finished late')) // must not surface as an unhandled rejection
  })

  it('an already aborted signal rejects (SignerError ABORTED by default) before the work starts', async () => {
    let started = false
    const error = await withDeadline(
      async () => {
        started = true
      },
      { signal: AbortSignal.abort() },
    ).catch((e: unknown) => e)
    expect(started).toBe(false)
    expect(error).toBeInstanceOf(SignerError)
    expect((error as SignerError).code).toBe('ABORTED')
  })
})

describe('isRecord', () => {
  it('is true for plain objects only', () => {
    expect([{}, { a: 1 }, Object.create(null)].every(isRecord)).toBe(true)
    expect([null, undefined, [], 'x', 1, true].some(isRecord)).toBe(false)
  })
})
