#!/usr/bin/env node
// Real-gateway harness for shell scripts: `node packages/testkit/dist/harness/cli.js <command> …`.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type RunningModel, startModelProcess, stopModelProcess } from '../model/process.js'
import { GATEWAY_POOLS, type GatewayPool, type RunningGateway, startGateway } from './gateway.js'
import { ensureOpenClaw, GATEWAY_VERSIONS, peerCacheDir } from './install.js'
import { addModelFreeJob, warmAgentWorkspace } from './jobs.js'
import { stopGateway } from './stop.js'

const HELP = `usage: harness <command>
  install [VERSION…]             install openclaw VERSIONs (default: ${GATEWAY_VERSIONS.join(' ')}) and their Node
  start-all --out FILE [VERSION[@OFFSET][#agents]…]  start one gateway per VERSION on free loopback ports (VERSION@-30s: its
                                 clock skewed with libfaketime; VERSION#agents / #drops: kept for those suites) and one mock model they all use; write FILE
                                 (CLAWLINK_GATEWAYS format: an array, each entry's \`model\` is {url, pid})
  stop-all FILE                  stop every gateway and mock model listed in FILE
  add-job FILE VERSION NAME      create a model-free cron job on that gateway; prints its id`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'install': {
      const versions = rest.length > 0 ? rest : [...GATEWAY_VERSIONS]
      for (const v of versions) await ensureOpenClaw(v)
      return 0
    }
    case 'start-all': {
      const outIndex = rest.indexOf('--out')
      const out = outIndex >= 0 ? rest[outIndex + 1] : undefined
      if (!out) throw new Error('start-all needs --out FILE')
      const versions = rest.filter((_, i) => i !== outIndex && i !== outIndex + 1)
      const list = (versions.length > 0 ? versions : [...GATEWAY_VERSIONS]).map((spec) => {
        const [head, pool] = spec.split('#') as [string, string | undefined]
        const [version, clockOffset] = head.split('@') as [string, string | undefined]
        if (pool !== undefined && !(GATEWAY_POOLS as readonly string[]).includes(pool))
          throw new Error(
            `unknown pool "${pool}" in ${spec} (${GATEWAY_POOLS.map((p) => `#${p}`).join(', ')})`,
          )
        return {
          version,
          ...(clockOffset ? { clockOffset } : {}),
          ...(pool ? { pool: pool as GatewayPool } : {}),
        }
      })
      // Installs one after another (npm is heavy), then start all at once.
      for (const { version } of new Set(list)) await ensureOpenClaw(version)
      const model = await startModelProcess(
        join(peerCacheDir(), 'instances', `model-${process.pid}-${Date.now()}`),
      )
      const started: RunningGateway[] = []
      // A port can be taken between our check and the gateway's bind (parallel test runs): retry once elsewhere.
      const startOnce = (spec: (typeof list)[number]) =>
        startGateway({ ...spec, model }).catch((error: Error) => {
          process.stderr.write(
            `[harness] ${spec.version}: ${error.message.split('\n')[0]}; retrying on another port\n`,
          )
          return startGateway({ ...spec, model })
        })
      // Each gateway's first agent turn runs alone, before the suites start theirs together (warmAgentWorkspace).
      const startWarm = async (spec: (typeof list)[number]) => {
        const gw = await startOnce(spec)
        if (gw.clockOffset) return gw
        // A failed warm-up is only reported: the gateway stays in the list (and is stopped with it).
        const note = await warmAgentWorkspace(gw).then(
          (ms) => `first agent turn done in ${(ms / 1000).toFixed(1)} s`,
          (error: Error) => `warm-up: ${error.message}`,
        )
        process.stderr.write(`[harness] ${gw.version}: ${note}\n`)
        return gw
      }
      const results = await Promise.allSettled(list.map(startWarm))
      for (const r of results) if (r.status === 'fulfilled') started.push(r.value)
      if (started.length === 0) await stopModelProcess(model)
      writeFileSync(out, `${JSON.stringify(started, null, 2)}\n`, { mode: 0o600 })
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
      for (const f of failed) process.stderr.write(`[harness] start failed: ${(f.reason as Error).message}\n`)
      return failed.length > 0 ? 1 : 0
    }
    case 'stop-all': {
      const file = rest[0]
      if (!file) throw new Error('stop-all needs FILE')
      const list = JSON.parse(readFileSync(file, 'utf8')) as RunningGateway[]
      await Promise.all(list.map((gw) => stopGateway(gw)))
      const models = new Map<number, RunningModel>()
      for (const gw of list) if (gw.model) models.set(gw.model.pid, gw.model)
      await Promise.all([...models.values()].map(stopModelProcess))
      return 0
    }
    case 'add-job': {
      const [file, version, name] = rest
      if (!file || !version || !name) throw new Error('add-job needs FILE VERSION NAME')
      const gw = (JSON.parse(readFileSync(file, 'utf8')) as RunningGateway[]).find(
        (g) => g.version === version,
      )
      if (!gw) throw new Error(`no gateway ${version} in ${file}`)
      process.stdout.write(`${await addModelFreeJob(gw, name)}\n`)
      return 0
    }
    default:
      process.stderr.write(`${HELP}\n`)
      return command === undefined || command === '--help' ? 0 : 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    process.stderr.write(`[harness] ${error.message}\n`)
    process.exitCode = 1
  },
)
