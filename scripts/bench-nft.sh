#!/usr/bin/env bash
# Kernel dataplane benchmark on this host's kernel: requests/s through `shoal director --dataplane nft`
# (VS/NAT and VS/DR), through the userspace director (`--dataplane proxy`) and straight to one real server
# (routed by the director, no balancing), in the namespaces of Tests/DirectorNFTTests/Netns/topology.sh:
# a client, the director and three real servers running nginx (a 4-byte /id), on one switch. wrk runs in
# the client namespace, with keep-alive and with one connection per request (`Connection: close`).
# IPVS is not in this kernel; its figures come from the VM (see BENCHMARKS.md).
#
# Usage: scripts/bench-nft.sh SHOAL_BINARY
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (5s), RUNS (3), BENCH_PREFIX (shn-bench).
# Prints one Markdown row per run and target, then the medians and their ratios to direct.
set -euo pipefail
shoal=$(readlink -f "$1")
threads="${WRK_THREADS:-2}" connections="${WRK_CONNECTIONS:-32}" duration="${WRK_DURATION:-5s}" runs="${RUNS:-3}"
prefix="${BENCH_PREFIX:-shn-bench}"
[ "$(id -u)" = 0 ] || { echo "error: namespaces and nftables need root" >&2; exit 1; }
for tool in nginx wrk ip nft; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install nginx-light wrk iproute2 nftables)" >&2; exit 1; }
done
topology="$(cd "$(dirname "$0")/.." && pwd)/Tests/DirectorNFTTests/Netns/topology.sh"
work="$(mktemp -d /tmp/shoal-bench-nft.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$topology" down "$prefix"
    rm -rf "$work"
}
trap cleanup EXIT
"$topology" up "$prefix" "$shoal"
for i in 1 2 3; do
    mkdir -p "$work/r$i"
    cat > "$work/r$i/nginx.conf" <<CONF
user root;
pid $work/r$i/nginx.pid;
error_log $work/r$i/error.log;
master_process off;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/r$i/body;
    proxy_temp_path $work/r$i/proxy;
    fastcgi_temp_path $work/r$i/fastcgi;
    uwsgi_temp_path $work/r$i/uwsgi;
    scgi_temp_path $work/r$i/scgi;
    keepalive_requests 1000000;
    server { listen 8080; location / { return 200 "r$i\n"; } }
}
CONF
    ip netns exec "$prefix-r$i" nginx -c "$work/r$i/nginx.conf" -p "$work/r$i" -g "daemon off;" &
    pids+=($!)
done
cat > "$work/nft.rules" <<'RULES'
-A -t 10.210.1.1:80 -s rr
-a -t 10.210.1.1:80 -r 10.210.2.11:8080 -m
-a -t 10.210.1.1:80 -r 10.210.2.12:8080 -m
-a -t 10.210.1.1:80 -r 10.210.2.13:8080 -m
-A -t 10.210.3.1:8080 -s rr
-a -t 10.210.3.1:8080 -r 10.210.2.11:8080 -g
-a -t 10.210.3.1:8080 -r 10.210.2.12:8080 -g
-a -t 10.210.3.1:8080 -r 10.210.2.13:8080 -g
RULES
cat > "$work/proxy.rules" <<'RULES'
-A -t 10.210.1.1:85 -s rr
-a -t 10.210.1.1:85 -r 10.210.2.11:8080 -m
-a -t 10.210.1.1:85 -r 10.210.2.12:8080 -m
-a -t 10.210.1.1:85 -r 10.210.2.13:8080 -m
RULES
ip netns exec "$prefix-d" "$shoal" director --rules "$work/nft.rules" --dataplane nft --nft-device d0 --log-level warning &
pids+=($!)
ip netns exec "$prefix-d" "$shoal" director --rules "$work/proxy.rules" --log-level warning &
pids+=($!)
wait_http() { for _ in $(seq 1 100); do ip netns exec "$prefix-c" wrk -t1 -c1 -d1s "$1" >/dev/null 2>&1 && \
    ip netns exec "$prefix-c" wrk -t1 -c1 -d1s "$1" 2>/dev/null | grep -q "Requests/sec" && return 0; sleep 0.2; done
    echo "error: $1 does not answer" >&2; return 1; }
declare -A url=([direct]=http://10.210.2.11:8080/id [nft-nat]=http://10.210.1.1:80/id [nft-dr]=http://10.210.3.1:8080/id
    [proxy]=http://10.210.1.1:85/id)
targets=(direct nft-nat nft-dr proxy)
for t in "${targets[@]}"; do wait_http "${url[$t]}"; done
declare -A results=()
echo "| run | mode | target | requests/s |"
echo "|---|---|---|---|"
for run in $(seq 1 "$runs"); do
    for mode in keepalive close; do
        header=()
        [ "$mode" = close ] && header=(-H "Connection: close")
        for t in "${targets[@]}"; do
            rps=$(ip netns exec "$prefix-c" wrk -t"$threads" -c"$connections" -d"$duration" "${header[@]}" "${url[$t]}" \
                | awk '/Requests\/sec/ {print $2}')
            results[$mode-$t]+="$rps "
            echo "| $run | $mode | $t | $rps |"
        done
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| mode | direct | nft NAT | nft DR | userspace proxy | NAT/direct | DR/direct | proxy/direct |"
echo "|---|---|---|---|---|---|---|---|"
for mode in keepalive close; do
    d=$(echo "${results[$mode-direct]}" | median); n=$(echo "${results[$mode-nft-nat]}" | median)
    r=$(echo "${results[$mode-nft-dr]}" | median); p=$(echo "${results[$mode-proxy]}" | median)
    printf '| %s | %s | %s | %s | %s | %.2f | %.2f | %.2f |\n' "$mode" "$d" "$n" "$r" "$p" \
        "$(echo "$n / $d" | bc -l)" "$(echo "$r / $d" | bc -l)" "$(echo "$p / $d" | bc -l)"
done
echo
echo "wrk -t$threads -c$connections -d$duration [-H 'Connection: close'] URL, $runs runs, medians; $(nproc) cores, kernel $(uname -r)"
