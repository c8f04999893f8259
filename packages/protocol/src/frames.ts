import { isRecord } from './records.js'
import { ProtocolError, type WireError } from './errors.js'

/** Client → gateway request (docs/protocol.md §1.2). */
export interface RequestFrame {
  type: 'req'
  id: string
  method: string
  params?: unknown
}

/** Gateway → client response; `error` is set when `ok` is false (docs/protocol.md §1.2). */
export interface ResponseFrame {
  type: 'res'
  id: string
  ok: boolean
  payload?: unknown
  error?: WireError
}

/** Gateway → client event; `seq` may have gaps and is absent on targeted events (docs/protocol.md §1.2). */
export interface EventFrame {
  type: 'event'
  event: string
  payload?: unknown
  seq?: number
  stateVersion?: { presence: number; health: number }
}

/** Any frame a gateway sends. */
export type ServerFrame = ResponseFrame | EventFrame

function invalid(message: string): never {
  throw new ProtocolError('FRAME_INVALID', message)
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    invalid(`frame field "${field}" must be a non-empty string`)
  return value
}

function parseWireError(value: unknown): WireError {
  if (!isRecord(value)) invalid('res.error must be an object')
  const error: WireError = {
    code: nonEmpty(value.code, 'error.code'),
    message: nonEmpty(value.message, 'error.message'),
  }
  if (value.details !== undefined && value.details !== null) {
    if (!isRecord(value.details)) invalid('res.error.details must be an object')
    error.details = value.details
  }
  if (value.retryable !== undefined) {
    if (typeof value.retryable !== 'boolean') invalid('res.error.retryable must be a boolean')
    error.retryable = value.retryable
  }
  if (value.retryAfterMs !== undefined && value.retryAfterMs !== null) {
    const ms = value.retryAfterMs
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0)
      invalid('res.error.retryAfterMs must be an integer ≥ 0')
    error.retryAfterMs = ms
  }
  return error
}

/**
 * Parses one text frame from the gateway into a typed `res` or `event` frame.
 * @throws ProtocolError FRAME_NOT_JSON, FRAME_INVALID or FRAME_UNKNOWN_TYPE, and nothing else.
 */
export function parseServerFrame(text: string): ServerFrame {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new ProtocolError('FRAME_NOT_JSON', 'frame is not valid JSON', { cause })
  }
  if (!isRecord(value)) invalid('frame must be a JSON object')
  if (value.type === 'res') {
    const id = nonEmpty(value.id, 'id')
    if (typeof value.ok !== 'boolean') invalid('res.ok must be a boolean')
    const frame: ResponseFrame = { type: 'res', id, ok: value.ok }
    if ('payload' in value) frame.payload = value.payload
    if (value.error !== undefined && value.error !== null) frame.error = parseWireError(value.error)
    if (!frame.ok && !frame.error) invalid('res with ok:false must carry an error')
    return frame
  }
  if (value.type === 'event') {
    const frame: EventFrame = { type: 'event', event: nonEmpty(value.event, 'event') }
    if ('payload' in value) frame.payload = value.payload
    if (value.seq !== undefined && value.seq !== null) {
      if (typeof value.seq !== 'number' || !Number.isInteger(value.seq) || value.seq < 0)
        invalid('event.seq must be an integer ≥ 0')
      frame.seq = value.seq
    }
    const sv = value.stateVersion
    if (isRecord(sv) && typeof sv.presence === 'number' && typeof sv.health === 'number') {
      frame.stateVersion = { presence: sv.presence, health: sv.health }
    }
    return frame
  }
  throw new ProtocolError(
    'FRAME_UNKNOWN_TYPE',
    `unknown frame type ${typeof value.type === 'string' ? JSON.stringify(value.type.slice(0, 40)) : typeof value.type}`,
  )
}

/**
 * Serialises a request; v3 gateways reject any extra top-level key (docs/protocol.md §1.2).
 * @throws ProtocolError INVALID_PARAMS when id or method is empty.
 */
export function encodeRequest(frame: RequestFrame): string {
  if (typeof frame.id !== 'string' || frame.id.length === 0)
    throw new ProtocolError('INVALID_PARAMS', 'request id must be a non-empty string')
  if (typeof frame.method !== 'string' || frame.method.length === 0) {
    throw new ProtocolError('INVALID_PARAMS', 'request method must be a non-empty string')
  }
  const out: RequestFrame = { type: 'req', id: frame.id, method: frame.method }
  if (frame.params !== undefined) out.params = frame.params
  return JSON.stringify(out)
}
