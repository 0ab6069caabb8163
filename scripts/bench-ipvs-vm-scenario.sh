# Runs inside the VM that scripts/bench-ipvs-vm.sh boots (scripts/ipvs-vm.sh, Debian's kernel under TCG):
#  1. the time to apply a 10,000-server table (/table.rules) with `ipvsadm -R` and with `shoal ipvsadm -R`,
#     interleaved, each checked by `ipvsadm -S -n` (and the two saves compared), the table cleared after each;
#  2. requests/s with wrk through kernel IPVS (VS/NAT, VS/DR), the nftables dataplane (`shoal director
#     --dataplane nft`, VS/NAT and VS/DR), the userspace director, and straight to one real server, all in
#     one network of namespaces in this one boot, interleaved per run.
# Prints "@@@ APPLY <run> <tool> <centiseconds> <saved lines>" and "@@@ RPS <run> <mode> <target> <requests/s>".
# /bench.env sets RUNS, WRK_DURATION, WRK_CONNECTIONS.
. /bench.env
IP=/usr/sbin/iproute2-ip
export PATH=$PATH:/usr/bin
SHOAL=/usr/local/bin/shoal
now() { read up idle < /proc/uptime; echo "${up%.*}${up#*.}"; }  # centiseconds since boot
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
printf '%s\n' 'root:x:0:' > /etc/group
printf '%s\n' 'hosts: files' 'services: files' > /etc/nsswitch.conf

# 1. Applying 10,000 servers.
lines=$(wc -l < /table.rules)
for run in $(seq 1 "$RUNS"); do
    for tool in ipvsadm shoal; do
        ipvsadm -C
        if [ $tool = ipvsadm ]; then
            start=$(now); ipvsadm -R < /table.rules; status=$?; end=$(now)
        else
            start=$(now); $SHOAL ipvsadm -R < /table.rules; status=$?; end=$(now)
        fi
        ipvsadm -S -n > /tmp/saved.$tool
        echo "@@@ APPLY $run $tool $((end - start)) $(wc -l < /tmp/saved.$tool) status=$status of=$lines"
    done
    cmp -s /tmp/saved.ipvsadm /tmp/saved.shoal && echo "@@@ SAME $run" || echo "@@@ DIFFERENT $run"
done
# What starting shoal costs under TCG (an empty listing), to read the figures above with.
ipvsadm -C
for run in $(seq 1 "$RUNS"); do
    start=$(now); $SHOAL ipvsadm -L -n > /dev/null; end=$(now)
    echo "@@@ START $run $((end - start))"
done

# 2. Requests/s. One switch (a bridge) joins the client, the director and two real servers:
#   client c0 10.210.1.2/24, default via the director
#   director d0 10.210.1.1/24 + 10.210.2.1/24, forwarding; the IPVS VS/DR VIP 10.210.3.2 on its lo
#   real i e0 10.210.2.1i/24, default via the director; the DR VIPs 10.210.3.1 (nft) and 10.210.3.2 (IPVS)
#   on lo as `shoal realserver-setup --method dr` prints; nginx on :8080 answering "ri".
# nftables NAT needs conntrack, and its hooks then track every connection the director's namespace routes (the
# direct path and the userspace proxy's sockets too); the default table of a 1 GiB VM fills with TIME_WAIT entries
# within a `Connection: close` run and drops new SYNs (one retransmission, 1 s, each). A director doing NAT with
# conntrack raises the limit; so does this one.
sysctl -qw net.netfilter.nf_conntrack_max=1048576 || echo "conntrack limit not raised"
for ns in sw c d r1 r2; do $IP netns add $ns; $IP -n $ns link set lo up; done
$IP -n sw link add br0 type bridge; $IP -n sw link set br0 up
attach() { # switch-port host-device namespace
    $IP -n sw link add "p$1" type veth peer name "$2" netns "$3"
    $IP -n sw link set "p$1" master br0 up
    $IP -n "$3" link set "$2" up
}
attach c c0 c; attach d d0 d
$IP -n c addr add 10.210.1.2/24 dev c0; $IP -n c route add default via 10.210.1.1
$IP -n d addr add 10.210.1.1/24 dev d0; $IP -n d addr add 10.210.2.1/24 dev d0; $IP -n d addr add 10.210.3.2/32 dev lo
for s in ip_forward conf.all.rp_filter conf.d0.rp_filter conf.all.send_redirects conf.d0.send_redirects conf.all.accept_local conf.d0.accept_local; do
    case $s in ip_forward|*accept_local) v=1 ;; *) v=0 ;; esac
    $IP netns exec d sysctl -qw net.ipv4.$s=$v
done
$SHOAL realserver-setup --method dr 10.210.3.1 > /tmp/setup-dr1
$SHOAL realserver-setup --method dr 10.210.3.2 > /tmp/setup-dr2
for i in 1 2; do
    attach r$i e0 r$i
    $IP -n r$i addr add 10.210.2.1$i/24 dev e0; $IP -n r$i route add default via 10.210.2.1
    $IP netns exec r$i sh /tmp/setup-dr1 > /dev/null; $IP netns exec r$i sh /tmp/setup-dr2 > /dev/null
    mkdir -p /tmp/r$i /var/log/nginx /var/lib/nginx
    cat > /tmp/r$i/nginx.conf <<CONF
user root;
pid /tmp/r$i/nginx.pid;
error_log /tmp/r$i/error.log;
master_process off;
daemon on;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path /tmp/r$i/body;
    proxy_temp_path /tmp/r$i/proxy;
    fastcgi_temp_path /tmp/r$i/fastcgi;
    uwsgi_temp_path /tmp/r$i/uwsgi;
    scgi_temp_path /tmp/r$i/scgi;
    keepalive_requests 1000000;
    server { listen 8080; location / { return 200 "r$i\n"; } }
}
CONF
    $IP netns exec r$i nginx -c /tmp/r$i/nginx.conf -p /tmp/r$i || cat /tmp/r$i/error.log
done
printf '%s\n' '-A -t 10.210.1.1:81 -s rr' '-a -t 10.210.1.1:81 -r 10.210.2.11:8080 -m' '-a -t 10.210.1.1:81 -r 10.210.2.12:8080 -m' \
    '-A -t 10.210.3.2:8080 -s rr' '-a -t 10.210.3.2:8080 -r 10.210.2.11:8080 -g' '-a -t 10.210.3.2:8080 -r 10.210.2.12:8080 -g' > /tmp/ipvs.rules
$IP netns exec d ipvsadm -R < /tmp/ipvs.rules
printf '%s\n' '-A -t 10.210.1.1:80 -s rr' '-a -t 10.210.1.1:80 -r 10.210.2.11:8080 -m' '-a -t 10.210.1.1:80 -r 10.210.2.12:8080 -m' \
    '-A -t 10.210.3.1:8080 -s rr' '-a -t 10.210.3.1:8080 -r 10.210.2.11:8080 -g' '-a -t 10.210.3.1:8080 -r 10.210.2.12:8080 -g' > /tmp/nft.rules
printf '%s\n' '-A -t 10.210.1.1:85 -s rr' '-a -t 10.210.1.1:85 -r 10.210.2.11:8080 -m' '-a -t 10.210.1.1:85 -r 10.210.2.12:8080 -m' > /tmp/proxy.rules
$IP netns exec d $SHOAL director --rules /tmp/nft.rules --dataplane nft --nft-device d0 --log-level warning > /tmp/nft.log 2>&1 &
nftdirector=$!
$IP netns exec d $SHOAL director --rules /tmp/proxy.rules --log-level warning > /tmp/proxy.log 2>&1 &
proxydirector=$!
url() {
    case $1 in
        direct) echo http://10.210.2.11:8080/id ;;
        ipvs-nat) echo http://10.210.1.1:81/id ;;
        ipvs-dr) echo http://10.210.3.2:8080/id ;;
        nft-nat) echo http://10.210.1.1:80/id ;;
        nft-dr) echo http://10.210.3.1:8080/id ;;
        proxy) echo http://10.210.1.1:85/id ;;
    esac
}
targets="direct ipvs-nat ipvs-dr nft-nat nft-dr proxy"
# Each target must answer (and both real servers must be reached) before anything is timed: 120 s at most.
for t in $targets; do
    ok=""
    for i in $(seq 1 240); do
        if $IP netns exec c wrk -t1 -c1 -d1s "$(url $t)" 2>/dev/null | grep -q "Requests/sec"; then ok=1; break; fi
        sleep 0.5
    done
    echo "@@@ READY $t ${ok:-no}"
done
for t in $targets; do
    seen=$(for i in 1 2 3 4; do printf 'GET /id HTTP/1.0\r\n\r\n' | $IP netns exec c nc -w 10 $(url $t | sed 's#http://##; s#/id##; s#:# #') | tail -1; done | sort -u | tr '\n' ' ')
    echo "@@@ SERVERS $t $seen"
done
for run in $(seq 1 "$RUNS"); do
    for mode in keepalive close; do
        for t in $targets; do
            if [ $mode = close ]; then
                rps=$($IP netns exec c wrk -t1 -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" -H "Connection: close" "$(url $t)" | busybox awk '/Requests\/sec/ {print $2}')
            else
                rps=$($IP netns exec c wrk -t1 -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" "$(url $t)" | busybox awk '/Requests\/sec/ {print $2}')
            fi
            echo "@@@ RPS $run $mode $t ${rps:-0}"
        done
    done
done
$IP netns exec d ipvsadm -L -n --stats
echo "@@@ CONNTRACK max $(cat /proc/sys/net/netfilter/nf_conntrack_max) in d $($IP netns exec d cat /proc/sys/net/netfilter/nf_conntrack_count) table-full $(dmesg | grep -c "table full") $(dmesg | grep -i conntrack | tail -2 | tr "\n" " ")"
kill $nftdirector $proxydirector
wait $nftdirector $proxydirector 2>/dev/null
cat /tmp/nft.log /tmp/proxy.log
