#!/usr/bin/env bash
# Runs CMD with a private OpenSSH agent on a temp socket (SSH_AUTH_SOCK), stopped by its PID afterwards
# (docs/testing.md §4). Exits with CMD's status.
set -euo pipefail
command -v ssh-agent >/dev/null || { echo "with-ssh-agent: ssh-agent not installed (apt-get install openssh-client)" >&2; exit 97; }
d=$(mktemp -d /tmp/clawlink-agent.XXXXXX)
ssh-agent -D -a "$d/agent.sock" >/dev/null 2>&1 &
agent_pid=$!
cleanup() { kill "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$d/agent.sock" ] && break; sleep 0.05; done
[ -S "$d/agent.sock" ] || { echo "with-ssh-agent: the agent socket never appeared" >&2; exit 98; }
export SSH_AUTH_SOCK="$d/agent.sock" CLAWLINK_SSH_AGENT_PID="$agent_pid"
set +e
"$@"
status=$?
set -e
exit "$status"
