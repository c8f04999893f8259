import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuditLog } from '../src/audit.js'
import { modernEndpoint } from '../src/http-modern.js'
import { createClawlinkMcpServer } from '../src/server.js'
import { createTaskHandleCodec } from '../src/task-handle.js'
import { modernTasks } from '../src/tasks-modern.js'
import { envelope } from './modern-helpers.js'

// The audit lines the 2026-07-28 half of the HTTP endpoint writes itself carry the OAuth caller, in process.
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (closers.length) await closers.pop()!()
})

const AUTH = {
  token: 'not-logged',
  clientId: 'client-7',
  scopes: ['clawlink:read', 'clawlink:run'],
  extra: { subject: 'alice@example', issuer: 'http://127.0.0.1:1/idp' },
}
const noGateway = () => Promise.reject(new Error('no gateway in this test'))

function endpoint() {
  const path = join(mkdtempSync(join(tmpdir(), 'clawlink-modern-audit-')), 'audit.jsonl')
  const audit = createAuditLog({ path })
  const gateways = [{ name: null, url: 'ws://127.0.0.1:1', getClient: noGateway }]
  const tasks = modernTasks({
    codec: createTaskHandleCodec(Buffer.alloc(32, 7)),
    gateways,
    getJobs: () => {
      throw new Error('no job list in this test')
    },
    policy: { allowJobs: [], readOnly: false },
    confirm: false,
    audit,
  })
  const e = modernEndpoint({
    createServer: () =>
      createClawlinkMcpServer({
        gateways,
        allowJobs: [],
        readOnly: false,
        callTimeoutMs: 5000,
        version: '0.0.0',
      }),
    audit,
    maxBodyBytes: 1 << 20,
    log: () => {},
    modernTasks: tasks,
  })
  closers.push(async () => {
    await e.close()
    audit.close()
  })
  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { e, lines }
}

function post(method: string, params: Record<string, unknown>, header = method): [Request, unknown] {
  const body = { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope() } }
  const request = new Request('http://127.0.0.1/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': header,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify(body),
  })
  return [request, body]
}

describe('audit lines of the 2026-07-28 endpoint name the OAuth caller', () => {
  it('a refusal by the SDK (wrong Mcp-Method header) carries the subject and client id of the verified token', async () => {
    const { e, lines } = endpoint()
    const call = { name: 'list_cron_jobs', arguments: {} }
    const response = await e.serve(...post('tools/call', call, 'tools/list'), AUTH)
    expect(response.status).toBe(400)
    const anonymous = await e.serve(...post('tools/call', call, 'tools/list'))
    expect(anonymous.status).toBe(400)
    const [withToken, without] = lines()
    expect(withToken).toMatchObject({
      tool: 'list_cron_jobs',
      outcome: 'refused',
      code: 'HEADER_MISMATCH',
      subject: 'alice@example',
      clientId: 'client-7',
    })
    expect(without).toMatchObject({ code: 'HEADER_MISMATCH' })
    expect(without).not.toHaveProperty('subject')
    expect(without).not.toHaveProperty('clientId')
  })

  it('a refused task handle carries them too', async () => {
    const { e, lines } = endpoint()
    const response = await e.serve(...post('tasks/get', { taskId: 't1.AAAAAAAA.e30.x' }), AUTH)
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32602)
    expect(lines()).toEqual([
      expect.objectContaining({
        tool: 'tasks/get',
        outcome: 'refused',
        code: 'TASK_MALFORMED',
        subject: 'alice@example',
        clientId: 'client-7',
        transport: 'http',
      }),
    ])
  })
})
