import net from 'node:net'
import { FrameSplitter, type StreamPiece } from './proxy-frames.js'

/** Where the proxy forwards to: a port on loopback. */
export type ProxyTarget = { port: number; host?: string }

/** How a cut ends the sockets: a TCP reset (RST) or an orderly close (FIN). */
export type CutKind = 'reset' | 'end'

/** Where a handshake reset strikes: on the HTTP upgrade request, or on the client's first frame (`connect`). */
export type HandshakeStage = 'upgrade' | 'connect'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

type Direction = 'up' | 'down'

/** One client connection and its upstream socket. */
class Link {
  readonly queues: Record<Direction, Buffer[]> = { up: [], down: [] }
  readonly pumping: Record<Direction, boolean> = { up: false, down: false }
  readonly split = { up: new FrameSplitter(), down: new FrameSplitter() }
  held = false
  closed = false
  sawFrame = false

  constructor(
    readonly id: number,
    readonly client: net.Socket,
    readonly server: net.Socket,
  ) {}

  socket(dir: Direction): net.Socket {
    return dir === 'up' ? this.server : this.client
  }

  end(kind: CutKind): void {
    if (this.closed) return
    this.closed = true
    this.queues.up.length = 0
    this.queues.down.length = 0
    for (const s of [this.client, this.server]) {
      if (kind === 'reset' && !s.destroyed) s.resetAndDestroy()
      else s.end(() => s.destroy())
    }
  }
}

/**
 * A TCP proxy for fault tests (docs/testing.md "Drops"): listens on loopback, forwards to a loopback target, and on
 * demand cuts every connection (RST or FIN), stalls (forwards nothing either way, sockets stay open), stalls in
 * the middle of a server frame, slows every piece, holds back the server's bytes after a client frame that
 * contains a pattern, resets on a client frame that contains one, resets during the WebSocket handshake, or sends new connections to another target.
 * It reads the WebSocket frames it forwards (unmasking the client's) so tests can see what the client sent.
 */
export class TcpProxy {
  /** Client frames seen (unmasked text), by connection number, in order. */
  readonly clientFrames: Array<{ link: number; text: string }> = []
  private readonly links = new Set<Link>()
  private accepted = 0
  private stalled = false
  private stallMidFrame: (() => void) | undefined
  private slowMs = 0
  private hold: { pattern: string; seen: () => void } | undefined
  private handshakeResets: Array<{ stage: HandshakeStage; done: () => void }> = []
  private readonly closedInStall = new Set<Link>()
  private cutOnPattern: { pattern: string; done: () => void } | undefined

  private constructor(
    private readonly server: net.Server,
    private target: ProxyTarget,
  ) {}

  /** Starts a proxy on a free loopback port. */
  static async start(target: ProxyTarget): Promise<TcpProxy> {
    checkLoopback(target)
    const server = net.createServer()
    const proxy = new TcpProxy(server, target)
    server.on('connection', (socket) => proxy.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    return proxy
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  /** `ws://127.0.0.1:<port>`: the URL clients use instead of the gateway's. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.accepted
  }

  /** Connections open now. */
  get open(): number {
    return this.links.size
  }

  /** Ends every open connection; bytes still queued or held are dropped. Returns how many were cut. */
  cut(kind: CutKind = 'reset'): number {
    const n = this.links.size
    for (const link of [...this.links]) link.end(kind)
    this.links.clear()
    this.closedInStall.clear()
    return n
  }

  /** Stops forwarding both ways; the sockets stay open (a side that closes meanwhile is closed on resume). */
  stall(): void {
    this.stalled = true
  }

  /** Forwards half of the next server frame, then stalls; resolves once it has. */
  stallInFrame(): Promise<void> {
    return new Promise((resolve) => {
      this.stallMidFrame = resolve
    })
  }

  /** Forwards again after a stall (queued bytes first). */
  resume(): void {
    this.stalled = false
    for (const link of this.closedInStall) {
      this.links.delete(link)
      link.end('end')
    }
    this.closedInStall.clear()
    for (const link of this.links) this.pumpBoth(link)
  }

  /** Delays every forwarded piece by `ms` (0: no delay). */
  slow(ms: number): void {
    this.slowMs = Math.max(0, ms)
  }

  /**
   * Once a client frame contains `pattern`, holds back everything the server sends on that connection from then
   * on (the answer to that request included) until the connection is cut. Resolves when the frame went upstream.
   */
  holdAfter(pattern: string): Promise<void> {
    return new Promise((resolve) => {
      this.hold = { pattern, seen: resolve }
    })
  }

  /** Resets the next connection at `stage` of its handshake; resolves when it has. */
  resetDuringHandshake(stage: HandshakeStage): Promise<void> {
    return new Promise((resolve) => {
      this.handshakeResets.push({ stage, done: resolve })
    })
  }

  /** Resets the connection whose client frame contains `pattern`, before that frame goes upstream. */
  cutOn(pattern: string): Promise<void> {
    return new Promise((resolve) => {
      this.cutOnPattern = { pattern, done: resolve }
    })
  }

  /** New connections go to `target` (open ones stay where they are until cut). */
  retarget(target: ProxyTarget): void {
    checkLoopback(target)
    this.target = target
  }

  async close(): Promise<void> {
    this.cut('reset')
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  // ---------------------------------------------------------------------------------------------------------

  private accept(client: net.Socket): void {
    const server = net.connect(this.target.port, this.target.host ?? '127.0.0.1')
    const link = new Link(++this.accepted, client, server)
    this.links.add(link)
    const drop = (): void => {
      if (!this.links.has(link)) return
      // A stalled path carries no FIN either: the other side learns of the close when the stall ends.
      if (this.stalled) {
        this.closedInStall.add(link)
        return
      }
      this.links.delete(link)
      link.end('end')
    }
    for (const s of [client, server]) {
      s.setNoDelay(true)
      s.on('error', drop)
      s.on('close', drop)
    }
    client.on('data', (chunk: Buffer) => this.onData(link, 'up', chunk))
    server.on('data', (chunk: Buffer) => this.onData(link, 'down', chunk))
  }

  private onData(link: Link, dir: Direction, chunk: Buffer): void {
    if (link.closed) return
    for (const piece of link.split[dir].push(chunk)) {
      if (dir === 'up' && this.inspectClient(link, piece)) return
      link.queues[dir].push(piece.raw)
      if (
        dir === 'up' &&
        piece.text !== undefined &&
        this.hold?.pattern &&
        piece.text.includes(this.hold.pattern)
      ) {
        // Everything the server sends after this frame is held: the frame goes up first, then the gate closes.
        link.held = true
        const seen = this.hold.seen
        this.hold = undefined
        void this.pump(link, dir).then(seen)
      }
    }
    void this.pump(link, dir)
  }

  /** Records a client piece; true when a handshake reset ended the connection on it. */
  private inspectClient(link: Link, piece: StreamPiece): boolean {
    const firstFrame = piece.kind === 'frame' && !link.sawFrame
    if (piece.kind === 'frame') link.sawFrame = true
    if (piece.text !== undefined) this.clientFrames.push({ link: link.id, text: piece.text })
    const cutOn = this.cutOnPattern
    if (cutOn && piece.text?.includes(cutOn.pattern)) {
      this.cutOnPattern = undefined
      this.drop(link)
      cutOn.done()
      return true
    }
    const reset = this.handshakeResets[0]
    if (!reset) return false
    if ((reset.stage === 'upgrade' && piece.kind === 'http') || (reset.stage === 'connect' && firstFrame)) {
      this.handshakeResets.shift()
      this.drop(link)
      reset.done()
      return true
    }
    return false
  }

  private drop(link: Link): void {
    this.links.delete(link)
    link.end('reset')
  }

  private pumpBoth(link: Link): void {
    void this.pump(link, 'up')
    void this.pump(link, 'down')
  }

  /** Writes a direction's queue in order, honouring stall, hold and slow; one pump per direction at a time. */
  private async pump(link: Link, dir: Direction): Promise<void> {
    if (link.pumping[dir]) return
    link.pumping[dir] = true
    try {
      const queue = link.queues[dir]
      while (queue.length > 0 && !link.closed) {
        if (this.stalled || (dir === 'down' && link.held)) return
        if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs))
        if (this.stalled || link.closed) return
        let piece = queue.shift() as Buffer
        if (dir === 'down' && this.stallMidFrame && piece.length > 1) {
          const half = Math.floor(piece.length / 2)
          queue.unshift(piece.subarray(half))
          piece = piece.subarray(0, half)
          this.stalled = true
          const done = this.stallMidFrame
          this.stallMidFrame = undefined
          link.socket(dir).write(piece, () => done())
          return
        }
        link.socket(dir).write(piece)
      }
    } finally {
      link.pumping[dir] = false
    }
  }
}

function checkLoopback(target: ProxyTarget): void {
  const host = target.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host)) throw new Error(`the test proxy forwards to loopback only, not ${host}`)
}

/** Starts a {@link TcpProxy} in front of `target`. */
export function startProxy(target: ProxyTarget): Promise<TcpProxy> {
  return TcpProxy.start(target)
}

/** How many requests for `method` the client sent through the proxy (whether or not they went upstream). */
export function requestsSent(proxy: TcpProxy, method: string): number {
  return proxy.clientFrames.filter((f) => f.text.includes(`"method":"${method}"`)).length
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Resolves once `proxy.clientFrames` holds a frame of a connection numbered `link` or later that passes `test`. */
export async function clientFrameSeen(
  proxy: TcpProxy,
  test: (text: string) => boolean,
  link = 1,
): Promise<void> {
  while (!proxy.clientFrames.some((f) => f.link >= link && test(f.text))) await pause(50)
}

/**
 * The "cut twice during a wait" scenario: once the client sent `cron.run`, cuts (RST); once it is connected
 * again and has sent a request other than `connect`, cuts again (FIN); resolves when it sent one after that.
 */
export async function cutTwiceAfterCronRun(proxy: TcpProxy, settleMs = 2000): Promise<void> {
  const request = (text: string): boolean =>
    text.includes('"type":"req"') && !text.includes('"method":"connect"')
  await clientFrameSeen(proxy, (t) => t.includes('"method":"cron.run"'))
  await pause(settleMs)
  for (const kind of ['reset', 'end'] as const) {
    const next = proxy.connections + 1
    proxy.cut(kind)
    await clientFrameSeen(proxy, request, next)
  }
}
