#!/usr/bin/env bash
# Installs what cldemo and its tests need on a Debian 12 machine, as root: the Debian
# packages the lab runs (FRR, dockerd, sshd, ifupdown2, ...) and the npm dependencies.
# Safe to run again: apt-get and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(frr frr-pythontools docker.io openssh-server ifupdown2 iproute2 iputils-ping arping curl debootstrap ca-certificates procps psmisc)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (the lab builds namespaces and installs Debian packages): sudo $0" >&2
  exit 2
fi

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
