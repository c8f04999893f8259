// Bundles clawlink-mcp into one ESM file (dist/clawlink-mcp.mjs), the package's bin: the MCP SDK, zod and the
// @clawlink libraries go inside, so an install pulls only ws, json5 and the optional keytar and pkcs11js
// (BENCHMARKS.md "Install size"). Modules loaded with createRequire (ws, json5, keytar, pkcs11js) stay outside and resolve from this
// package's node_modules, where package.json lists them. A `--signer <package>` plug-in is imported by name at
// run time and resolves from where the bundle is installed.
import { chmodSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'

const result = await build({
  entryPoints: ['dist/bin.js'],
  outfile: 'dist/clawlink-mcp.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['keytar', 'pkcs11js', 'ws', 'json5'],
  metafile: true,
  logLevel: 'warning',
})
// The SDK's HTTP transports pull in an HTTP framework; the stdio server must not (checked by the release test).
const inputs = Object.keys(result.metafile.inputs)
const http = inputs.filter((p) => /node_modules\/(express|hono|@hono|cors|body-parser|raw-body)\//.test(p))
if (http.length > 0)
  throw new Error(`the MCP bundle pulled in an HTTP framework: ${http.slice(0, 3).join(', ')}`)
writeFileSync('dist/clawlink-mcp.meta.json', JSON.stringify(result.metafile))
chmodSync('dist/clawlink-mcp.mjs', 0o755)
