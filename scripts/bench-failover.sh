#!/usr/bin/env bash
# Failover benchmark: time from SIGKILL of the VRRP master to the first client request answered through the
# backup, measured by a client loop (a new HTTP GET every 10 ms, 50 ms connect and 200 ms read timeouts) in its own network
# namespace. The backup is Shoal (`shoal director` with a failover: block, proxying to a web server) or
# keepalived 2.2, at the same advert interval and priorities; the master is keepalived in both cases, killed with
# SIGKILL (its VRRP process) and its VIP removed as its host's death would.
# The kill is timed to the master's advert: a watcher in the client's namespace kills it as soon as it sees one,
# so every run measures the whole master-down interval (the worst case; a random kill time would subtract a
# random part of one advert interval and hide the routers' own differences in that noise).
# Shoal and keepalived alternate run by run (interleaved), so both see the same machine load.
#
# Usage: scripts/bench-failover.sh SHOAL_BINARY
# Environment: BENCH_KEEP=1 keeps the work directory (logs), RUNS (5 per case), INTERVALS ("0.3 0.5": advert intervals in seconds), PRIORITIES ("150/100 254/253":
# master/backup priority pairs), BACKUPS ("shoal keepalived").
# Namespaces are named shfo-bench-*; all are removed on exit.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$1"
runs="${RUNS:-5}"
priorities="${PRIORITIES:-150/100 254/253}"
intervals="${INTERVALS:-0.3 0.5}"
backups="${BACKUPS:-shoal keepalived}"
for tool in keepalived python3 ip; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install keepalived python3 iproute2)" >&2; exit 1; }
done
[ -x "$shoal" ] || { echo "error: $shoal is not an executable (build it: swift build -c release --product shoal)" >&2; exit 1; }
work="$(mktemp -d /tmp/shfo-bench.XXXXXX)"
tag="b$$"
ns_br="shfo-bench-$tag-br" ns_a="shfo-bench-$tag-a" ns_b="shfo-bench-$tag-b" ns_c="shfo-bench-$tag-c"
pids=()
cleanup() {
    for f in "$work"/*.vrrp.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do { wait "$pid"; } 2>/dev/null || true; done
    for ns in "$ns_br" "$ns_a" "$ns_b" "$ns_c"; do ip netns del "$ns" 2>/dev/null || true; done
    [ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

for ns in "$ns_br" "$ns_a" "$ns_b" "$ns_c"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$ns_br" link add br0 type bridge mcast_snooping 0
ip -n "$ns_br" link set br0 up
i=0
for ns in "$ns_a" "$ns_b" "$ns_c"; do
    i=$((i + 1))
    ip -n "$ns_br" link add "p$i" type veth peer name eth0 netns "$ns"
    ip -n "$ns_br" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.220.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
done
vip=10.220.0.100
for host in A B; do mkdir -p "$work/www-$host"; echo "$host" > "$work/www-$host/index.html"; done
# Host a: the backup (either router) answers A; host b: the master (keepalived) answers B.
ip netns exec "$ns_a" python3 -m http.server 80 --bind 0.0.0.0 --directory "$work/www-A" >/dev/null 2>&1 & pids+=($!)
ip netns exec "$ns_a" python3 -m http.server 8081 --bind 127.0.0.1 --directory "$work/www-A" >/dev/null 2>&1 & pids+=($!)
ip netns exec "$ns_b" python3 -m http.server 80 --bind 0.0.0.0 --directory "$work/www-B" >/dev/null 2>&1 & pids+=($!)

cat > "$work/client.py" <<'PY'
import socket, sys, time
vip, want, limit = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
deadline = time.time() + limit
while time.time() < deadline:
    try:
        s = socket.create_connection((vip, 80), timeout=0.05)
        s.settimeout(0.2)  # an answer takes milliseconds; a request the dying master accepted never gets one
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        s.close()
        if data.rstrip().endswith(want):
            print("%.3f" % time.time()); sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit(1)
PY

# Kills PID as soon as an advert from SOURCE arrives (joined to 224.0.0.18 on eth0); prints the time of the kill.
cat > "$work/killer.py" <<'PY'
import os, signal, socket, struct, sys, time
source, pid, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("=4s4si", socket.inet_aton("224.0.0.18"), socket.inet_aton("0.0.0.0"), socket.if_nametoindex("eth0")))
s.settimeout(limit)
while True:
    packet, (sender, _) = s.recvfrom(2048)
    if sender == source:
        os.kill(pid, signal.SIGKILL)
        print("%.6f" % time.time())
        break
PY

keepalived_conf() { # name priority interval
    cat > "$work/$1.conf" <<CONF
global_defs {
  router_id $1
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $2
  advert_int $3
  virtual_ipaddress {
    $vip/24 dev eth0
  }
}
CONF
}
start_keepalived() { # ns name priority interval
    keepalived_conf "$2" "$3" "$4"
    ip netns exec "$1" keepalived -n -l -P --dont-respawn -f "$work/$2.conf" -p "$work/$2.pid" -r "$work/$2.vrrp.pid" \
        -c "$work/$2.chk.pid" >"$work/$2.log" 2>&1 &
    pids+=($!)
}
start_shoal() { # priority interval
    cat > "$work/shoal.yaml" <<YAML
services:
  - name: web
    listen: "0.0.0.0:8080"
    servers: [{address: "127.0.0.1:8081"}]
failover:
  instances:
    - {name: VI_1, interface: eth0, virtual_router_id: 51, priority: $1, advert_interval: $2, virtual_addresses: ["$vip/24"]}
YAML
    ip netns exec "$ns_a" "$shoal" director --config "$work/shoal.yaml" --log-level warning >"$work/shoal.log" 2>&1 &
    shoal_pid=$!
    pids+=($shoal_pid)
}
wait_answer() { # letter
    ip netns exec "$ns_c" python3 "$work/client.py" "$vip" "$1" 30 >/dev/null
}
has_vip() { ip -n "$1" -br addr show dev eth0 | grep -q "$vip"; }

results="$work/results.txt"
: > "$results"
for interval in $intervals; do
    for pair in $priorities; do
        master_priority=${pair%/*} backup_priority=${pair#*/}
        for run in $(seq 1 "$runs"); do
            for backup in $backups; do
                start_keepalived "$ns_b" "master-$run" "$master_priority" "$interval"
                if [ "$backup" = shoal ]; then start_shoal "$backup_priority" "$interval"; else start_keepalived "$ns_a" "backup-$run" "$backup_priority" "$interval"; fi
                wait_answer B
                # The backup must have heard the master before the kill (its own VIP absent).
                for _ in $(seq 1 50); do has_vip "$ns_a" || break; sleep 0.1; done
                sleep 1
                ip netns exec "$ns_c" python3 "$work/client.py" "$vip" A 30 > "$work/answered" &
                client=$!
                sleep 0.2
                ip netns exec "$ns_c" python3 "$work/killer.py" 10.220.0.2 "$(cat "$work/master-$run.vrrp.pid")" 10 > "$work/killed"
                ip -n "$ns_b" addr del "$vip/24" dev eth0 2>/dev/null || true
                wait "$client"
                answered=$(cat "$work/answered") killed=$(cat "$work/killed")
                echo "$interval $pair $backup $(python3 -c "print('%.3f' % ($answered - $killed))")" | tee -a "$results"
                # Tear down this run's routers.
                for f in "$work"/*.vrrp.pid; do [ -f "$f" ] || continue; kill -9 "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
                [ "$backup" = shoal ] && { kill -9 "$shoal_pid" 2>/dev/null || true; wait "$shoal_pid" 2>/dev/null || true; }
                sleep 0.5
                ip -n "$ns_a" addr del "$vip/24" dev eth0 2>/dev/null || true
                ip -n "$ns_b" addr del "$vip/24" dev eth0 2>/dev/null || true
            done
        done
    done
done

echo
echo "| advert interval | priorities master/backup | backup | runs | failover seconds (each run) | median | min-max | RFC 5798 master-down interval |"
echo "|---|---|---|---|---|---|---|---|"
python3 - "$results" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    interval, pair, backup, seconds = line.split()
    rows.setdefault((interval, pair, backup), []).append(float(seconds))
for (interval, pair, backup), values in rows.items():
    priority = int(pair.split("/")[1])
    centis = round(float(interval) * 100)
    down = (3 * centis + (256 - priority) * centis // 256) / 100
    print("| %s s | %s | %s | %d | %s | %.3f | %.3f-%.3f | %.2f s |" % (interval, pair, backup, len(values), ", ".join("%.3f" % v for v in values),
          statistics.median(values), min(values), max(values), down))
PY
echo
echo "command: scripts/bench-failover.sh $shoal (RUNS=$runs INTERVALS=\"$intervals\" PRIORITIES=\"$priorities\" BACKUPS=\"$backups\"); load: $(cut -d' ' -f1-3 /proc/loadavg)"
