// Used by the apps' bundle.mjs: bundles an app's dist/bin.js into one CommonJS file and writes the small launcher
// (template.cjs) that runs it through V8's code cache. The launcher is the package's bin.
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * build: esbuild's build (each app has esbuild); options: esbuild options for the bundle (externals, plugins);
 * bin: the launcher's path; bundle: the bundle's.
 */
export async function bundleWithLauncher(build, { bin, bundle, external = [], ...options }) {
  const result = await build({
    entryPoints: ['dist/bin.js'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    // Start-up reads, deserializes and touches every byte of the bundle on each run (docs/architecture.md
    // "Start-up"): minified it is about 40 % smaller. The source map keeps --debug stack traces readable; error
    // classes name themselves, so no code depends on a minified function name.
    minify: true,
    // The file is a function expression the launcher compiles as is, CommonJS's own wrapper: with esbuild writing it,
    // the source map accounts for the first line.
    banner: {
      js: '(function (exports, require, module, __filename, __dirname) {var __clawlinkBundleUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    footer: { js: '})' },
    // The sources are ES modules that find their neighbours with createRequire(import.meta.url).
    define: {
      'import.meta.url': '__clawlinkBundleUrl',
      // ws (bundled) would otherwise look up its optional native add-ons on every start, and neither is a
      // dependency: Node 20 has buffer.isUtf8, and the pure-JS masking is what ws uses without them.
      'process.env.WS_NO_BUFFER_UTIL': '"1"',
      'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
    },
    external: ['bufferutil', 'utf-8-validate', ...external],
    ...options,
  })
  // A hashbang in the bundle would be a syntax error inside the launcher's function wrapper. Any character beyond
  // ASCII (esbuild keeps some comments as written) would make V8 hold and scan the whole source as two-byte text:
  // written as a \u escape, which means the same in a string, a regular expression or a comment.
  const code = readFileSync(bundle, 'utf8')
    .replace(/^#![^\n]*\n/, '\n')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  writeFileSync(bundle, code)
  const build_ = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const template = readFileSync(new URL('./template.cjs', import.meta.url), 'utf8')
  writeFileSync(bin, template.replace('__BUNDLE__', basename(bundle)).replace('__BUILD__', build_))
  chmodSync(bin, 0o755)
  return result
}
