#!/usr/bin/env bash
# Checks every public workspace package as it would be published (needs a build first):
#   publint --strict, then `pnpm pack` (workspace:^ rewritten as on publish) and attw on the tarball with the
#   esm-only profile (the packages are ESM; CommonJS `require` of them is not supported), then the tarball's
#   contents: README.md, LICENSE, no source maps, no tests, a bin that starts with a shebang, and the metadata
#   fields a registry page shows. Prints one line per package; exits 1 on the first report.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
publint="$root/node_modules/.bin/publint"
attw="$root/node_modules/.bin/attw"

mapfile -t dirs < <(node -e '
  const { readdirSync, readFileSync, existsSync } = require("node:fs")
  for (const group of ["packages", "apps"])
    for (const name of readdirSync(group).sort()) {
      const file = `${group}/${name}/package.json`
      if (existsSync(file) && !JSON.parse(readFileSync(file, "utf8")).private) console.log(`${group}/${name}`)
    }')
[ "${#dirs[@]}" -gt 0 ] || { echo "check-packages: no public package found" >&2; exit 1; }

for dir in "${dirs[@]}"; do
  name="$(node -p "require('./$dir/package.json').name")"
  (cd "$dir" && "$publint" --strict --level suggestion >"$work/publint.log" 2>&1) || {
    cat "$work/publint.log" >&2; echo "check-packages: publint reported problems in $name" >&2; exit 1; }
  # publint prints "All good!" only when it has nothing to report (suggestions included).
  grep -q "All good!" "$work/publint.log" || { cat "$work/publint.log" >&2; exit 1; }

  rm -rf "$work/pack" && mkdir -p "$work/pack"
  (cd "$dir" && pnpm pack --pack-destination "$work/pack" >/dev/null)
  tgz="$(ls "$work"/pack/*.tgz)"
  "$attw" "$tgz" --profile esm-only --format ascii --no-emoji --no-color >"$work/attw.log" 2>&1 || {
    cat "$work/attw.log" >&2; echo "check-packages: attw reported problems in $name" >&2; exit 1; }

  tar -tzf "$tgz" | sed 's#^package/##' >"$work/files.txt"
  node - "$dir" "$work/files.txt" "$tgz" <<'NODE'
const { readFileSync } = require('node:fs')
const { execFileSync } = require('node:child_process')
const [dir, listFile, tgz] = process.argv.slice(2)
const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean)
const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }))
const problems = []
for (const needed of ['README.md', 'LICENSE', 'package.json'])
  if (!files.includes(needed)) problems.push(`${needed} missing from the tarball`)
for (const f of files) {
  if (/\.map$/.test(f)) problems.push(`source map shipped: ${f}`)
  if (/(^|\/)(test|tests|__tests__)\/|\.test\.|\.spec\./.test(f)) problems.push(`test file shipped: ${f}`)
  if (/(^|\/)(src\/|tsconfig|\.tsbuildinfo|test-results)/.test(f)) problems.push(`build input shipped: ${f}`)
}
if (pkg.license !== 'MIT') problems.push('license is not MIT')
if (!pkg.engines?.node) problems.push('engines.node missing')
if (pkg.type !== 'module') problems.push('type is not "module"')
if (pkg.publishConfig?.access !== 'public') problems.push('publishConfig.access is not "public"')
if (pkg.repository?.directory !== dir) problems.push(`repository.directory is not ${dir}`)
if (!pkg.homepage || !pkg.bugs?.url || !pkg.description) problems.push('homepage, bugs.url or description missing')
for (const section of ['dependencies', 'optionalDependencies', 'peerDependencies'])
  for (const [dep, range] of Object.entries(pkg[section] ?? {}))
    if (/^(workspace|link|file):/.test(range)) problems.push(`${section}.${dep} is ${range}`)
for (const bin of Object.values(pkg.bin ?? {})) {
  const path = bin.replace(/^\.\//, '')
  if (!files.includes(path)) problems.push(`bin ${path} is not in the tarball`)
  else if (!execFileSync('tar', ['-xzOf', tgz, `package/${path}`], { encoding: 'utf8', maxBuffer: 1 << 28 }).startsWith('#!/usr/bin/env node'))
    problems.push(`bin ${path} has no node shebang`)
}
if (problems.length > 0) {
  console.error(`check-packages: ${pkg.name}:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
NODE
  printf 'check-packages: %-28s ok (publint, attw esm-only, %s files, %s KiB packed)\n' \
    "$name" "$(wc -l <"$work/files.txt")" "$(( $(stat -c %s "$tgz") / 1024 ))"
done
