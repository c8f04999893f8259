// Bundles the CLI into one ESM file (dist/clawlink.mjs): on Node 20 the module graph of ~40 files costs more
// start-up than the code itself (BENCHMARKS.md "CLI"). Modules loaded with createRequire (ws, json5, yaml, keytar, pkcs11js)
// stay outside and resolve from this package's node_modules, where package.json lists them.
import { chmodSync } from 'node:fs'
import { build } from 'esbuild'

await build({
  entryPoints: ['dist/bin.js'],
  outfile: 'dist/clawlink.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['keytar', 'pkcs11js', 'ws', 'json5', 'yaml'],
  sourcemap: true,
  logLevel: 'warning',
})
chmodSync('dist/clawlink.mjs', 0o755)
