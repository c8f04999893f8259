import type { McpServer, Transport } from '@modelcontextprotocol/server'
import { type AuditLog, auditTransport } from './audit.js'
import { type TaskRegistry, taskTransport } from './tasks.js'

/** What sits between an McpServer and the transport it is connected to. */
export interface Instruments {
  audit: AuditLog | undefined
  transport: 'stdio' | 'http'
  /** The 2025-11-25 task methods (tasks.ts); absent where a session cannot outlive a request. */
  tasks?: TaskRegistry
}

/** `transport` as the server should see it: the task methods on top, the audit next to the wire. */
export function instrumentTransport<T extends Transport>(transport: T, i: Instruments): T {
  const audited = i.audit ? auditTransport(transport, { log: i.audit, transport: i.transport }) : transport
  return i.tasks ? taskTransport(audited, i.tasks) : audited
}

/**
 * Makes `server` instrument whatever transport the SDK connects it to. The SDK's serving entries (serveStdio,
 * createMcpHandler) connect the server themselves, to a channel of theirs that carries exactly this server's
 * messages, each handled in its own call's context (the audit notes facts per call).
 */
export function instrumentServer(server: McpServer, i: Instruments): McpServer {
  const connect = server.connect.bind(server)
  server.connect = (transport: Transport) => connect(instrumentTransport(transport, i))
  return server
}
