#!/usr/bin/env node
// Runs inside a test's network namespace (`ip netns exec <ns> node netns-rpc.js`): reads one JSON request on
// stdin (the token travels there, never on argv) and prints one JSON answer on stdout.
import { waitForReady } from './gateway.js'
import { createEphemeralSigner, gatewayRpc, type HarnessRpcError, type RpcCall } from './rpc.js'

/** What the parent sends on stdin. */
export interface NetnsRpcRequest {
  op: 'ready' | 'rpc'
  url: string
  token: string
  timeoutMs: number
  /** Hex Ed25519 seed of the operator's device (rpc only). */
  seed?: string
  scopes?: string[]
  calls?: RpcCall[]
  /** The gateway's PID, so a crashed gateway ends the readiness wait at once. */
  pid?: number
}

/** What the script prints on stdout. */
export type NetnsRpcAnswer =
  | { ok: true; protocol?: number; hello?: Record<string, unknown>; results?: unknown[] }
  | {
      ok: false
      error: Pick<HarnessRpcError, 'message' | 'kind' | 'gatewayCode' | 'closeCode' | 'wire'>
    }

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function answer(request: NetnsRpcRequest): Promise<NetnsRpcAnswer> {
  if (request.op === 'ready') {
    return {
      ok: true,
      protocol: await waitForReady(request.url, request.token, request.timeoutMs, request.pid),
    }
  }
  const signer = request.seed ? createEphemeralSigner(Buffer.from(request.seed, 'hex')) : undefined
  const { hello, results } = await gatewayRpc(
    {
      url: request.url,
      token: request.token,
      timeoutMs: request.timeoutMs,
      ...(signer ? { signer } : {}),
      ...(request.scopes ? { scopes: request.scopes } : {}),
    },
    request.calls ?? [],
  )
  return { ok: true, hello, results }
}

async function main(): Promise<void> {
  let out: NetnsRpcAnswer
  try {
    out = await answer(JSON.parse(await readStdin()) as NetnsRpcRequest)
  } catch (error) {
    const e = error as HarnessRpcError
    out = {
      ok: false,
      error: {
        message: e.message,
        kind: e.kind,
        gatewayCode: e.gatewayCode,
        closeCode: e.closeCode,
        wire: e.wire,
      },
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

await main()
