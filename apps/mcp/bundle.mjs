// Bundles clawlink-mcp into one CommonJS file (dist/clawlink-mcp-main.cjs), run by the package's bin, the launcher
// dist/clawlink-mcp.cjs, through V8's code cache (scripts/launcher): the MCP SDK, zod, ws and the
// @clawlink libraries go inside, so an install pulls only json5 and the optional keytar and pkcs11js
// (BENCHMARKS.md "Install size"). Modules loaded with createRequire (json5, keytar, pkcs11js) stay outside and
// resolve from this package's node_modules, where package.json lists them. A `--signer <package>` plug-in is imported by name at
// run time and resolves from where the bundle is installed.
import { writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { bundleWithLauncher } from '../../scripts/launcher/write.mjs'

// Parts of the SDK's dependencies the server never uses, left out because compiling them is most of its start-up
// (BENCHMARKS.md "MCP"): zod's 40-odd translations of its error messages (the server speaks English; zod registers
// `en` itself); zod 3 and its JSON Schema converter, which the SDK keeps for servers written with zod 3 schemas (ours
// are all zod 4); and ajv, the SDK's default JSON Schema validator, which a server only uses to check elicitation
// answers — src/elicit-schema.ts does that and is passed to the server. Each stand-in fails loudly if used.
const refuse = (what) =>
  `() => { throw new Error("clawlink-mcp is bundled without ${what} (apps/mcp/bundle.mjs)") }`
const slim = {
  name: 'clawlink-slim',
  setup(b) {
    b.onLoad({ filter: /[/\\]zod[/\\]v4[/\\]locales[/\\]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }))
    b.onLoad({ filter: /[/\\]sdk[/\\]dist[/\\]esm[/\\]validation[/\\]ajv-provider\.js$/ }, () => ({
      contents: `export class AjvJsonSchemaValidator { constructor() { (${refuse('ajv: pass jsonSchemaValidator')})() } }`,
      loader: 'js',
    }))
    b.onResolve({ filter: /^(zod\/v3|zod-to-json-schema)$/ }, (args) => ({
      path: args.path,
      namespace: 'slim',
    }))
    b.onLoad({ filter: /^zod\/v3$/, namespace: 'slim' }, () => ({
      contents: `export const object = ${refuse('zod 3: write tool schemas with zod 4')}`,
      loader: 'js',
    }))
    b.onLoad({ filter: /^zod-to-json-schema$/, namespace: 'slim' }, () => ({
      contents: `export const zodToJsonSchema = ${refuse('zod 3: write tool schemas with zod 4')}`,
      loader: 'js',
    }))
  },
}

const result = await bundleWithLauncher(build, {
  bin: 'dist/clawlink-mcp.cjs',
  bundle: 'dist/clawlink-mcp-main.cjs',
  external: ['keytar', 'pkcs11js', 'json5'],
  metafile: true,
  plugins: [slim],
})
// The SDK's HTTP transports pull in an HTTP framework; the stdio server must not (checked by the release test).
const inputs = Object.keys(result.metafile.inputs)
const http = inputs.filter((p) => /node_modules\/(express|hono|@hono|cors|body-parser|raw-body)\//.test(p))
if (http.length > 0)
  throw new Error(`the MCP bundle pulled in an HTTP framework: ${http.slice(0, 3).join(', ')}`)
const left = inputs.filter((p) =>
  /node_modules\/(ajv|ajv-formats|fast-uri|zod-to-json-schema)\/|zod\/v3\/|zod\/v4\/locales\/(?!en\.js|index\.js)/.test(
    p,
  ),
)
if (left.length > 0)
  throw new Error(`the MCP bundle still holds what it leaves out: ${left.slice(0, 3).join(', ')}`)
writeFileSync('dist/clawlink-mcp.meta.json', JSON.stringify(result.metafile))
