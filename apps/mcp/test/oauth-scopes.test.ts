import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkScope, requiredScope, requiredScopeForRequest, TOOL_SCOPES } from '../src/oauth.js'

const SRC = join(import.meta.dirname, '..', 'src')

/** Every tool name the server's source registers (`registerTool('name'`, `registerToolTask('name'`, …). */
function registeredTools(): string[] {
  const names = new Set<string>()
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
  for (const file of files) {
    const text = readFileSync(join(SRC, file), 'utf8')
    for (const m of text.matchAll(/\.register\w*Tool\w*\(\s*['"`]([A-Za-z0-9_.-]+)['"`]/g))
      names.add(m[1] as string)
  }
  return [...names].sort()
}

describe('scope of each tool', () => {
  it('maps exactly the tools the server registers (a new tool without a scope fails here)', () => {
    const tools = registeredTools()
    expect(tools).toContain('run_cron_job')
    expect(tools).toContain('list_cron_jobs')
    expect(tools).toEqual(Object.keys(TOOL_SCOPES).sort())
  })

  it('reads need clawlink:read, runs clawlink:run, changes clawlink:write', () => {
    const byScope: Record<string, string[]> = {}
    for (const tool of registeredTools())
      byScope[requiredScope(tool)] = [...(byScope[requiredScope(tool)] ?? []), tool]
    expect(byScope).toEqual({
      'clawlink:read': [
        'check_cron_jobs',
        'cron_status',
        'get_cron_runs',
        'list_cron_jobs',
        'preview_cron_job',
      ],
      'clawlink:run': ['run_cron_job'],
      'clawlink:write': ['create_cron_job', 'remove_cron_job', 'set_cron_job_enabled', 'update_cron_job'],
    })
  })

  it('asks the strongest scope for a tool nobody mapped (and for prototype names)', () => {
    expect(requiredScope('drop_all_jobs')).toBe('clawlink:write')
    expect(requiredScope('toString')).toBe('clawlink:write')
    expect(requiredScope('__proto__')).toBe('clawlink:write')
  })

  it('scopes MCP requests: tools/call by tool, tasks by run, the rest by any valid token', () => {
    expect(requiredScopeForRequest('tools/call', 'cron_status')).toBe('clawlink:read')
    expect(requiredScopeForRequest('tools/call', 'run_cron_job')).toBe('clawlink:run')
    expect(requiredScopeForRequest('tools/call')).toBe('clawlink:write')
    for (const m of ['tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/list'])
      expect(requiredScopeForRequest(m)).toBe('clawlink:run')
    for (const m of ['initialize', 'ping', 'tools/list', 'server/discover', 'notifications/initialized'])
      expect(requiredScopeForRequest(m)).toBeUndefined()
  })
})

describe('checkScope', () => {
  const reader = { scopes: ['clawlink:read'] }
  const runner = { scopes: ['clawlink:read', 'clawlink:run'] }

  it('lets a read-only token list but not run, naming the scope to ask for', () => {
    expect(checkScope(reader, 'list_cron_jobs')).toEqual({ ok: true, scope: 'clawlink:read' })
    expect(checkScope(reader, 'run_cron_job')).toEqual({
      ok: false,
      error: 'insufficient_scope',
      code: 'INSUFFICIENT_SCOPE',
      scope: 'clawlink:run',
      reason: '"run_cron_job" needs the scope clawlink:run, which the token does not carry',
    })
  })

  it('lets a run token run but not write; a write-only token cannot read', () => {
    expect(checkScope(runner, 'run_cron_job').ok).toBe(true)
    expect(checkScope(runner, 'update_cron_job')).toMatchObject({ ok: false, scope: 'clawlink:write' })
    expect(checkScope({ scopes: ['clawlink:write'] }, 'remove_cron_job').ok).toBe(true)
    expect(checkScope({ scopes: ['clawlink:write'] }, 'cron_status')).toMatchObject({
      scope: 'clawlink:read',
    })
    expect(checkScope({ scopes: [] }, 'cron_status').ok).toBe(false)
  })
})
