#!/bin/bash
# Runs inside `unshare --net --mount --uts --propagation private`: makes this process a
# throwaway leaf01 with the rendered files in NODE_DIR, applies them with ifupdown2 and FRR,
# adds the table-10 routes the redistribute-neighbor agent would, prints what came of it.
set -eu
node=$1
mount -t tmpfs cldemo-t /run && mkdir -p /run/frr /run/network && chown frr:frr /run/frr
# FRR keeps per-pid crashlog dirs in /var/tmp/frr: a stale one from an earlier daemon with a
# reused pid makes watchfrr complain on stderr, so this node gets its own
mount -t tmpfs cldemo-t /var/tmp
mount -t sysfs sysfs /sys
ifupdown2_conf=$(mktemp -d) && cp -a /etc/network/ifupdown2 "$ifupdown2_conf/"
mount -t tmpfs cldemo-t /etc/network
cp -a "$ifupdown2_conf/ifupdown2" /etc/network/ && rm -rf "$ifupdown2_conf"
cp "$node/etc/network/interfaces" /etc/network/interfaces
mount -t tmpfs cldemo-t /etc/frr && cp "$node/etc/frr/frr.conf" "$node/etc/frr/daemons" /etc/frr/
touch /etc/frr/vtysh.conf && chown -R frr:frr /etc/frr
hostname leaf01
for pair in swp1:host1 swp51:sp1 swp52:sp2 swp9:other9; do
  ip link add "${pair%%:*}" type veth peer name "${pair##*:}"
  ip link set "${pair##*:}" up && ip link set "${pair%%:*}" up
done
ifreload -a
trap '/usr/lib/frr/frrinit.sh stop >/dev/null' EXIT
/usr/lib/frr/frrinit.sh start >/dev/null
# two hosts behind the server port, one behind a port that is not a server port
ip route add 172.16.1.11/32 dev swp1 scope link table 10
ip route add 172.16.1.12/32 dev swp1 scope link table 10
ip route add 172.16.9.9/32 dev swp9 scope link table 10
for _ in $(seq 120); do   # bgpd takes a few seconds to redistribute after start
  [ "$(vtysh -c 'show ip bgp json' | grep -c '"172.16.1.1[12]/32"')" -ge 2 ] && break
  sleep 0.5
done
echo "proxy_arp=$(cat /proc/sys/net/ipv4/conf/swp1/proxy_arp) proxy_delay=$(cat /proc/sys/net/ipv4/neigh/swp1/proxy_delay)"
echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
vtysh -c 'show ip bgp json'
