#!/bin/sh
# mvlab design docker-8021q-trunk: docker commands (run each container from an image with iproute2 and nft).
# Run on each host, as root: sh THIS_FILE HOST up (again to rebuild), sh THIS_FILE HOST down
# (down removes what up made, and leaves the NICs up).
set -eu
down_0() {
  docker rm -f c2 2>/dev/null || true
  docker rm -f c1 2>/dev/null || true
  docker network rm mac200 2>/dev/null || true
  docker network rm mac100 2>/dev/null || true
  true
}
down_1() {
  docker rm -f c4 2>/dev/null || true
  docker rm -f c3 2>/dev/null || true
  docker network rm mac200 2>/dev/null || true
  docker network rm mac100 2>/dev/null || true
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
  docker network create -d macvlan --subnet 172.16.100.0/24 --gateway 172.16.100.1 -o parent=enp0s8.100 -o macvlan_mode=bridge mac100
  docker network create -d macvlan --subnet 172.16.200.0/24 --gateway 172.16.200.1 -o parent=enp0s8.200 -o macvlan_mode=bridge mac200
  ip link set enp0s8 up
  # container c1
  docker run -d --name c1 --network mac100 --ip 172.16.100.2 --mac-address 02:42:ac:10:64:02 --cap-add NET_ADMIN "${MVLAB_IMAGE:-alpine:3.20}" sleep infinity
  docker exec c1 ip route replace default via 172.16.100.1
  # container c2
  docker run -d --name c2 --network mac200 --ip 172.16.200.2 --mac-address 02:42:ac:10:c8:02 --cap-add NET_ADMIN "${MVLAB_IMAGE:-alpine:3.20}" sleep infinity
  docker exec c2 ip route replace default via 172.16.200.1
  ;;
host1:down)
  down_0
  ;;
host2:up)
  # ---- host host2: container c3, container c4 ----
  down_1
  docker network create -d macvlan --subnet 172.16.100.0/24 --gateway 172.16.100.1 -o parent=enp0s8.100 -o macvlan_mode=bridge mac100
  docker network create -d macvlan --subnet 172.16.200.0/24 --gateway 172.16.200.1 -o parent=enp0s8.200 -o macvlan_mode=bridge mac200
  ip link set enp0s8 up
  # container c3
  docker run -d --name c3 --network mac100 --ip 172.16.100.3 --mac-address 02:42:ac:10:64:03 --cap-add NET_ADMIN "${MVLAB_IMAGE:-alpine:3.20}" sleep infinity
  docker exec c3 ip route replace default via 172.16.100.1
  # container c4
  docker run -d --name c4 --network mac200 --ip 172.16.200.3 --mac-address 02:42:ac:10:c8:03 --cap-add NET_ADMIN "${MVLAB_IMAGE:-alpine:3.20}" sleep infinity
  docker exec c4 ip route replace default via 172.16.200.1
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
