# Runs inside the VM (scripts/ipvs-vm.sh): every case with the real ipvsadm and with `shoal ipvsadm`, on the
# same kernel state, each framed for IPVSKernelVMTests to compare.
# Frames: "@@@ BEGIN <case> <tool>", stdout, "@@@ STDERR", stderr, "@@@ END <status>".
SHOAL="/usr/local/bin/shoal ipvsadm"
run() { # case tool command...
    name=$1; tool=$2; shift 2
    "$@" > /tmp/out 2> /tmp/err < /tmp/stdin
    status=$?
    echo "@@@ BEGIN $name $tool"; cat /tmp/out; echo "@@@ STDERR"; cat /tmp/err; echo "@@@ END $status"
}
both() { # case ipvsadm-arguments...: the same arguments to both tools
    name=$1; shift
    run "$name" ipvsadm ipvsadm "$@"
    run "$name" shoal $SHOAL "$@"
}
listings() { # prefix forms...: listings, by both tools (each shoal start costs a second or two under TCG)
    prefix=$1; shift
    for form in "$@"; do
        both "$prefix:$(echo $form | tr ' ' '_')" $form
    done
}
all_listings() { # prefix: every listing form
    listings "$1" "-S -n" "-L -n" "-L -n --stats" "-L -n --exact --stats" "-L -n --rate" "-L -n --thresholds" \
        "-L -n --persistent-conn" "-L -n --tun-info" "-L -n --timeout" "-L -n -c" "-L -n --daemon" "-L -n --nosort"
}
: > /tmp/stdin
cp /rules.txt /tmp/rules.txt
# Names for listings without -n (both tools resolve through glibc's NSS: files only, nothing leaves the VM).
printf '%s\n' 'hosts: files' 'services: files' > /etc/nsswitch.conf
printf '%s\n' '10.0.0.1 vip.example vip' '192.168.1.2 real-two.example' \
    '192.168.1.3 a-very-long-host-name-for-the-third-real-server.cluster.example' \
    '10.0.0.3 sctp-vip.example' '2001:db8::1 vip6.example' '2001:db8::11 real6-b.example' > /etc/hosts
printf '%s\n' 'http 80/tcp www' 'domain 53/tcp' 'domain 53/udp' 'https 443/tcp' 'http-alt 8080/tcp webcache' \
    'sip 5060/udp' 'sip 5060/tcp' 'cslistener 9000/sctp' > /etc/services

# 1. Shoal writes, both read.
cp /tmp/rules.txt /tmp/stdin
run restore-by-shoal shoal $SHOAL -R
: > /tmp/stdin
all_listings shoal-wrote
both list-one-service -L -n -t 10.0.0.1:80
both list-fwmark-service -L -n -f 7
# Without -n: host and service names (and the cuts at 33/28/59 bytes), every listing form that prints addresses.
listings shoal-wrote-names "-L" "-S" "-L --stats" "-L --rate" "-L --thresholds" "-L --persistent-conn" "-L --tun-info" "-L --nosort"
both list-one-service-names -L -t 10.0.0.1:80
both list-no-arguments

# 2. Edits by shoal.
run edits shoal sh -c "$SHOAL -E -t 10.0.0.1:80 -s rr -p 100 && $SHOAL -e -t 10.0.0.1:80 -r 192.168.1.2:80 -g -w 7 -x 20 -y 10 \
  && $SHOAL -d -t 10.0.0.1:80 -r 192.168.1.3:8080 && $SHOAL -D -t 10.0.0.4:80 && $SHOAL -a -t 10.0.0.5:80 -r 192.168.2.1:80 -m \
  && $SHOAL --set 100 20 30 && $SHOAL -Z && $SHOAL -Z -t 10.0.0.1:80"
listings shoal-edited "-S -n" "-L -n --thresholds" "-L -n --timeout" "-L -n --stats"

# 3. Refusals: the same state, the same command, both tools.
both err-service-exists -A -t 10.0.0.1:80 -s rr
both err-delete-missing-service -D -t 10.9.9.9:80
both err-edit-missing-service -E -t 10.9.9.9:80 -s rr
both err-add-server-missing-service -a -t 10.9.9.9:80 -r 192.168.1.1:80
both err-server-exists -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m
both err-edit-missing-server -e -t 10.0.0.1:80 -r 192.168.9.9:80
both err-delete-missing-server -d -t 10.0.0.1:80 -r 192.168.9.9:80
both err-zero-missing-service -Z -t 10.9.9.9:80
both err-unknown-scheduler -A -t 10.0.0.99:80 -s nosuch
both err-scheduler-not-in-kernel -A -t 10.0.0.99:80 -s twos
both err-list-missing-service -L -n -t 10.9.9.9:80
both err-stop-missing-daemon --stop-daemon backup
both err-weight-range -a -t 10.0.0.1:80 -r 192.168.1.9:80 -w -1
# A restore with a refused line: the same input to both tools from the same state.
printf '%s\n' '-A -t 10.0.0.50:80 -s rr' '-A -t 10.0.0.1:80 -s rr' '-A -t 10.0.0.51:80 -s rr' > /tmp/partial.rules
cp /tmp/partial.rules /tmp/stdin
run restore-partial ipvsadm ipvsadm -R
: > /tmp/stdin
run restore-partial-state ipvsadm ipvsadm -S -n
ipvsadm -D -t 10.0.0.50:80 2>/dev/null; ipvsadm -D -t 10.0.0.51:80 2>/dev/null
cp /tmp/partial.rules /tmp/stdin
run restore-partial shoal $SHOAL -R
: > /tmp/stdin
run restore-partial-state shoal ipvsadm -S -n

# Weights above 65535: ipvsadm 1.31 and the kernel take them up to INT_MAX.
run weight-big-by-ipvsadm ipvsadm ipvsadm -a -t 10.0.0.1:80 -r 192.168.1.9:80 -w 70000
both weight-big-list -L -n -t 10.0.0.1:80
run weight-big-delete shoal $SHOAL -d -t 10.0.0.1:80 -r 192.168.1.9:80
run weight-big-by-shoal shoal $SHOAL -a -t 10.0.0.1:80 -r 192.168.1.9:80 -w 2147483647
both weight-biggest-list -L -n -t 10.0.0.1:80
both err-missing-port -A -t 10.0.0.1
both err-bad-address -A -t 10.0.0.300:80

# 4. Sync daemons.
run daemon-start shoal $SHOAL --start-daemon master --mcast-interface lo --syncid 3
both daemon-list -L -n --daemon
both err-daemon-again --start-daemon master --mcast-interface lo --syncid 3
run daemon-stop shoal $SHOAL --stop-daemon master
both daemon-list-after-stop -L -n --daemon

# 5. ipvsadm writes, both read.
ipvsadm -C; ipvsadm --set 900 120 300
cp /tmp/rules.txt /tmp/stdin
run restore-by-ipvsadm ipvsadm ipvsadm -R
: > /tmp/stdin
listings ipvsadm-wrote "-S -n" "-L -n" "-L -n --tun-info"
# Traffic from inside the VM through IPVS (local clients are scheduled too; the dummy device drops the
# packets): the counters both tools read back are the kernel's, not zeros.
# The clients are ended before their SYN's first retransmission (1 s), so each sends one packet.
for i in 1 2 3; do nc 10.0.0.1 80 < /dev/null > /dev/null 2>&1 & done
sleep 0.5
kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
# The kernel folds its per-CPU counters into what it reports every 2 s (the rate estimator's tick).
sleep 3
listings ipvsadm-traffic "-L -n --stats" "-L -n --exact --stats"
# The connection entries those clients left (the expire column cut: a second may pass between the runs).
run connections ipvsadm sh -c "ipvsadm -L -n -c | cut -c1-4,12-"
run connections shoal sh -c "$SHOAL -L -n -c | cut -c1-4,12-"
run connections-names ipvsadm sh -c "ipvsadm -L -c | cut -c1-4,12-"
run connections-names shoal sh -c "$SHOAL -L -c | cut -c1-4,12-"

# 6. Shoal clears.
run clear shoal $SHOAL -C
both empty -L -n

# 7. The director with the kernel dataplane: it replaces what the kernel held, then follows a reload.
wait_for() { # pattern: until ipvsadm -S -n shows it (10 s at most)
    for i in $(seq 1 40); do ipvsadm -S -n | grep -q -- "$1" && return 0; sleep 0.25; done
    return 1
}
printf '%s\n' '-A -t 10.0.0.1:80 -s wrr' '-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3' \
    '-A -u 10.0.0.2:53 -s rr' '-a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 2' > /tmp/director.rules
ipvsadm -A -t 10.0.0.99:80 -s rr
/usr/local/bin/shoal director --rules /tmp/director.rules --dataplane ipvs > /tmp/director.log 2>&1 &
director=$!
wait_for '192.168.1.4:53'
run director-started ipvsadm ipvsadm -S -n
# SIGHUP is handled once the node runs (after "director started"); before that it would end the process.
for i in $(seq 1 40); do grep -q "director started" /tmp/director.log && break; sleep 0.25; done
sleep 2
printf '%s\n' '-A -t 10.0.0.1:80 -s wrr' '-a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 5' '-a -t 10.0.0.1:80 -r 192.168.1.3:80 -m -w 1' \
    '-A -u 10.0.0.2:53 -s rr' '-a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 2' > /tmp/director.rules
kill -HUP $director
wait_for '192.168.1.3:80'
run director-reloaded ipvsadm ipvsadm -S -n
kill -TERM $director
wait $director
# Stopped, it removed the services it installed; with --leave-kernel-rules they stay.
run director-stopped ipvsadm ipvsadm -S -n
/usr/local/bin/shoal director --rules /tmp/director.rules --dataplane ipvs --leave-kernel-rules > /tmp/director-leave.log 2>&1 &
director=$!
for i in $(seq 1 40); do grep -q "director started" /tmp/director-leave.log && break; sleep 0.25; done
kill -TERM $director
wait $director
run director-left ipvsadm ipvsadm -S -n
run director-log shoal cat /tmp/director.log /tmp/director-leave.log

# 8. Real traffic through the kernel's IPVS: a client and two real servers in namespaces joined to this
#    (the director's) namespace by veth pairs; VS/NAT, VS/DR and VS/TUN, real servers prepared by
#    the commands `shoal realserver-setup` prints, busybox httpd answering its name.
IP=/usr/sbin/iproute2-ip
$SHOAL -C
sysctl -qw net.ipv4.ip_forward=1
$IP netns add C
$IP link add dc type veth peer name c0 netns C
$IP addr add 10.1.0.1/24 dev dc; $IP link set dc up
$IP -n C addr add 10.1.0.2/24 dev c0; $IP -n C link set c0 up; $IP -n C link set lo up
$IP -n C route add default via 10.1.0.1
# The DR and TUN VIPs are local here, as on any director (IPVS takes new connections in LOCAL_IN). The real
# servers' answers (source: the VIP) come back through this namespace, the client's router here, so it must
# accept packets from one of its own addresses (in production a separate router carries them).
$IP addr add 10.9.0.1/32 dev lo; $IP addr add 10.9.0.2/32 dev lo
sysctl -qw net.ipv4.conf.all.accept_local=1
sysctl -qw net.ipv4.conf.all.rp_filter=0
for i in 1 2; do
    $IP netns add R$i
    $IP link add dr$i type veth peer name e0 netns R$i
    $IP addr add 10.2.$i.1/24 dev dr$i; $IP link set dr$i up
    sysctl -qw net.ipv4.conf.dr$i.accept_local=1; sysctl -qw net.ipv4.conf.dr$i.rp_filter=0
    $IP -n R$i addr add 10.2.$i.2/24 dev e0; $IP -n R$i link set e0 up; $IP -n R$i link set lo up
    $IP -n R$i route add default via 10.2.$i.1
    # The commands shoal prints, run by the shell (Foundation's Process cannot start children in the VM).
    /usr/local/bin/shoal realserver-setup --method dr 10.9.0.1 > /tmp/setup-dr
    /usr/local/bin/shoal realserver-setup --method tun 10.9.0.2 > /tmp/setup-tun
    $IP netns exec R$i sh /tmp/setup-dr > /dev/null
    $IP netns exec R$i sh /tmp/setup-tun > /dev/null
    mkdir -p /tmp/www$i; echo r$i > /tmp/www$i/id
    $IP netns exec R$i httpd -p 8080 -h /tmp/www$i
    $IP netns exec R$i httpd -p 80 -h /tmp/www$i
done
$SHOAL -R < /traffic.rules
fetch() { # vip count: the name of the server answering each of COUNT new connections, one line
    # busybox nc (its wget resolves through NSS, which the static binary cannot load here).
    for i in $(seq 1 $2); do printf 'GET /id HTTP/1.0\r\n\r\n' | $IP netns exec C nc -w 5 $1 80 | tail -1 || echo fail; done | tr '\n' ' '
    echo
}
run traffic-nat shoal fetch 10.1.0.1 6
run traffic-dr shoal fetch 10.9.0.1 6
run traffic-tun shoal fetch 10.9.0.2 6
run traffic-stats ipvsadm ipvsadm -L -n --stats
run traffic-table ipvsadm ipvsadm -S -n
run traffic-neigh shoal sh -c "$IP neigh; $IP route; for i in 1 2; do $IP -n R\$i addr; $IP netns exec R\$i sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.rp_filter net.ipv4.conf.e0.rp_filter; done"

# 9. State sync from the kernel: its master sync daemon (IPVS sync protocol v1, multicast 224.0.0.81:8848 out of
#    the veth `sy`, sync id 9) tells `shoal director` in namespace S (a backup: no VRRP instance is master) about
#    the connections of a persistent service, and Shoal installs the persistence templates in its own table.
$IP netns add S
$IP link add sy type veth peer name s0 netns S
$IP addr add 10.3.0.1/24 dev sy; $IP link set sy up
$IP -n S addr add 10.3.0.2/24 dev s0; $IP -n S link set s0 up; $IP -n S link set lo up
# The service's VIP is not local in S: the backup's listener binds it anyway, as a real backup director's would.
$IP netns exec S sysctl -qw net.ipv4.ip_nonlocal_bind=1
printf '%s\n' 'director:' '  admin: {listen: "127.0.0.1:9000"}' 'services:' '  - name: sticky' '    listen: "10.1.0.1:81"' \
    '    scheduler: rr' '    persistence: {timeout: 300}' '    servers: [{address: "10.2.1.2:8080"}, {address: "10.2.2.2:8080"}]' \
    'failover:' '  instances: []' '  sync: {interface: s0, sync_id: 9}' > /tmp/sync-backup.yaml
$IP netns exec S /usr/local/bin/shoal director --config /tmp/sync-backup.yaml > /tmp/sync-backup.log 2>&1 &
syncbackup=$!
for i in $(seq 1 120); do grep -q "director started" /tmp/sync-backup.log && break; sleep 0.5; done
ipvsadm -A -t 10.1.0.1:81 -s rr -p 300
ipvsadm -a -t 10.1.0.1:81 -r 10.2.1.2:8080 -m
ipvsadm -a -t 10.1.0.1:81 -r 10.2.2.2:8080 -m
run sync-daemon-start ipvsadm ipvsadm --start-daemon master --mcast-interface sy --syncid 9
# A second client namespace, so that two clients hold two templates (rr: one on each real server).
$IP netns add C2
$IP link add dc2 type veth peer name c0 netns C2
$IP addr add 10.1.1.1/24 dev dc2; $IP link set dc2 up
$IP -n C2 addr add 10.1.1.2/24 dev c0; $IP -n C2 link set c0 up; $IP -n C2 link set lo up
$IP -n C2 route add default via 10.1.1.1
for client in C C2 C C2; do printf 'GET /id HTTP/1.0\r\n\r\n' | $IP netns exec $client nc -w 5 10.1.0.1 81 > /dev/null; done
# Shoal's table through its admin API (POST /api/ipvsadm, what `shoal ipvsadm --director` sends), by busybox nc.
shoal_connections() {
    body='{"args": ["-L", "-n", "-c"]}'
    printf 'POST /api/ipvsadm HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#body} "$body" \
        | $IP netns exec S nc -w 5 127.0.0.1 9000 | tr -d '\r' | sed '1,/^$/d'
}
# The kernel flushes its sync buffer within about 2 s.
for i in $(seq 1 60); do
    listing=$(shoal_connections)
    echo "$listing" | grep -q ' 10.1.0.2:0 ' && echo "$listing" | grep -q ' 10.1.1.2:0 ' && break
    sleep 1
done
run sync-kernel-connections ipvsadm sh -c "ipvsadm -L -n -c | cut -c1-4,12-"
shoal_connections_cut() { shoal_connections | cut -c1-4,12-; }
run sync-shoal-connections shoal shoal_connections_cut
shoal_failover() { printf 'GET /api/failover HTTP/1.0\r\n\r\n' | $IP netns exec S nc -w 5 127.0.0.1 9000 | tr -d '\r' | sed '1,/^$/d'; }
run sync-shoal-counters shoal shoal_failover
kill -TERM $syncbackup
wait $syncbackup
run sync-daemon-stop ipvsadm ipvsadm --stop-daemon master
run sync-backup-log shoal cat /tmp/sync-backup.log

# 10. State sync to a kernel: `shoal director --dataplane ipvs` with a VRRP instance alone on `sy` becomes master
#     and starts this kernel's master sync daemon through netlink (keepalived's lvs_sync_daemon); the kernel of
#     namespace S runs a backup daemon (started by ipvsadm) and receives the connections of the persistent service
#     Shoal installed in this kernel, templates included. Stopped, the director stops the daemon it started.
$IP netns exec S ipvsadm --start-daemon backup --mcast-interface s0 --syncid 10
printf '%s\n' 'director:' '  admin: {listen: "127.0.0.1:9001"}' 'services:' '  - name: sticky' '    listen: "10.1.0.1:82"' \
    '    scheduler: rr' '    persistence: {timeout: 300}' '    servers: [{address: "10.2.1.2:8080"}, {address: "10.2.2.2:8080"}]' \
    'failover:' '  instances:' '    - name: VI_1' '      interface: sy' '      virtual_router_id: 60' '      priority: 200' \
    '      advert_interval: 0.1' '      virtual_addresses: ["10.3.0.100/24"]' '  sync: {interface: sy, sync_id: 10}' > /tmp/sync-master.yaml
/usr/local/bin/shoal director --config /tmp/sync-master.yaml --dataplane ipvs > /tmp/sync-master.log 2>&1 &
syncmaster=$!
for i in $(seq 1 120); do ipvsadm -L -n --daemon | grep -q "master sync daemon" && break; sleep 0.5; done
run sync-to-kernel-daemon ipvsadm ipvsadm -L -n --daemon
for client in C C2 C C2; do printf 'GET /id HTTP/1.0\r\n\r\n' | $IP netns exec $client nc -w 5 10.1.0.1 82 > /dev/null; done
for i in $(seq 1 60); do
    [ "$($IP netns exec S ipvsadm -L -n -c | grep -c ' 10.1.0.1:82 ')" -ge 4 ] && break
    sleep 1
done
run sync-to-kernel-master ipvsadm sh -c "ipvsadm -L -n -c | cut -c1-4,12-"
run sync-to-kernel-backup ipvsadm sh -c "$IP netns exec S ipvsadm -L -n -c | cut -c1-4,12-"
kill -TERM $syncmaster
wait $syncmaster
run sync-to-kernel-stopped ipvsadm ipvsadm -L -n --daemon
$IP netns exec S ipvsadm --stop-daemon backup
run sync-master-log shoal cat /tmp/sync-master.log
