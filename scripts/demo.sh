#!/usr/bin/env bash
# The whole demo on the local lab, as root on Debian 12: install what is missing, build the
# fabric, push the configs, start the containers, teach the leaves their ARP entries, and
# prove every /32 reached every switch. Leaves the lab running; tear down with
#   node bin/cldemo.js down && node bin/cldemo.js lab down
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
echo "The fabric is up. Try:  node bin/cldemo.js lab exec leaf01 -- curl -sI http://172.16.1.41/"
echo "Tear down:             node bin/cldemo.js down && node bin/cldemo.js lab down"
