#!/usr/bin/env bash
# Runs CMD with real OpenClaw gateways (2026.9.6, 2026.3.13 and 2026.5.7, plus 2026.3.13 with its clock 30 s
# behind and 2026.9.6 45 s ahead: libfaketime; one of each version kept for agent-turn tests, #agents, and 9.6 + 3.13 for the drop tests, #drops) on free loopback ports, listed in a
# JSON file named by CLAWLINK_GATEWAYS; stops them by PID afterwards. Installs them into ~/.cache/clawlink first.
# CLAWLINK_GATEWAY_VERSIONS="2026.9.6 2026.3.13" picks versions. Exits with CMD's status.
set -euo pipefail
cd "$(dirname "$0")/.."
harness="node packages/testkit/dist/harness/cli.js"
f=$(mktemp /tmp/clawlink-gateways.XXXXXX.json)
cleanup() { $harness stop-all "$f" || true; rm -f "$f"; }
trap cleanup EXIT
# shellcheck disable=SC2086
$harness start-all --out "$f" ${CLAWLINK_GATEWAY_VERSIONS:-2026.9.6 2026.3.13 2026.5.7 2026.3.13@-30s 2026.9.6@+45s 2026.9.6#agents 2026.3.13#agents 2026.5.7#agents 2026.9.6#drops 2026.3.13#drops}
export CLAWLINK_GATEWAYS="$f"
set +e
"$@"
status=$?
set -e
exit "$status"
