// Used by the apps' bundle.mjs: bundles an app's dist/bin.js into one CommonJS file and writes the small launcher
// (template.cjs) that runs it through V8's code cache. The launcher is the package's bin.
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * build: esbuild's build (each app has esbuild); options: esbuild options for the bundle (externals, plugins);
 * bin: the launcher's path; bundle: the bundle's.
 */
export async function bundleWithLauncher(build, { bin, bundle, ...options }) {
  const result = await build({
    entryPoints: ['dist/bin.js'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    // The sources are ES modules that find their neighbours with createRequire(import.meta.url).
    define: { 'import.meta.url': '__clawlinkBundleUrl' },
    banner: { js: 'var __clawlinkBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
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
