/**
 * Splits one direction of a WebSocket byte stream into pieces the proxy can hold back or match on: first the HTTP
 * upgrade (up to its blank line), then whole frames. Client frames are masked (RFC 6455 §5.3); `text` is the
 * unmasked payload of a text or continuation frame. clawlink's client turns compression off, so payloads are plain.
 */
export type StreamPiece = {
  /** The bytes exactly as they arrived. */
  raw: Buffer
  kind: 'http' | 'frame'
  /** Unmasked payload of a text/continuation frame. */
  text?: string
}

const HEADER_END = Buffer.from('\r\n\r\n')
// Far more than any handshake or frame of these tests; a stream past it is passed on unparsed.
const MAX_BUFFERED = 64 * 1024 * 1024

export class FrameSplitter {
  private buffer: Buffer = Buffer.alloc(0)
  private inHttp = true
  private broken = false

  /** Feeds bytes; returns the complete pieces (a partial piece stays buffered). */
  push(chunk: Buffer): StreamPiece[] {
    if (this.broken) return [{ raw: chunk, kind: 'frame' }]
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const out: StreamPiece[] = []
    for (;;) {
      const piece = this.inHttp ? this.takeHttp() : this.takeFrame()
      if (!piece) break
      out.push(piece)
    }
    if (this.buffer.length > MAX_BUFFERED) {
      this.broken = true
      out.push({ raw: this.buffer, kind: 'frame' })
      this.buffer = Buffer.alloc(0)
    }
    return out
  }

  private takeHttp(): StreamPiece | undefined {
    const end = this.buffer.indexOf(HEADER_END)
    if (end < 0) return undefined
    this.inHttp = false
    return { raw: this.cut(end + HEADER_END.length), kind: 'http' }
  }

  private takeFrame(): StreamPiece | undefined {
    const b = this.buffer
    if (b.length < 2) return undefined
    const opcode = b[0]! & 0x0f
    const masked = (b[1]! & 0x80) !== 0
    let length = b[1]! & 0x7f
    let offset = 2
    if (length === 126) {
      if (b.length < 4) return undefined
      length = b.readUInt16BE(2)
      offset = 4
    } else if (length === 127) {
      if (b.length < 10) return undefined
      length = Number(b.readBigUInt64BE(2))
      offset = 10
    }
    const keyAt = offset
    if (masked) offset += 4
    if (b.length < offset + length) return undefined
    const raw = this.cut(offset + length)
    if (opcode !== 0 && opcode !== 1) return { raw, kind: 'frame' }
    const payload = Buffer.from(raw.subarray(offset))
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ raw[keyAt + (i % 4)]!
    return { raw, kind: 'frame', text: payload.toString('utf8') }
  }

  private cut(n: number): Buffer {
    const head = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    return head
  }
}
