#!/usr/bin/env bash
# Publishes every public @clawlink package to the registry at <registry-url> (RELEASING.md):
#   build → scripts/check-packages.sh (publint, attw, tarball contents) → `pnpm -r publish`.
# Versions must already be set (`pnpm changeset version`, committed): with changesets still pending it stops.
# The token never goes on argv: put it in CLAWLINK_PUBLISH_TOKEN (written nowhere: a private npmrc refers to the
# variable) or in the npmrc that NPM_CONFIG_USERCONFIG / ~/.npmrc names.
#   usage: scripts/release.sh <registry-url> [extra pnpm publish flags, e.g. --dry-run or --tag next]
set -euo pipefail
cd "$(dirname "$0")/.."
registry="${1:-}"
[[ "$registry" =~ ^https?://[^/]+ ]] || { echo "usage: scripts/release.sh <registry-url> [pnpm publish flags]" >&2; exit 2; }
shift
[[ "$registry" == */ ]] || registry="$registry/"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

pending="$(find .changeset -maxdepth 1 -name '*.md' ! -name README.md | wc -l)"
if [ "$pending" -gt 0 ]; then
  echo "release: $pending changeset(s) not applied yet: run \`pnpm changeset version\`, review and commit, then release" >&2
  exit 1
fi

if [ -n "${CLAWLINK_PUBLISH_TOKEN:-}" ]; then
  npmrc="$(mktemp)"
  trap 'rm -f "$npmrc"' EXIT
  # npm and pnpm expand ${VAR} in npmrc files, so the token itself is never written to disk.
  printf '//%s:_authToken=${CLAWLINK_PUBLISH_TOKEN}\n' "${registry#*://}" >"$npmrc"
  export NPM_CONFIG_USERCONFIG="$npmrc"
fi

echo "== build" >&2
pnpm turbo run build --output-logs=errors-only
echo "== check packages" >&2
bash scripts/check-packages.sh
echo "== publish to $registry" >&2
pnpm -r publish --registry "$registry" --no-git-checks "$@"
