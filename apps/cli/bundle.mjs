// Bundles the CLI into one CommonJS file (dist/clawlink-main.cjs) run by the launcher dist/clawlink.cjs, the
// package's bin, through V8's code cache (scripts/launcher): on Node 20 loading the module graph and compiling it
// cost more start-up than the code itself (BENCHMARKS.md "Start-up against the floor client"). ws goes inside (see
// packages/client/src/transport.ts). Modules loaded with createRequire (json5, yaml, keytar, pkcs11js) stay outside
// and resolve from this package's node_modules, where package.json lists them.
import { build } from 'esbuild'
import { bundleWithLauncher } from '../../scripts/launcher/write.mjs'

await bundleWithLauncher(build, {
  bin: 'dist/clawlink.cjs',
  bundle: 'dist/clawlink-main.cjs',
  external: ['keytar', 'pkcs11js', 'json5', 'yaml'],
  sourcemap: true,
})
