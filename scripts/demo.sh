#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install everything, start a real OpenClaw gateway on loopback
# (2026.9.6 by default; CLAWLINK_DEMO_VERSION=2026.3.13 or 2026.5.7 for the older ones), create a model-free
# cron job, run it by NAME with `clawlink cron run <name> --wait`, show `cron runs` and `doctor`, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
bash scripts/setup.sh

V="${CLAWLINK_DEMO_VERSION:-2026.9.6}"
work=$(mktemp -d /tmp/clawlink-demo.XXXXXX)
harness="node packages/testkit/dist/harness/cli.js"
cleanup() { $harness stop-all "$work/gateways.json" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== starting a real OpenClaw $V gateway on loopback (first time: ~1 min install, then ~20 s start)" >&2
$harness start-all --out "$work/gateways.json" "$V"
url=$(node -p "require('$work/gateways.json')[0].url")
node -e "process.stdout.write(require('$work/gateways.json')[0].token)" > "$work/token"
chmod 600 "$work/token"

# A fresh clawlink profile for the demo; the token goes by file, never on argv.
export CLAWLINK_HOME="$work/clawlink" OPENCLAW_GATEWAY_URL="$url"
clawlink() { echo "\$ clawlink $*" >&2; node apps/cli/dist/clawlink.cjs "$@"; }

cat > "$work/job.json" <<JSON
{"name":"demo-nightly-report","schedule":{"kind":"every","everyMs":3600000},"sessionTarget":"main",
 "wakeMode":"next-heartbeat","payload":{"kind":"systemEvent","text":"nightly report: all good"}}
JSON
clawlink --token-file "$work/token" call cron.add --params "@$work/job.json" > /dev/null
echo "== created cron job demo-nightly-report" >&2

clawlink --token-file "$work/token" cron list
clawlink --token-file "$work/token" cron run demo-nightly-report --wait
clawlink --token-file "$work/token" cron runs demo-nightly-report

# An agent turn, the job people schedule: the gateway's model here is the test kit's OpenAI-compatible server on
# loopback (start-all points the gateway at it), streaming for about 8 s. --follow shows its text as it is written.
cat > "$work/agent.json" <<JSON
{"name":"demo-agent-summary","schedule":{"kind":"every","everyMs":86400000},"sessionTarget":"isolated",
 "wakeMode":"now","payload":{"kind":"agentTurn","message":"[mock:slow:8] summarise the day"},"delivery":{"mode":"none"}}
JSON
clawlink --token-file "$work/token" call cron.add --params "@$work/agent.json" > /dev/null
echo "== created agent-turn job demo-agent-summary" >&2
clawlink --token-file "$work/token" cron run demo-agent-summary --follow
clawlink doctor   # no token this time: the device token cached by the first connect is enough
echo "== done: the gateway is stopped and $work removed" >&2
