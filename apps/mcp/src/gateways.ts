import type { GatewayClient } from '@clawlink/client'
import { z } from 'zod'
import { noteAuditGateway } from './audit.js'
import { ToolRefusal } from './present.js'

/** One gateway the server serves: its context name (null without --context), URL and persistent session. */
export interface NamedGateway {
  name: string | null
  url: string
  /** Opens (once) and returns the persistent gateway session; connecting is bounded by `signal`. */
  getClient: (signal?: AbortSignal) => Promise<GatewayClient>
}

/**
 * The gateways of one server process: one per `--context` (the first is the default), or the one unnamed
 * gateway of the plain settings. Tools pick theirs by the optional `gateway` argument.
 */
export class Gateways {
  /** The names a tool's `gateway` argument may take (the contexts); empty for one unnamed gateway. */
  readonly names: readonly string[]

  constructor(readonly list: readonly NamedGateway[]) {
    if (list.length === 0) throw new Error('a server needs at least one gateway')
    this.names = list.flatMap((g) => (g.name === null ? [] : [g.name]))
  }

  /** The gateway `name` names (default: the first), noted on the call's audit line. @throws ToolRefusal UNKNOWN_GATEWAY */
  pick(name?: string): NamedGateway {
    const gateway = name === undefined ? this.list[0] : this.list.find((g) => g.name === name)
    if (!gateway)
      throw new ToolRefusal(
        'UNKNOWN_GATEWAY',
        `This server has no gateway "${name}"; its gateways: ${this.names.join(', ') || '(one, unnamed)'}.`,
        { remedy: 'Call again with one of those as "gateway", or leave it out for the first.' },
      )
    noteAuditGateway({ context: gateway.name, url: gateway.url })
    return gateway
  }

  /**
   * The optional `gateway` argument of every tool, limited to the contexts; no argument at all for one unnamed
   * gateway (typed as always there, so a tool's arguments read `gateway` as string | undefined either way).
   */
  inputShape(): { gateway: z.ZodOptional<z.ZodType<string>> } {
    const [first, ...rest] = this.names
    if (first === undefined) return {} as { gateway: z.ZodOptional<z.ZodType<string>> }
    return {
      gateway: z
        .enum([first, ...rest])
        .optional()
        .describe(`the gateway (context) to ask: ${this.names.join(', ')} (default ${first})`),
    }
  }
}
