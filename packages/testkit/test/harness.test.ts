import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  addModelFreeJob,
  gatewayConfig,
  gatewayRpc,
  nodeMajorFor,
  pickPort,
  readRunningGateways,
  realGatewaysOrSkip,
  removeLockFiles,
} from '../src/harness/index.js'

describe('harness: pure parts', () => {
  it('picks the Node each version needs (docs/testing.md §1.2)', () => {
    expect(nodeMajorFor('2026.9.6')).toBe(24)
    expect(nodeMajorFor('2026.3.13')).toBe(22)
    expect(nodeMajorFor('2026.5.7')).toBe(22)
  })
  it('writes only keys every version accepts, the token in the file', () => {
    const old = gatewayConfig('2026.3.13', 1234, 'tok', '/x')
    expect(Object.keys(old).sort()).toEqual(['agents', 'discovery', 'gateway', 'logging', 'update'])
    expect(old.gateway).toEqual({
      mode: 'local',
      port: 1234,
      bind: 'loopback',
      auth: { mode: 'token', token: 'tok' },
    })
    expect(gatewayConfig('2026.9.6', 1, 't', '/x')).toHaveProperty('models.catalogRefresh.enabled', false)
  })
  it('picks a port with PORT+2 and PORT+3 free too', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const taken = (blocker.address() as { port: number }).port
    const port = await pickPort(taken - 2)
    expect([port, port + 2, port + 3]).not.toContain(taken)
    blocker.close()
  })
  it('removes only its own lock files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawlink-harness-'))
    mkdirSync(join(dir, 'state', 'state'), { recursive: true })
    const db = join(dir, 'state', 'state', 'openclaw.sqlite')
    writeFileSync(db, '')
    const mine = createHash('sha256').update(realpathSync(db)).digest('hex').slice(0, 8)
    const lockDir = `/tmp/openclaw-state-locks-${process.getuid?.() ?? 0}`
    mkdirSync(lockDir, { recursive: true })
    writeFileSync(join(lockDir, `state-test.${mine}.lock.sqlite`), '')
    writeFileSync(join(lockDir, 'state-test.00000000.lock.sqlite'), '')
    expect(removeLockFiles(dir)).toEqual([`state-test.${mine}.lock.sqlite`])
    expect(readFileSync(join(lockDir, 'state-test.00000000.lock.sqlite'), 'utf8')).toBe('')
  })
  it('reads the CLAWLINK_GATEWAYS file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clawlink-gw-')), 'g.json')
    writeFileSync(
      file,
      JSON.stringify([
        { version: '2026.9.6', url: 'ws://127.0.0.1:1', token: 't', port: 1, dir: '/x', pid: 1 },
      ]),
    )
    expect(readRunningGateways({ CLAWLINK_GATEWAYS: file })[0]?.version).toBe('2026.9.6')
    expect(readRunningGateways({})).toEqual([])
    expect(() => realGatewaysOrSkip({ CLAWLINK_REQUIRE_REAL: '1' })).toThrow(/CLAWLINK_GATEWAYS/)
  })
  it('keeps the agent-turn pool apart from the plain gateways, and CI wants every version in each', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clawlink-gw-')), 'g.json')
    const gw = (version: string, port: number, extra = {}) => ({
      version,
      url: `ws://127.0.0.1:${port}`,
      token: 't',
      port,
      dir: '/x',
      pid: 1,
      ...extra,
    })
    const plain = ['2026.9.6', '2026.3.13', '2026.5.7'].map((v, i) => gw(v, 10 + i))
    const pooled = ['2026.9.6', '2026.3.13', '2026.5.7'].map((v, i) => gw(v, 20 + i, { pool: 'agents' }))
    writeFileSync(file, JSON.stringify([...plain, gw('2026.9.6', 30, { clockOffset: '+45s' }), ...pooled]))
    const env = { CLAWLINK_GATEWAYS: file, CLAWLINK_REQUIRE_REAL: '1' }
    expect(realGatewaysOrSkip(env).gateways.map((g) => g.port)).toEqual([10, 11, 12])
    expect(realGatewaysOrSkip(env, { pool: 'agents' }).gateways.map((g) => g.port)).toEqual([20, 21, 22])
    writeFileSync(file, JSON.stringify(plain))
    expect(() => realGatewaysOrSkip(env, { pool: 'agents' })).toThrow(/pool agents/)
    // Outside CI, without a pool, agent-turn tests use the plain gateways.
    expect(realGatewaysOrSkip({ CLAWLINK_GATEWAYS: file }, { pool: 'agents' }).gateways).toHaveLength(3)
  })
})

const { gateways, skipReason } = realGatewaysOrSkip()
describe.skipIf(gateways.length === 0)(
  `harness against the running gateways${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    for (const gw of gateways) {
      it(`${gw.version}: hello-ok with the right protocol, and a model-free job can be added`, async () => {
        const { hello } = await gatewayRpc({ url: gw.url, token: gw.token, scopes: ['operator.read'] }, [])
        expect(hello.protocol).toBe(gw.version.startsWith('2026.9.') ? 4 : 3)
        const id = await addModelFreeJob(gw, `harness-${Date.now()}`)
        expect(id).toMatch(/^[0-9a-f-]{36}$/)
      })
    }
  },
)
