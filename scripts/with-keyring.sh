#!/usr/bin/env bash
# Runs CMD inside a private D-Bus session with an unlocked gnome-keyring Secret Service (docs/testing.md §3).
# Nothing is D-Bus-activated (no service dirs), the daemon's files stay in a temp dir, it is stopped by PID.
# Exit: CMD's status; 95 keyring unlock failed; 96 never ready; 124 timeout.
set -euo pipefail
for c in dbus-run-session gnome-keyring-daemon dbus-send; do
  command -v "$c" >/dev/null || { echo "with-keyring: $c not installed (apt-get install dbus-daemon dbus-bin gnome-keyring)" >&2; exit 94; }
done
t=$(mktemp -d /tmp/clawlink-keyring.XXXXXX)
mkdir -m 700 "$t/data" "$t/run"
cat > "$t/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=$t</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
export CLAWLINK_KEYRING_DIR="$t"
cleanup() {
  if [ -f "$t/daemon.pid" ]; then
    pid=$(cat "$t/daemon.pid")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q gnome-keyring-daemon \
       && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  fi
  rm -rf "$t"
}
trap cleanup EXIT
set +e
timeout --kill-after=10 "${CLAWLINK_KEYRING_TIMEOUT_S:-3000}" dbus-run-session --config-file="$t/bus.conf" -- bash -c '
  set -u
  t="$CLAWLINK_KEYRING_DIR"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n" > "$t/pass"
  XDG_DATA_HOME="$t/data" XDG_RUNTIME_DIR="$t/run" gnome-keyring-daemon --unlock --components=secrets < "$t/pass" > /dev/null 2>&1 || exit 95
  B="dbus-send --session --print-reply"
  ready=""
  for _ in $(seq 1 100); do
    if $B --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" \
       && $B --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
            string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q "boolean false"; then ready=1; break; fi
    sleep 0.05
  done
  [ -n "$ready" ] || { echo "with-keyring: the Secret Service never became ready" >&2; exit 96; }
  $B --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
     string:org.freedesktop.secrets | awk "/uint32/{print \$2}" > "$t/daemon.pid"
  export CLAWLINK_KEYRING=1
  "$@"
  status=$?
  kill "$(cat "$t/daemon.pid")" 2>/dev/null || true
  exit $status
' with-keyring "$@"
status=$?
set -e
exit "$status"
