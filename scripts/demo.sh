#!/usr/bin/env bash
# The whole demo on the local lab, as root on Debian 12: install what is missing, build the
# fabric, push the configs, start the containers, teach the leaves their ARP entries, and
# prove every /32 reached every switch. Leaves the lab running; tear down with
#   cldemo down && cldemo lab down
# (setup.sh puts cldemo on the PATH; this script runs this checkout's build directly all the same)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cldemo() { node bin/cldemo.js "$@"; }
topo=${1:-topology.yaml}

cldemo validate -t "$topo"
cldemo lab up -t "$topo"
cldemo up -t "$topo"
cldemo ping-sweep -t "$topo"
cldemo verify-routes -t "$topo" --wait 30
echo
echo "spine01# show ip route"
cldemo lab exec -t "$topo" spine01 -- vtysh -c 'show ip route'
echo
# what the closing lines tell the reader to type: cldemo, unless setup.sh could not put it on the PATH
if command -v cldemo >/dev/null 2>&1; then c=cldemo; else c="node bin/cldemo.js"; fi
echo "The fabric is up. Try:  $c lab exec leaf01 -- curl -sI http://172.16.1.41/"
echo "Tear down:             $c down && $c lab down"
