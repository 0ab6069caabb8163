#!/usr/bin/env bash
# Instructions per request of the cache node's 4 KiB memory hit (issue 13), beside the static web node's 4 KiB file
# (the same HTTP layer), counted by valgrind's callgrind the way scripts/profile-web.sh counts the web node: start
# the node under callgrind, warm it up with wrk -t1 -c16 for WARM_SECONDS, zero the counts (callgrind_control -z),
# run wrk for MEASURE_SECONDS, dump, and divide the dumped instructions (all threads) by the requests the node's
# own /metrics counter went up by. Prints a Markdown table; callgrind's files stay in $PROFILE_LOG (default
# /tmp/profile-cache) for callgrind_annotate. ROWS (default "cache web") picks the rows.
# Usage: scripts/profile-cache.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=${1:?usage: scripts/profile-cache.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]}
WARM=${2:-10}
MEASURE=${3:-20}
LOG=${PROFILE_LOG:-/tmp/profile-cache}
ROWS=${ROWS:-cache web}
NET=127.0.186
for tool in valgrind:valgrind wrk:wrk curl:curl nginx:nginx-light gcc:gcc objcopy:binutils; do
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} not found: apt-get install -y ${tool##*:}" >&2; exit 1; }
done
rm -rf "$LOG"
mkdir -p "$LOG/root" "$LOG/origin" "$LOG/store"
source scripts/valgrind-prepare.sh  # (the script runs from the repository root)
valgrind_prepare "$LOG" "$SHOAL"
SHOAL="$LOG/shoal"
head -c 4096 /dev/urandom >"$LOG/root/4k.bin"
cat >"$LOG/origin/nginx.conf" <<CONF
user root;
pid $LOG/origin/nginx.pid;
error_log $LOG/origin/error.log;
master_process off;
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $LOG/origin/body; proxy_temp_path $LOG/origin/proxy; fastcgi_temp_path $LOG/origin/fastcgi;
    uwsgi_temp_path $LOG/origin/uwsgi; scgi_temp_path $LOG/origin/scgi;
    default_type application/octet-stream;
    server { listen $NET.1:18680; root $LOG/root; add_header Cache-Control "max-age=3600"; }
}
CONF
cat >"$LOG/cache.yaml" <<CONF
name: profile
http: { listen: "$NET.2:18681" }
admin: { listen: "$NET.2:18691" }
origin: { servers: ["$NET.1:18680"] }
store: { directory: $LOG/store, memory_bytes: 268435456, memory_object_limit: 1048576 }
limits: { connections: 10000 }
CONF
cat >"$LOG/web.yaml" <<CONF
root: $LOG/root
http: { listen: "$NET.3:18682" }
engine: nio                      # the same HTTP layer as the cache node
admin: { listen: "$NET.3:18692" }
limits: { requests_per_connection: 1000000, connections: 10000 }
cache: { revalidate_ms: 60000 }       # no revalidation during a run: under valgrind it would be every few requests
CONF

nginx -c "$LOG/origin/nginx.conf" -p "$LOG/origin" -g 'daemon off;' &
origin_pid=$!
pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; kill $origin_pid 2>/dev/null || true' EXIT

# served ADMIN METRIC: the node's count of answered requests.
served() { curl -s --noproxy '*' "http://$1/metrics" | awk -v m="$2" '$1 ~ "^"m {n += $2} END {print n + 0}'; }

# run NAME MODE URL ADMIN METRIC: prints "instructions requests" of the measured part of one profiled run.
run() {
    local name=$1 mode=$2 url=$3 admin=$4 metric=$5
    local out="$LOG/$name.callgrind" config="$LOG/cache.yaml"
    [[ "$mode" == web-node ]] && config="$LOG/web.yaml"
    LD_PRELOAD="$LOG/sigsuspend-copy.so" valgrind --tool=callgrind --callgrind-out-file="$out" "$SHOAL" "$mode" \
        --config "$config" >"$LOG/$name.log" 2>&1 &
    pid=$!
    local up=""
    for _ in $(seq 1 600); do
        [[ "$(curl -s --noproxy '*' "$url" | wc -c)" == 4096 ]] && { up=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    [[ -n "$up" ]] || { echo "error: $mode under valgrind did not serve 4k.bin; see $LOG/$name.log" >&2; exit 1; }
    # The cache answers from memory (a hit) from the second request on: check it says so.
    if [[ "$mode" == cache-node ]]; then
        curl -s --noproxy '*' -D - -o /dev/null "$url" | grep -qi '^X-Cache: HIT' || { echo "error: 4k.bin is not a cache hit" >&2; exit 1; }
    fi
    wrk -t1 -c16 -d"${WARM}s" "$url" >"$LOG/$name-warm.wrk"
    local before after
    before=$(served "$admin" "$metric")
    callgrind_control -z "$pid" >/dev/null 2>&1
    wrk -t1 -c16 -d"${MEASURE}s" "$url" >"$LOG/$name.wrk"
    callgrind_control -d "$pid" >/dev/null 2>&1
    after=$(served "$admin" "$metric")
    stop
    grep -q "Non-2xx" "$LOG/$name.wrk" && { echo "error: non-2xx answers in $LOG/$name.wrk" >&2; exit 1; }
    echo "$(awk '/^summary:/ {print $2; exit}' "$out.1") $((after - before))"
}

echo "Instructions per request (callgrind, all threads, after a ${WARM} s warm-up), wrk -t1 -c16 for ${MEASURE} s, keep-alive; binary: $1"
echo
echo "| row | instructions / request | requests measured |"
echo "|---|---:|---:|"
for row in $ROWS; do
    case "$row" in
        cache) read -r instructions requests <<<"$(run cache cache-node "http://$NET.2:18681/4k.bin" "$NET.2:18691" shoal_cache_requests_total)"
               name="cache node, 4 KiB memory hit" ;;
        web) read -r instructions requests <<<"$(run web web-node "http://$NET.3:18682/4k.bin" "$NET.3:18692" shoal_web_requests_total)"
             name="web node, 4 KiB file (same HTTP layer)" ;;
    esac
    echo "| $name | $(awk -v i="$instructions" -v r="$requests" 'BEGIN {printf "%.0f", (r > 0 ? i / r : 0)}') | $requests |"
done
echo
echo "callgrind output: $LOG (callgrind_annotate --inclusive=yes FILE)"
