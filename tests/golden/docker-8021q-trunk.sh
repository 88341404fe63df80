#!/bin/sh
# mvlab design docker-8021q-trunk: plain ip commands.
# Run on each host, as root: sh THIS_FILE HOST up (again to rebuild), sh THIS_FILE HOST down
# (down removes what up made, and leaves the NICs up).
set -eu
down_0() {
  ip netns del c2 2>/dev/null || true
  ip netns del c1 2>/dev/null || true
  ip link del mvtmp0 2>/dev/null || true
  ip link del mvtmp1 2>/dev/null || true
  ip link del enp0s8.100 2>/dev/null || true
  ip link del enp0s8.200 2>/dev/null || true
  true
}
down_1() {
  ip netns del c4 2>/dev/null || true
  ip netns del c3 2>/dev/null || true
  ip link del mvtmp0 2>/dev/null || true
  ip link del mvtmp1 2>/dev/null || true
  ip link del enp0s8.100 2>/dev/null || true
  ip link del enp0s8.200 2>/dev/null || true
  true
}
down_2() {
  ip addr del 172.16.100.1/24 dev enp0s8.100 2>/dev/null || true
  ip addr del 172.16.200.1/24 dev enp0s8.200 2>/dev/null || true
  ip link del enp0s8.100 2>/dev/null || true
  ip link del enp0s8.200 2>/dev/null || true
  [ -e /run/mvlab-export/docker-8021q-trunk.gw/net.ipv4.ip_forward ] && sysctl -w net.ipv4.ip_forward="$(cat /run/mvlab-export/docker-8021q-trunk.gw/net.ipv4.ip_forward)" && rm /run/mvlab-export/docker-8021q-trunk.gw/net.ipv4.ip_forward 2>/dev/null || true
  true
}
case "${1:-}:${2:-up}" in
host1:up)
  # ---- host host1: container c1, container c2 ----
  down_0
  ip link set enp0s8 up
  ip link add link enp0s8 name enp0s8.100 type vlan id 100
  ip link set enp0s8.100 up
  ip link add link enp0s8 name enp0s8.200 type vlan id 200
  ip link set enp0s8.200 up
  # container c1
  ip netns add c1
  ip -n c1 link set lo up
  ip link add link enp0s8.100 name mvtmp0 address 02:42:ac:10:64:02 type macvlan mode bridge
  ip link set mvtmp0 netns c1
  ip -n c1 link set mvtmp0 name eth0
  ip -n c1 addr add 172.16.100.2/24 dev eth0
  ip -n c1 link set eth0 up
  ip -n c1 route add default via 172.16.100.1
  # container c2
  ip netns add c2
  ip -n c2 link set lo up
  ip link add link enp0s8.200 name mvtmp1 address 02:42:ac:10:c8:02 type macvlan mode bridge
  ip link set mvtmp1 netns c2
  ip -n c2 link set mvtmp1 name eth0
  ip -n c2 addr add 172.16.200.2/24 dev eth0
  ip -n c2 link set eth0 up
  ip -n c2 route add default via 172.16.200.1
  ;;
host1:down)
  down_0
  ;;
host2:up)
  # ---- host host2: container c3, container c4 ----
  down_1
  ip link set enp0s8 up
  ip link add link enp0s8 name enp0s8.100 type vlan id 100
  ip link set enp0s8.100 up
  ip link add link enp0s8 name enp0s8.200 type vlan id 200
  ip link set enp0s8.200 up
  # container c3
  ip netns add c3
  ip -n c3 link set lo up
  ip link add link enp0s8.100 name mvtmp0 address 02:42:ac:10:64:03 type macvlan mode bridge
  ip link set mvtmp0 netns c3
  ip -n c3 link set mvtmp0 name eth0
  ip -n c3 addr add 172.16.100.3/24 dev eth0
  ip -n c3 link set eth0 up
  ip -n c3 route add default via 172.16.100.1
  # container c4
  ip netns add c4
  ip -n c4 link set lo up
  ip link add link enp0s8.200 name mvtmp1 address 02:42:ac:10:c8:03 type macvlan mode bridge
  ip link set mvtmp1 netns c4
  ip -n c4 link set mvtmp1 name eth0
  ip -n c4 addr add 172.16.200.3/24 dev eth0
  ip -n c4 link set eth0 up
  ip -n c4 route add default via 172.16.200.1
  ;;
host2:down)
  down_1
  ;;
gw:up)
  # ---- host gw: no namespaces ----
  down_2
  ip link set enp0s8 up
  ip link add link enp0s8 name enp0s8.100 type vlan id 100
  ip link set enp0s8.100 up
  ip link add link enp0s8 name enp0s8.200 type vlan id 200
  ip link set enp0s8.200 up
  ip addr add 172.16.100.1/24 dev enp0s8.100
  ip addr add 172.16.200.1/24 dev enp0s8.200
  mkdir -p /run/mvlab-export/docker-8021q-trunk.gw
  [ -e /run/mvlab-export/docker-8021q-trunk.gw/net.ipv4.ip_forward ] || sysctl -n net.ipv4.ip_forward > /run/mvlab-export/docker-8021q-trunk.gw/net.ipv4.ip_forward
  sysctl -w net.ipv4.ip_forward=1
  ;;
gw:down)
  down_2
  ;;
*) echo "usage: $0 HOST [up|down] (HOST one of: host1 host2 gw)" >&2; exit 2 ;;
esac
