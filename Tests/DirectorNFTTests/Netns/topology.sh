#!/bin/bash
# The nftables dataplane's test network, in namespaces named PREFIX-{sw,c,d,r1,r2,r3}:
#   one switch (a bridge in PREFIX-sw) joins the client, the director and three real servers.
#   client   c0  10.210.1.2/24 (+ 10.210.1.10-17 for source hashing), default via the director
#   director d0  10.210.1.1/24 and 10.210.2.1/24, forwarding on; the NAT VIP is 10.210.1.1
#   real i   e0  10.210.2.1i/24, default via the director; the VS/DR VIP 10.210.3.1 on lo
#            (shoal realserver-setup --method dr --apply), a web server on :8080 answering "ri"
# Usage: topology.sh up PREFIX SHOAL   |   topology.sh down PREFIX
set -euo pipefail
cmd=$1 prefix=$2
sw=$prefix-sw c=$prefix-c d=$prefix-d

down() {
    for ns in $c $d $prefix-r1 $prefix-r2 $prefix-r3 $sw; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

if [ "$cmd" = down ]; then down; exit 0; fi
shoal=$3
down
for ns in $sw $c $d $prefix-r1 $prefix-r2 $prefix-r3; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n $sw link add br0 type bridge
ip -n $sw link set br0 up
# One veth per host: the host's end named $2 in its namespace, the switch's end p$1 in the bridge.
attach() {
    ip -n $sw link add "p$1" type veth peer name "$2" netns "$3"
    ip -n $sw link set "p$1" master br0 up
    ip -n "$3" link set "$2" up
}
attach c c0 $c
attach d d0 $d
ip -n $c addr add 10.210.1.2/24 dev c0
for i in $(seq 10 17); do ip -n $c addr add 10.210.1.$i/24 dev c0; done
ip -n $c route add default via 10.210.1.1
ip -n $d addr add 10.210.1.1/24 dev d0
ip -n $d addr add 10.210.2.1/24 dev d0
ip netns exec $d sysctl -qw net.ipv4.ip_forward=1
ip netns exec $d sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec $d sysctl -qw net.ipv4.conf.d0.rp_filter=0
# The director is the router: no redirects telling hosts on the shared segment to talk directly.
ip netns exec $d sysctl -qw net.ipv4.conf.all.send_redirects=0
ip netns exec $d sysctl -qw net.ipv4.conf.d0.send_redirects=0
for i in 1 2 3; do
    r=$prefix-r$i
    attach r$i e0 $r
    ip -n $r addr add 10.210.2.1$i/24 dev e0
    ip -n $r route add default via 10.210.2.1
    ip netns exec $r "$shoal" realserver-setup --method dr 10.210.3.1 --apply >/dev/null
done
