#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run). Needs only Node (>= 20.19) and npm: installs the rest.
#   lint + typecheck, then every package's tests with REAL components: OpenClaw gateways 2026.9.6, 2026.3.13
#   and 2026.5.7 on loopback, an OpenSSH agent, a gnome-keyring Secret Service on a private D-Bus.
#   With CLAWLINK_REQUIRE_REAL=1 a test that needs one of them fails instead of skipping. packages/release-test
#   publishes every public package to a loopback Verdaccio and runs what `npm i -g` / `npx` install from it.
# Then the pure packages' unit tests again on Node 24, and one summary line: "Tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 CLAWLINK_REQUIRE_REAL=1
step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)" >&2; }
started=$(date +%s)

step "setup"
bash scripts/setup.sh
rm -f packages/*/test-results*.json apps/*/test-results*.json

step "lint (biome)"
pnpm lint
step "typecheck"
pnpm turbo run typecheck --output-logs=errors-only
step "package checks (publint, attw, tarball contents)"
bash scripts/check-packages.sh
step "import circles"
node scripts/check-cycles.mjs

step "real gateways: install (cached in ~/.cache/clawlink)"
node packages/testkit/dist/harness/cli.js install

step "tests with real gateways, ssh-agent and keyring"
status=0
scripts/with-gateways.sh scripts/with-ssh-agent.sh scripts/with-keyring.sh \
  pnpm turbo run test --force --concurrency=2 --env-mode=loose --continue || status=$?

step "pure packages' unit tests on Node 24"
node24="$(node -e "import('./packages/testkit/dist/harness/index.js').then(async (h) => console.log(await h.ensureNode(24)))")"
for pkg in packages/protocol packages/signer-kit packages/signer-file; do
  (cd "$pkg" && PATH="$node24:$PATH" node --version >&2 && PATH="$node24:$PATH" node ../../node_modules/vitest/vitest.mjs run --testTimeout=30000 \
    --reporter=default --reporter=json --outputFile.json=test-results-node24.json) || status=$?
done

step "summary ($(( $(date +%s) - started )) s)"
node scripts/test-summary.mjs || status=$?
exit "$status"
