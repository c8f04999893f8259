/** Operator scopes (docs/protocol.md §2.3). */
export const OPERATOR_SCOPES = [
  'operator.admin',
  'operator.read',
  'operator.write',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
] as const

/**
 * The one scope set every clawlink command requests: what `cron.run` needs (admin), plus read and write,
 * which 2026.5.7 adds to an admin token anyway. Asking for less first would need a human to approve the
 * upgrade later on gateways since 2026.5.7 (docs/protocol.md §5.4, §5.9).
 */
export const CLAWLINK_SCOPES = ['operator.admin', 'operator.read', 'operator.write'] as const

/**
 * Method → required operator scope on protocol v3 gateways (2026.3.13, 2026.5.7; docs/protocol.md §7.4, 3.13
 * `METHOD_SCOPE_GROUPS`). Methods not listed need `operator.admin`; `health` needs nothing. v4 scopes come from the
 * official schema (v4-scopes.ts); both meet in the method records (methods.ts).
 */
export const METHOD_SCOPES: Readonly<Record<string, string>> = buildTable({
  'operator.approvals': ['exec.approval.request', 'exec.approval.waitDecision', 'exec.approval.resolve'],
  'operator.pairing': [
    'node.pair.request',
    'node.pair.list',
    'node.pair.approve',
    'node.pair.reject',
    'node.pair.verify',
    'node.pair.remove',
    'device.pair.list',
    'device.pair.approve',
    'device.pair.reject',
    'device.pair.remove',
    'device.token.rotate',
    'device.token.revoke',
    'node.rename',
  ],
  'operator.read': [
    'doctor.memory.status',
    'logs.tail',
    'channels.status',
    'status',
    'usage.status',
    'usage.cost',
    'tts.status',
    'tts.providers',
    'models.list',
    'tools.catalog',
    'agents.list',
    'agent.identity.get',
    'skills.status',
    'voicewake.get',
    'sessions.list',
    'sessions.get',
    'sessions.preview',
    'sessions.resolve',
    'sessions.usage',
    'sessions.usage.timeseries',
    'sessions.usage.logs',
    'cron.list',
    'cron.get',
    'cron.status',
    'cron.runs',
    'gateway.identity.get',
    'system-presence',
    'last-heartbeat',
    'node.list',
    'node.describe',
    'chat.history',
    'config.get',
    'config.schema.lookup',
    'talk.config',
    'agents.files.list',
    'agents.files.get',
  ],
  'operator.write': [
    'send',
    'poll',
    'agent',
    'agent.wait',
    'wake',
    'talk.mode',
    'tts.enable',
    'tts.disable',
    'tts.convert',
    'tts.setProvider',
    'voicewake.set',
    'node.invoke',
    'chat.send',
    'chat.abort',
    'browser.request',
    'push.test',
    'node.pending.enqueue',
  ],
  'operator.admin': [
    'cron.add',
    'cron.update',
    'cron.remove',
    'cron.run',
    'cron.scratch.get',
    'cron.scratch.set',
  ],
})

function buildTable(groups: Record<string, string[]>): Record<string, string> {
  const table: Record<string, string> = Object.create(null)
  for (const [scope, methods] of Object.entries(groups)) for (const m of methods) table[m] = scope
  return table
}

/**
 * Implication rules (docs/protocol.md §2.3): admin satisfies every operator scope, write satisfies read, the rest must match.
 * `held` is one scope or the set a socket holds.
 */
export function scopeSatisfies(held: string | readonly string[], needed: string): boolean {
  if (typeof held !== 'string') return held.some((h) => scopeSatisfies(h, needed))
  if (held === needed) return true
  if (held === 'operator.admin' && needed.startsWith('operator.')) return true
  return held === 'operator.write' && needed === 'operator.read'
}
