import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server'

type OnMessage = NonNullable<Transport['onmessage']>
type Send = Transport['send']

/** What a layer between the server and its transport does with the messages passing through. */
export interface TransportHooks {
  /** An inbound message; `deliver` hands it (or another one) to the server. */
  receive(message: JSONRPCMessage, extra: Parameters<OnMessage>[1], deliver: OnMessage): void
  /** An outbound message; `forward` puts it (or another one) on the wire. */
  send(message: JSONRPCMessage, options: Parameters<Send>[1], forward: Send): Promise<void>
  /** The transport closed (called before the server learns it). */
  closed?(): void
}

/** `inner` with `hooks` between it and the server that connects to it; everything else passes through. */
export function interceptTransport<T extends Transport>(inner: T, hooks: TransportHooks): T {
  let onmessage = inner.onmessage
  let onclose = inner.onclose
  const deliver: OnMessage = (message, extra) => onmessage?.(message, extra)
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'send')
        return (message: JSONRPCMessage, options?: Parameters<Send>[1]) =>
          hooks.send(message, options, (m, o) => target.send(m, o))
      if (prop === 'onmessage') return onmessage
      if (prop === 'onclose') return onclose
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
    set(target, prop, value) {
      if (prop === 'onmessage') {
        onmessage = value
        target.onmessage = value ? (m, e) => hooks.receive(m, e, deliver) : undefined
      } else if (prop === 'onclose') {
        onclose = value
        target.onclose = () => {
          hooks.closed?.()
          onclose?.()
        }
      } else Reflect.set(target, prop, value, target)
      return true
    },
  })
}
