#!/usr/bin/env node
'use strict'
// Start-up of a bundled clawlink program (written by scripts/launcher/write.mjs at build time; docs/architecture.md
// "Start-up"). It runs the CommonJS bundle next to it through V8's code cache: the first run compiles the bundle and,
// as it exits, saves what V8 compiled to $XDG_CACHE_HOME/clawlink/v8 (default ~/.cache); later runs skip that
// compile. The cache file's name holds a hash of the bundle, so a rebuilt bundle never meets an old cache, and V8
// itself rejects a cache from another Node version. Nothing else is cached. CLAWLINK_NO_COMPILE_CACHE=1 turns it off;
// CLAWLINK_DEBUG_STARTUP=1 says on stderr whether the cache was used.
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const { createRequire } = require('node:module')

const BUNDLE = path.join(__dirname, '__BUNDLE__')
const BUILD = '__BUILD__'
const KEEP = 6
const debug = process.env.CLAWLINK_DEBUG_STARTUP === '1'
const say = (what) => debug && process.stderr.write(`startup: compile cache ${what}\n`)

function cachePath() {
  if (process.env.CLAWLINK_NO_COMPILE_CACHE === '1') return undefined
  const home = process.env.HOME || require('node:os').homedir()
  const base = process.env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : '')
  if (!path.isAbsolute(base)) return undefined
  return path.join(base, 'clawlink', 'v8', `${BUILD}-${process.version}-${process.arch}.bin`)
}

function readCache(file) {
  try {
    return file ? fs.readFileSync(file) : undefined
  } catch {
    return undefined
  }
}

// Written once, at exit, when there was no cache or V8 refused it; a temp file renamed into place, so a concurrent
// run never reads half a cache. Any failure (read-only home, full disk) only means the next run compiles again.
function saveCache(script, file) {
  const temp = `${file}.${process.pid}.tmp`
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 })
    fs.renameSync(temp, file)
    say(`written ${file}`)
    prune(path.dirname(file))
  } catch (error) {
    try {
      fs.rmSync(temp, { force: true })
    } catch {}
    say(`not written (${error.code || error.message})`)
  }
}

// Each build and Node version writes its own file: keep the newest few (the CLI's and the MCP server's, across an
// upgrade), remove the rest.
function prune(dir) {
  try {
    const files = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.bin'))
      .map((name) => ({ path: path.join(dir, name), at: fs.statSync(path.join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at)
    for (const old of files.slice(KEEP)) fs.rmSync(old.path, { force: true })
  } catch {}
}

const file = cachePath()
const cachedData = readCache(file)
// The bundle is pure ASCII and already CommonJS's function wrapper (scripts/launcher/write.mjs): read as latin1 it
// becomes a one-byte string without a UTF-8 decode, and V8 compiles it as is.
const source = fs.readFileSync(BUNDLE, 'latin1')
const script = new vm.Script(source, {
  filename: BUNDLE,
  cachedData,
})
if (!file) say('off')
else if (!cachedData) say('missing')
else say(script.cachedDataRejected ? 'rejected' : 'used')
if (file && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCache(script, file))
// Node 20 loses the callback `import()` needs in code that came from the cache, so the bundle imports plug-ins through
// this launcher, an ordinary module (packages/config/src/plugin-import.ts).
globalThis[Symbol.for('clawlink.import')] = (specifier) => import(specifier)
const bundleModule = { exports: {} }
script.runInThisContext()(bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, __dirname)
