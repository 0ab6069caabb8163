#!/usr/bin/env bash
# Cache node (issue 13) against Squid 5.7 (accelerator mode), nginx proxy_cache (one worker) and Varnish, same
# machine, same nginx origin: hit throughput for a 4 KiB and a 100 KiB object (wrk -t2 -c$CONNECTIONS), miss
# throughput (every request a new URL, origin on loopback), and ICP query->reply latency p50/p99 for a HIT
# (scripts/icp-latency.py) against Squid's. ROUNDS rounds alternating servers, each server starting with an empty
# cache; every run goes to stderr, a Markdown table of medians (min–max) to stdout; wrk output stays in $BENCH_LOG
# (default /tmp/bench-cache).
# ICP is measured right after the hit rows, before the miss row: the misses (hundreds of thousands of new URLs)
# push the queried object out of Squid's 256 MB memory cache, and leave Shoal's disk writes backed up (see
# BENCHMARKS.md). The URL queried is the key both caches store the object under in accelerator mode
# (http://ORIGIN/4k.bin; origin max-age 3600, so fresh for RFC 2187's 30 s more), and the run fails unless all
# 5000 replies are HIT. A second Shoal node with icp.poll_us: 0 is measured beside the default one.
# Usage: scripts/bench-cache.sh SHOAL_BINARY [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=${1:?usage: scripts/bench-cache.sh SHOAL_BINARY [DURATION] [CONNECTIONS] [ROUNDS]}
DURATION=${2:-10}
CONNECTIONS=${3:-64}
ROUNDS=${4:-3}
BENCH_LOG=${BENCH_LOG:-/tmp/bench-cache}
NET=127.0.185
for tool in wrk:wrk nginx:nginx-light squid:squid varnishd:varnish python3:python3 curl:curl; do
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} not found: apt-get install -y ${tool##*:}" >&2; exit 1; }
done
rm -rf "$BENCH_LOG"
mkdir -p "$BENCH_LOG/root" "$BENCH_LOG/origin" "$BENCH_LOG/nginx-cache/cache" "$BENCH_LOG/squid" "$BENCH_LOG/varnish" "$BENCH_LOG/shoal"
chmod 777 "$BENCH_LOG/squid"
head -c 4096 /dev/urandom >"$BENCH_LOG/root/4k.bin"
head -c 102400 /dev/urandom >"$BENCH_LOG/root/100k.bin"

nginx_conf() { # dir body
    cat <<CONF
user root;
pid $1/nginx.pid;
error_log $1/error.log;
master_process off;
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/body; proxy_temp_path $1/proxy; fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi; scgi_temp_path $1/scgi;
    default_type application/octet-stream;
    keepalive_requests 1000000;
    $2
}
CONF
}
nginx_conf "$BENCH_LOG/origin" "server { listen $NET.1:18580; root $BENCH_LOG/root; add_header Cache-Control \"max-age=3600\"; }" \
    >"$BENCH_LOG/origin/nginx.conf"
nginx_conf "$BENCH_LOG/nginx-cache" "proxy_cache_path $BENCH_LOG/nginx-cache/cache keys_zone=c:16m max_size=1g;
    upstream origin { server $NET.1:18580; keepalive 32; }
    server { listen $NET.4:18583; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\";
             proxy_cache c; proxy_cache_valid 200 1h; } }" >"$BENCH_LOG/nginx-cache/nginx.conf"
cat >"$BENCH_LOG/squid/squid.conf" <<CONF
http_port $NET.3:18582 accel defaultsite=$NET.1:18580 no-vhost
cache_peer $NET.1 parent 18580 0 no-query originserver name=origin
icp_port 18592
udp_incoming_address $NET.3
pid_filename $BENCH_LOG/squid/squid.pid
cache_log $BENCH_LOG/squid/cache.log
access_log none
cache_store_log none
coredump_dir $BENCH_LOG/squid
visible_hostname bench-squid
pinger_enable off
netdb_filename none
http_access allow all
icp_access allow all
cache_mem 256 MB
maximum_object_size_in_memory 1 MB
shutdown_lifetime 0 seconds
CONF
cat >"$BENCH_LOG/shoal/cache.yaml" <<CONF
name: bench
http: { listen: "$NET.2:18581" }
origin: { servers: ["$NET.1:18580"] }
store: { directory: $BENCH_LOG/shoal/store, memory_bytes: 268435456, memory_object_limit: 1048576 }
icp: { listen: "$NET.2:18591" }
limits: { connections: 10000 }
CONF
cat >"$BENCH_LOG/shoal/nopoll.yaml" <<CONF
name: bench-nopoll
http: { listen: "$NET.6:18585" }
origin: { servers: ["$NET.1:18580"] }
store: { directory: $BENCH_LOG/shoal/store-nopoll }
icp: { listen: "$NET.6:18595", poll_us: 0 }
CONF
cat >"$BENCH_LOG/miss.lua" <<'LUA'
counter = 0
request = function()
    counter = counter + 1
    return wrk.format("GET", "/4k.bin?miss=" .. math.random(1, 1000000000) .. "-" .. counter)
end
LUA

nginx -c "$BENCH_LOG/origin/nginx.conf" -p "$BENCH_LOG/origin" -g 'daemon off;' &
origin_pid=$!
pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; kill $origin_pid 2>/dev/null || true' EXIT
start() {
    # Every round starts from an empty cache (the disk stores of Shoal and nginx would otherwise grow round by round).
    rm -rf "$BENCH_LOG/shoal/store" "$BENCH_LOG/nginx-cache/cache"
    mkdir -p "$BENCH_LOG/nginx-cache/cache"
    case "$1" in
        shoal) "$SHOAL" cache-node --config "$BENCH_LOG/shoal/cache.yaml" >"$BENCH_LOG/shoal/log" 2>&1 & port=18581 host=$NET.2 ;;
        squid) squid -N -f "$BENCH_LOG/squid/squid.conf" >"$BENCH_LOG/squid/log" 2>&1 & port=18582 host=$NET.3 ;;
        nginx) nginx -c "$BENCH_LOG/nginx-cache/nginx.conf" -p "$BENCH_LOG/nginx-cache" -g 'daemon off;' & port=18583 host=$NET.4 ;;
        varnish) varnishd -F -n "$BENCH_LOG/varnish" -a "$NET.5:18584" -b "$NET.1:18580" -s malloc,256m -p thread_pools=2 \
                     -p thread_pool_min=5 >"$BENCH_LOG/varnish/log" 2>&1 & port=18584 host=$NET.5 ;;
    esac
    pid=$!
    for _ in $(seq 1 200); do
        [[ "$(curl -s --noproxy '*' "http://$host:$port/4k.bin" | wc -c)" == 4096 ]] && return 0
        sleep 0.1
    done
    echo "error: $1 did not serve 4k.bin" >&2
    exit 1
}

declare -A RESULTS
icp_nopoll() {
    rm -rf "$BENCH_LOG/shoal/store-nopoll"
    "$SHOAL" cache-node --config "$BENCH_LOG/shoal/nopoll.yaml" >"$BENCH_LOG/shoal/nopoll.log" 2>&1 &
    local nopoll=$!
    for _ in $(seq 1 200); do
        [[ "$(curl -s --noproxy '*' "http://$NET.6:18585/4k.bin" | wc -c)" == 4096 ]] && break
        sleep 0.1
    done
    curl -s -o /dev/null "http://$NET.6:18585/4k.bin"
    local line
    line=$(python3 scripts/icp-latency.py "$NET.9" "$NET.6" 18595 "$icp_url" 5000 HIT) \
        || { echo "error: shoal (poll_us 0) did not answer every ICP query HIT: $line" >&2; kill $nopoll; exit 1; }
    echo "round $round shoal-nopoll ICP: $line" >&2
    RESULTS["nopoll|icp50"]+="$(awk '{print $2}' <<<"$line") "
    RESULTS["nopoll|icp99"]+="$(awk '{print $4}' <<<"$line") "
    kill $nopoll; wait $nopoll 2>/dev/null || true
}
ROWS=("4 KiB hit|4k.bin" "100 KiB hit|100k.bin" "4 KiB miss|miss")
for round in $(seq 1 "$ROUNDS"); do
    for server in shoal squid nginx varnish; do
        start "$server"
        curl -s -o /dev/null "http://$host:$port/100k.bin"
        wrk -t2 -c"$CONNECTIONS" -d2s "http://$host:$port/4k.bin" >/dev/null  # warm-up
        for row in "${ROWS[@]}"; do
            IFS='|' read -r name file <<<"$row"
            if [[ "$file" == miss ]] && [[ "$server" == shoal || "$server" == squid ]]; then
                icp_port=$([[ "$server" == shoal ]] && echo 18591 || echo 18592)
                icp_url="http://$NET.1:18580/4k.bin"
                curl -s -o /dev/null "http://$host:$port/4k.bin"
                line=$(python3 scripts/icp-latency.py "$NET.9" "$host" "$icp_port" "$icp_url" 5000 HIT) \
                    || { echo "error: $server did not answer every ICP query HIT: $line" >&2; exit 1; }
                echo "round $round $server ICP: $line" >&2
                RESULTS["$server|icp50"]+="$(awk '{print $2}' <<<"$line") "
                RESULTS["$server|icp99"]+="$(awk '{print $4}' <<<"$line") "
                if [[ "$server" == shoal ]]; then
                    # The same node with icp.poll_us: 0 (its ICP thread sleeps at once after each answer), beside it.
                    icp_nopoll
                fi
            fi
            log="$BENCH_LOG/$server-${file%.bin}-$round.txt"
            if [[ "$file" == miss ]]; then
                wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$BENCH_LOG/miss.lua" "http://$host:$port/" >"$log"
            else
                wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://$host:$port/$file" >"$log"
            fi
            rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$log")
            errors=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {n = $5} END {print s + n + 0}' "$log")
            echo "round $round $server $name: $rps req/s, $errors errors" >&2
            RESULTS["$server|$name"]+="$rps "
        done
        stop
    done
done

stats() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%d (%d–%d)", m, a[1], a[NR]}'; }
echo "Cache hits and misses, wrk -t2 -c$CONNECTIONS -d${DURATION}s on loopback, median of $ROUNDS rounds (min–max), $(nproc) cores"
echo
echo "| row | shoal cache-node req/s | Squid req/s | nginx proxy_cache req/s | Varnish req/s |"
echo "|---|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    name=${row%%|*}
    echo "| $name | $(stats "${RESULTS["shoal|$name"]}") | $(stats "${RESULTS["squid|$name"]}") | $(stats "${RESULTS["nginx|$name"]}") | $(stats "${RESULTS["varnish|$name"]}") |"
done
echo
echo "| ICP query→reply (every reply HIT, checked), 5000 sequential queries | shoal µs | shoal, poll_us 0 µs | Squid µs |"
echo "|---|---:|---:|---:|"
echo "| p50 | $(stats "${RESULTS["shoal|icp50"]}") | $(stats "${RESULTS["nopoll|icp50"]}") | $(stats "${RESULTS["squid|icp50"]}") |"
echo "| p99 | $(stats "${RESULTS["shoal|icp99"]}") | $(stats "${RESULTS["nopoll|icp99"]}") | $(stats "${RESULTS["squid|icp99"]}") |"
echo
echo "wrk output: $BENCH_LOG"
