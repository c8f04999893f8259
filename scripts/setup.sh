#!/usr/bin/env bash
# Everything clawlink needs on a fresh Debian/Ubuntu machine that has only Node (>= 20.19) and npm:
# system packages (keytar and pkcs11js builds, a Secret Service, OpenSSH, a SoftHSM2 token and nginx for tests), pnpm, the workspace, a build.
# Idempotent: each step is skipped when already done. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

APT_PACKAGES=(libsecret-1-dev pkg-config g++ make python3 dbus-daemon dbus-bin gnome-keyring libsecret-tools openssh-client zsh fish iproute2 openssl faketime softhsm2 opensc time nginx-light)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm i -g --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null
fi

# keytar and pkcs11js compile from source here; node-gyp must use this Node's headers, not download them (docs/testing.md §2).
export npm_config_nodedir="${npm_config_nodedir:-$(node -p "require('path').resolve(process.execPath, '../..')")}"
say "pnpm install"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE "^(Progress|Packages:)" | tail -5 >&2
say "build"
pnpm turbo run build --output-logs=errors-only >&2
say "ready: node apps/cli/dist/clawlink.cjs --help"
