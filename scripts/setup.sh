#!/usr/bin/env bash
# Installs what cldemo and its tests need on a Debian 12 (or newer) machine, as root: the
# Debian packages of scripts/debian-packages.txt (the one list `cldemo lab up` also checks)
# and the npm dependencies. Prerequisites it checks first and does not install: Debian
# (apt-get, dpkg), root, Node.js >= 20 with npm.
# Safe to run again: apt-get and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

problems=()
if ! command -v node >/dev/null 2>&1; then
  problems+=("Node.js >= 20 is required: no 'node' on PATH (install Node.js 20 or newer, e.g. from https://nodejs.org or NodeSource; Debian 12's own nodejs is 18, too old)")
else
  node_version=$(node -p 'process.versions.node')
  if [ "${node_version%%.*}" -lt 20 ]; then
    problems+=("Node.js >= 20 is required: $(command -v node) is $node_version (install Node.js 20 or newer, e.g. from https://nodejs.org or NodeSource)")
  fi
  command -v npm >/dev/null 2>&1 || problems+=("npm is required: no 'npm' on PATH (it ships with Node.js; on Debian's nodejs package install 'npm')")
fi
command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 ||
  problems+=("Debian 12 or newer is required: no apt-get/dpkg-query on this machine")
[ "$(id -u)" -eq 0 ] || problems+=("root is required (the lab builds namespaces and installs Debian packages): sudo $0")
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do echo "setup: $p" >&2; done
  exit 2
fi

mapfile -t PACKAGES < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' scripts/debian-packages.txt)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # services must not start on the host: the lab starts its own daemons inside its nodes
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

# `cldemo` on the PATH, pointing at this checkout (npm link: a global symlink to bin/cldemo.js),
# so the README's examples work as typed; completion: eval "$(cldemo completion bash)"
entry="$(pwd)/$(node -p 'require("./package.json").bin.cldemo')"
if [ "$(readlink -f "$(command -v cldemo 2>/dev/null || true)" 2>/dev/null)" != "$(readlink -f "$entry")" ]; then
  npm link --no-audit --no-fund >/dev/null
  echo "setup: cldemo is on the PATH: $(command -v cldemo || echo "not found; add the bin folder of $(npm prefix -g) to PATH")"
fi
