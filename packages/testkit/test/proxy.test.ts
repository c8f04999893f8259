/**
 * The fault proxy against a plain WebSocket echo server on loopback: each fault observed from the client's side.
 */
import net, { type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { startProxy, type TcpProxy } from '../src/proxy.js'

type Echo = { wss: WebSocketServer; port: number; name: string; received: string[] }
const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function echoServer(name: string): Promise<Echo> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const echo: Echo = { wss, port: (wss.address() as AddressInfo).port, name, received: [] }
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const text = data.toString()
      echo.received.push(text)
      ws.send(`${name}:${text}`)
    })
  })
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  )
  return echo
}

async function proxyTo(echo: Echo): Promise<TcpProxy> {
  const proxy = await startProxy({ port: echo.port })
  cleanup.push(() => proxy.close())
  return proxy
}

type Client = { ws: WebSocket; messages: string[]; closed: Promise<{ code: number; error?: Error }> }

function client(url: string): Client {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const messages: string[] = []
  let error: Error | undefined
  ws.on('message', (d) => messages.push(d.toString()))
  ws.on('error', (e) => {
    error = e
  })
  const closed = new Promise<{ code: number; error?: Error }>((resolve) =>
    ws.on('close', (code) => resolve({ code, ...(error ? { error } : {}) })),
  )
  cleanup.push(() => ws.terminate())
  return { ws, messages, closed }
}

const opened = (c: Client): Promise<void> =>
  new Promise((resolve, reject) => {
    c.ws.once('open', () => resolve())
    c.ws.once('error', reject)
  })

const next = (c: Client): Promise<string> =>
  new Promise((resolve) => c.ws.once('message', (d) => resolve(d.toString())))

/** An echo server, a proxy in front of it and a client connected through it. */
async function connectedVia(name: string): Promise<{ echo: Echo; proxy: TcpProxy; c: Client }> {
  const echo = await echoServer(name)
  const proxy = await proxyTo(echo)
  const c = client(proxy.url)
  await opened(c)
  return { echo, proxy, c }
}

const quiet = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('TcpProxy', () => {
  it('forwards both ways and records what the client sent, unmasked', async () => {
    const { proxy, c } = await connectedVia('a')
    const answer = next(c)
    c.ws.send('{"method":"health"}')
    expect(await answer).toBe('a:{"method":"health"}')
    expect(proxy.clientFrames).toEqual([{ link: 1, text: '{"method":"health"}' }])
    expect(proxy.open).toBe(1)
  })

  it('cuts with a reset (RST) and with a FIN', async () => {
    const echo = await echoServer('a')
    const proxy = await proxyTo(echo)
    const ends: string[] = []
    for (const kind of ['reset', 'end'] as const) {
      const socket = net.connect(proxy.port, '127.0.0.1')
      cleanup.push(() => void socket.destroy())
      const ended = new Promise<string>((resolve) => {
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
        socket.on('end', () => resolve('fin'))
      })
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
      while (proxy.open === 0) await quiet(10)
      expect(proxy.cut(kind)).toBe(1)
      ends.push(await ended)
    }
    expect(ends).toEqual(['ECONNRESET', 'fin'])
    // A WebSocket client sees either as an abnormal close.
    const c = client(proxy.url)
    await opened(c)
    proxy.cut()
    expect((await c.closed).code).toBe(1006)
    expect(proxy.connections).toBe(3)
  })

  it('stalls both ways with the socket open, then delivers in order on resume', async () => {
    const { echo, proxy, c } = await connectedVia('a')
    proxy.stall()
    c.ws.send('one')
    c.ws.send('two')
    await quiet(300)
    expect(echo.received).toEqual([])
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    expect(proxy.open).toBe(1)
    proxy.resume()
    await new Promise<void>((resolve) => {
      const check = (): void => (c.messages.length === 2 ? resolve() : void setTimeout(check, 20))
      check()
    })
    expect(c.messages).toEqual(['a:one', 'a:two'])
  })

  it('keeps a stalled path open when the server closes; the client learns of it on resume', async () => {
    const { echo, proxy, c } = await connectedVia('a')
    proxy.stall()
    for (const ws of echo.wss.clients) ws.terminate()
    while (proxy.open === 1 && c.ws.readyState === WebSocket.OPEN && echo.wss.clients.size > 0)
      await quiet(20)
    await quiet(200)
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    proxy.resume()
    expect((await c.closed).code).toBe(1006)
    expect(proxy.open).toBe(0)
  })

  it('stalls in the middle of a server frame: the client gets no message', async () => {
    const { echo, proxy, c } = await connectedVia('a')
    const stalled = proxy.stallInFrame()
    c.ws.send('x'.repeat(1000))
    await stalled
    await quiet(200)
    expect(echo.received).toHaveLength(1)
    expect(c.messages).toEqual([])
    proxy.resume()
    expect(await next(c)).toBe(`a:${'x'.repeat(1000)}`)
  })

  it('slows every piece but keeps their order', async () => {
    const { proxy, c } = await connectedVia('a')
    proxy.slow(20)
    for (let i = 0; i < 5; i++) c.ws.send(String(i))
    await new Promise<void>((resolve) => {
      const check = (): void => (c.messages.length === 5 ? resolve() : void setTimeout(check, 20))
      check()
    })
    expect(c.messages).toEqual(['a:0', 'a:1', 'a:2', 'a:3', 'a:4'])
  })

  it('holds back the answer to a matching request, and everything after it', async () => {
    const { echo, proxy, c } = await connectedVia('a')
    const held = proxy.holdAfter('"method":"cron.run"')
    const before = next(c)
    c.ws.send('{"method":"cron.list"}')
    expect(await before).toBe('a:{"method":"cron.list"}')
    c.ws.send('{"method":"cron.run"}')
    c.ws.send('{"method":"cron.runs"}')
    await held
    await quiet(300)
    expect(echo.received).toEqual([
      '{"method":"cron.list"}',
      '{"method":"cron.run"}',
      '{"method":"cron.runs"}',
    ])
    expect(c.messages).toEqual(['a:{"method":"cron.list"}'])
    proxy.cut()
    await c.closed
    expect(c.messages).toHaveLength(1)
  })

  it('resets on a matching client frame before it goes upstream', async () => {
    const { echo, proxy, c } = await connectedVia('a')
    const cut = proxy.cutOn('"method":"cron.run"')
    const first = next(c)
    c.ws.send('{"method":"cron.list"}')
    await first
    c.ws.send('{"method":"cron.run"}')
    await cut
    expect((await c.closed).code).toBe(1006)
    expect(echo.received).toEqual(['{"method":"cron.list"}'])
    expect(proxy.clientFrames.map((f) => f.text)).toEqual(['{"method":"cron.list"}', '{"method":"cron.run"}'])
  })

  it('resets during the handshake: on the upgrade request, and on the first client frame', async () => {
    const echo = await echoServer('a')
    const proxy = await proxyTo(echo)
    const onUpgrade = proxy.resetDuringHandshake('upgrade')
    const first = client(proxy.url)
    await expect(opened(first)).rejects.toThrow()
    await onUpgrade

    const onConnect = proxy.resetDuringHandshake('connect')
    const second = client(proxy.url)
    await opened(second)
    second.ws.send('{"type":"req","method":"connect"}')
    await onConnect
    expect((await second.closed).code).toBe(1006)
    expect(echo.received).toEqual([])

    const third = client(proxy.url)
    await opened(third)
    const answer = next(third)
    third.ws.send('hi')
    expect(await answer).toBe('a:hi')
  })

  it('sends new connections to another target; refuses a target off loopback', async () => {
    const a = await echoServer('a')
    const b = await echoServer('b')
    const proxy = await proxyTo(a)
    proxy.retarget({ port: b.port })
    const c = client(proxy.url)
    await opened(c)
    const answer = next(c)
    c.ws.send('hi')
    expect(await answer).toBe('b:hi')
    expect(() => proxy.retarget({ host: '10.0.0.1', port: b.port })).toThrow(/loopback only/)
  })
})
