import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTaskHandleCodec, MAX_HANDLE_LENGTH, type TaskRun, taskKeyId } from '../src/task-handle.js'
import { loadTaskSecret, TaskSecretError } from '../src/task-secret.js'

const KEY = Buffer.from('k'.repeat(16) + 'e'.repeat(16) + 'y'.repeat(8))
const RUN: TaskRun = {
  gateway: 'wss://gw.example:18789',
  jobId: '8a1a9993-0c5e-4f1c-9b0e-2f6f1d2b3c4d',
  runId: 'run-0f1e2d3c',
  issuedAt: Date.UTC(2026, 11, 7, 12, 0, 0),
}
const codec = createTaskHandleCodec(KEY)

/** The handle with part `i` (0 version, 1 key id, 2 payload, 3 signature) replaced. */
function withPart(handle: string, i: number, part: string): string {
  const parts = handle.split('.')
  parts[i] = part
  return parts.join('.')
}
const payloadOf = (h: string) => JSON.parse(Buffer.from(h.split('.')[2]!, 'base64url').toString('utf8'))
const payload = (fields: unknown) => Buffer.from(JSON.stringify(fields)).toString('base64url')

describe('signed task handles', () => {
  it('round-trip: the handle is the run, compact and URL-safe', () => {
    const h = codec.encode(RUN)
    expect(h).toMatch(/^t1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(encodeURIComponent(h)).toBe(h)
    expect(h.length).toBeLessThan(220)
    expect(codec.decode(h)).toEqual({ ok: true, run: RUN })
    const expiring = { ...RUN, expiresAt: RUN.issuedAt + 3_600_000 }
    expect(codec.decode(codec.encode(expiring), RUN.issuedAt + 1000)).toEqual({ ok: true, run: expiring })
    // Another codec with the same key (another replica) accepts it.
    expect(createTaskHandleCodec(Buffer.from(KEY)).decode(h)).toEqual({ ok: true, run: RUN })
    expect(h).not.toContain(KEY.toString('utf8'))
  })

  it('a forged handle (a run we never issued, signed with a made-up signature) is refused as forged', () => {
    const h = codec.encode(RUN)
    const forged = withPart(h, 2, payload([RUN.gateway, 'other-job', 'run-x', RUN.issuedAt, null]))
    expect(codec.decode(forged)).toMatchObject({
      ok: false,
      reason: 'forged',
      message: expect.stringMatching(/bad signature/),
    })
    expect(codec.decode(withPart(h, 3, 'A'.repeat(43)))).toMatchObject({ ok: false, reason: 'forged' })
  })

  it('tampered fields are refused: each of gateway, jobId, runId, issuedAt, expiry', () => {
    const h = codec.encode({ ...RUN, expiresAt: RUN.issuedAt + 60_000 })
    const fields = payloadOf(h) as unknown[]
    for (const [i, value] of [
      [0, 'wss://evil:1'],
      [1, 'job-b'],
      [2, 'run-b'],
      [3, RUN.issuedAt + 1],
      [4, null],
    ] as const) {
      const changed = [...fields]
      changed[i] = value
      expect(codec.decode(withPart(h, 2, payload(changed))), `field ${i}`).toMatchObject({
        ok: false,
        reason: 'forged',
      })
    }
  })

  it('the context a run is on: signed with it, altered or dropped is forged; a handle without one still reads', () => {
    const onB = { ...RUN, context: 'b' }
    const h = codec.encode(onB)
    expect(payloadOf(h)).toEqual([RUN.gateway, RUN.jobId, RUN.runId, RUN.issuedAt, null, 'b'])
    expect(codec.decode(h)).toEqual({ ok: true, run: onB })
    const fields = payloadOf(h) as unknown[]
    for (const changed of [[...fields.slice(0, 5), 'a'], fields.slice(0, 5)])
      expect(codec.decode(withPart(h, 2, payload(changed)))).toMatchObject({ ok: false, reason: 'forged' })
    // Five fields: no context (a server without --context, or a handle issued before handles named it).
    expect(payloadOf(codec.encode(RUN))).toHaveLength(5)
    expect(codec.decode(codec.encode(RUN))).toEqual({ ok: true, run: RUN })
    expect(() => codec.encode({ ...RUN, context: '' })).toThrow(RangeError)
    expect(() => codec.encode({ ...RUN, context: 'c'.repeat(513) })).toThrow(RangeError)
  })

  it('a handle signed by another key says so, with both key ids', () => {
    const other = createTaskHandleCodec(randomBytes(32))
    const r = codec.decode(other.encode(RUN))
    expect(r).toEqual({
      ok: false,
      reason: 'other-key',
      keyId: other.keyId,
      message: `signed by another key (key id ${other.keyId}, ours ${codec.keyId}): this replica's --task-secret-file differs from the one that issued it`,
    })
    expect(other.keyId).not.toBe(codec.keyId)
    expect(codec.keyId).toBe(taskKeyId(KEY))
    // A handle claiming our key id but signed with another key is forged, not "another key".
    expect(codec.decode(withPart(other.encode(RUN), 1, codec.keyId))).toMatchObject({ reason: 'forged' })
    // An explicit key id is carried and checked like the derived one.
    const named = createTaskHandleCodec(KEY, { keyId: 'prod-k02' })
    expect(named.encode(RUN).split('.')[1]).toBe('prod-k02')
    expect(codec.decode(named.encode(RUN))).toMatchObject({ reason: 'other-key', keyId: 'prod-k02' })
  })

  it('expiry: valid until expiresAt, refused from then on', () => {
    const h = codec.encode({ ...RUN, expiresAt: RUN.issuedAt + 1000 })
    expect(codec.decode(h, RUN.issuedAt + 999)).toMatchObject({ ok: true })
    expect(codec.decode(h, RUN.issuedAt + 1000)).toEqual({
      ok: false,
      reason: 'expired',
      expiredAt: RUN.issuedAt + 1000,
      message: 'expired at 2026-12-07T12:00:01.000Z',
    })
  })

  it('truncation, garbage and huge input are refused as malformed, without echoing them', () => {
    const h = codec.encode(RUN)
    for (let cut = 1; cut < h.length; cut += 7) {
      const r = codec.decode(h.slice(0, cut))
      expect(r, `cut at ${cut}`).toMatchObject({ ok: false, reason: 'malformed' })
    }
    expect(codec.decode(h.slice(0, -1))).toMatchObject({ reason: 'malformed' })
    for (const garbage of [
      '',
      '....',
      'not a handle',
      't2.aaaaaaaa.bbbb.' + 'c'.repeat(43),
      `${h}.x`,
      '%00',
      '☃.☃.☃.☃',
      42,
      null,
      {},
    ])
      expect(codec.decode(garbage), String(garbage)).toMatchObject({ ok: false, reason: 'malformed' })
    const huge = `t1.${codec.keyId}.${'A'.repeat(10_000_000)}.${'B'.repeat(43)}`
    const r = codec.decode(huge)
    expect(r).toEqual({
      ok: false,
      reason: 'malformed',
      message: `not a task handle of this server (longer than ${MAX_HANDLE_LENGTH} characters)`,
    })
    // Signed by us but not a run (only a bug could make one): malformed, never a crash.
    const bogus = createTaskHandleCodec(KEY)
    const input = `t1.${codec.keyId}.${payload({ not: 'a run' })}`
    const signed = `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`
    expect(bogus.decode(signed)).toMatchObject({
      ok: false,
      reason: 'malformed',
      message: expect.stringMatching(/not a run/),
    })
  })

  it('refuses to make handles from a short key or out-of-range fields', () => {
    expect(() => createTaskHandleCodec(Buffer.alloc(31, 1))).toThrow(/31 bytes, at least 32/)
    expect(() => codec.encode({ ...RUN, jobId: '' })).toThrow(RangeError)
    expect(() => codec.encode({ ...RUN, runId: 'x'.repeat(513) })).toThrow(RangeError)
    expect(() => codec.encode({ ...RUN, issuedAt: 1.5 })).toThrow(RangeError)
    expect(() => codec.encode({ ...RUN, expiresAt: 9e15 })).toThrow(RangeError)
  })
})

describe('--task-secret-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-task-secret-'))
  const file = (name: string, content: string | Buffer, mode = 0o600) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    chmodSync(path, mode)
    return path
  }
  const refusal = (path: string) => {
    try {
      loadTaskSecret(path)
    } catch (error) {
      expect(error).toBeInstanceOf(TaskSecretError)
      return error as TaskSecretError
    }
    throw new Error('accepted')
  }

  it('reads the key (a final newline dropped), and the codecs of two replicas agree', () => {
    const hex = randomBytes(32).toString('hex')
    const key = loadTaskSecret(file('ok.key', `${hex}\n`))
    expect(key.toString('utf8')).toBe(hex)
    const a = createTaskHandleCodec(key)
    const b = createTaskHandleCodec(loadTaskSecret(file('ok2.key', hex)))
    expect(b.decode(a.encode(RUN))).toEqual({ ok: true, run: RUN })
  })

  it('refuses a missing, open, short, odd file with the flag, the file and the fix, never the key', () => {
    const missing = refusal(join(dir, 'nope.key'))
    expect(missing.code).toBe('TASK_SECRET_FILE')
    expect(missing.message).toBe(`--task-secret-file ${join(dir, 'nope.key')}: cannot open it (ENOENT)`)
    expect(missing.remedy).toContain('openssl rand -hex 32 >')

    const secret = 's'.repeat(40)
    const open = refusal(file('open.key', secret, 0o644))
    expect(open.code).toBe('TASK_SECRET_FILE')
    expect(open.message).toMatch(/readable or writable by other users \(mode 644\)/)
    expect(open.remedy).toBe(`chmod 600 ${join(dir, 'open.key')}`)
    expect(`${open.message} ${open.remedy}`).not.toContain(secret)

    const short = refusal(file('short.key', `${'x'.repeat(31)}\n`))
    expect(short.code).toBe('TASK_SECRET_WEAK')
    expect(short.message).toMatch(/31 bytes of secret, at least 32 needed/)
    expect(short.message).not.toContain('x'.repeat(31))

    mkdirSync(join(dir, 'a-dir'), { mode: 0o700 })
    expect(refusal(join(dir, 'a-dir')).message).toMatch(/not a regular file/)
    symlinkSync(file('target.key', secret), join(dir, 'link.key'))
    expect(refusal(join(dir, 'link.key')).message).toMatch(/cannot open it \(a symlink\)/)
    expect(refusal(file('huge.key', Buffer.alloc(70_000, 0x61))).message).toMatch(/larger than 65536 bytes/)
  })
})
