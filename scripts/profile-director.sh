#!/usr/bin/env bash
# Instructions per proxied connection of the userspace director (issue 19), counted by valgrind's callgrind,
# which repeat to within a few percent on a loaded machine where requests/s do not. Side by side with HAProxy
# (mode tcp, one thread) under the same callgrind, in front of the same nginx serving a 4 KiB file.
# Rows: one connection per request (`Connection: close`; per connection = per request) and keep-alive.
# Each row starts the proxy under callgrind, warms it up with wrk for WARM_SECONDS, zeroes the counts
# (callgrind_control -z), runs wrk -t1 -c16 for MEASURE_SECONDS, dumps (callgrind_control -d) and divides
# the dumped instructions (all threads) by the requests wrk completed. The proxy's syscalls per connection
# are counted the same way with `strace -c -f` (STRACE=1, off by default: strace slows everything down).
# Prints a Markdown table; callgrind's files stay in $PROFILE_LOG (default /tmp/profile-director).
# Usage: scripts/profile-director.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]
# Environment: PROFILE_NET (127.0.231: the loopback /24), PROFILE_ROWS ("close keepalive"),
#              PROFILE_PROXIES ("shoal shoal-epoll haproxy"; shoal-epoll: the service with `engine: epoll`).
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=${1:?usage: scripts/profile-director.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]}
WARM=${2:-5}
MEASURE=${3:-15}
LOG=${PROFILE_LOG:-/tmp/profile-director}
NET=${PROFILE_NET:-127.0.231}
ROWS=${PROFILE_ROWS:-close keepalive}
PROXIES=${PROFILE_PROXIES:-shoal shoal-epoll haproxy}
for tool in valgrind:valgrind wrk:wrk curl:curl gcc:gcc objcopy:binutils nginx:nginx-light haproxy:haproxy; do
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} not found: apt-get install -y ${tool##*:}" >&2; exit 1; }
done
[ -x "$SHOAL" ] || { echo "error: $SHOAL is not an executable (swift build -c release --product shoal)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
rm -rf "$LOG"
mkdir -p "$LOG/www" "$LOG/nginx/logs" "$LOG/nginx/tmp"
chmod 755 "$LOG"
source scripts/valgrind-prepare.sh  # (the script runs from the repository root)
valgrind_prepare "$LOG" "$SHOAL"
SHOAL="$LOG/shoal"

backend="$NET.2" shoal_ip="$NET.5" haproxy_ip="$NET.4" port=18280
head -c 4096 /dev/urandom | base64 -w 0 | head -c 4096 >"$LOG/www/4k.bin"
cat >"$LOG/nginx/nginx.conf" <<CONF
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $LOG/nginx/nginx.pid;
error_log $LOG/nginx/error.log warn;
events { worker_connections 10000; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path $LOG/nginx/tmp;
    proxy_temp_path $LOG/nginx/tmp;
    fastcgi_temp_path $LOG/nginx/tmp;
    uwsgi_temp_path $LOG/nginx/tmp;
    scgi_temp_path $LOG/nginx/tmp;
    default_type application/octet-stream;
    server { listen $backend:$port; root $LOG/www; }
}
CONF
cat >"$LOG/director.yaml" <<YAML
director:
  connect_timeout: 5
services:
  - name: profile
    listen: $shoal_ip:$port
    scheduler: rr
    servers:
      - {address: $backend:$port}
YAML
sed 's/^    scheduler: rr$/    scheduler: rr\n    engine: epoll/' "$LOG/director.yaml" >"$LOG/director-epoll.yaml"
cat >"$LOG/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend profile
    bind $haproxy_ip:$port
    default_backend nginx
backend nginx
    balance roundrobin
    server a $backend:$port
CFG

nginx_pid="" pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
cleanup() { stop; if [[ -n "$nginx_pid" ]]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
nginx -c "$LOG/nginx/nginx.conf" -p "$LOG/nginx" -g 'daemon off;' &
nginx_pid=$!

# run PROXY MODE: prints "instructions requests" of the measured part of one profiled run.
run() {
    local proxy=$1 mode=$2 ip args=()
    local out="$LOG/$proxy-$mode.callgrind"
    [[ "$mode" == close ]] && args=(-H 'Connection: close')
    if [[ "$proxy" == shoal || "$proxy" == shoal-epoll ]]; then
        ip=$shoal_ip
        local config="$LOG/director.yaml"
        [[ "$proxy" == shoal-epoll ]] && config="$LOG/director-epoll.yaml"
        LD_PRELOAD="$LOG/sigsuspend-copy.so" valgrind --tool=callgrind --callgrind-out-file="$out" "$SHOAL" director \
            --config "$config" --log-level warning >"$LOG/$proxy-$mode.log" 2>&1 &
    else
        ip=$haproxy_ip
        valgrind --tool=callgrind --callgrind-out-file="$out" haproxy -f "$LOG/haproxy.cfg" -db >"$LOG/$proxy-$mode.log" 2>&1 &
    fi
    pid=$!
    # Start-up under valgrind takes a while (a minute or more on a loaded machine).
    local up=""
    for _ in $(seq 1 600); do
        [[ "$(curl -s --noproxy '*' --max-time 10 "http://$ip:$port/4k.bin" | wc -c)" == 4096 ]] && { up=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    [[ -n "$up" ]] || { echo "error: $proxy under valgrind did not pass 4k.bin on; see $LOG/$proxy-$mode.log" >&2; exit 1; }
    wrk -t1 -c16 -d"${WARM}s" ${args[@]+"${args[@]}"} "http://$ip:$port/4k.bin" >"$LOG/$proxy-$mode-warm.wrk"
    sleep 1
    callgrind_control -z "$pid" >/dev/null 2>&1
    wrk -t1 -c16 -d"${MEASURE}s" ${args[@]+"${args[@]}"} "http://$ip:$port/4k.bin" >"$LOG/$proxy-$mode.wrk"
    callgrind_control -d "$pid" >/dev/null 2>&1
    stop
    local instructions requests
    instructions=$(awk '/^summary:/ {print $2; exit}' "$out.1")
    requests=$(awk '/requests in/ {print $1; exit}' "$LOG/$proxy-$mode.wrk")
    echo "$instructions $requests"
}

echo "Instructions per proxied request (callgrind, all threads, after a ${WARM} s warm-up), wrk -t1 -c16 for ${MEASURE} s;"
echo "4 KiB file from one nginx; with \`Connection: close\` each request is one proxied connection. Shoal: $1"
echo
echo "| proxy | row | instructions / request | requests measured |"
echo "|---|---|---:|---:|"
for mode in $ROWS; do
    for proxy in $PROXIES; do
        read -r instructions requests <<<"$(run "$proxy" "$mode")"
        per=$(awk -v i="$instructions" -v r="$requests" 'BEGIN {printf "%.0f", (r > 0 ? i / r : 0)}')
        case "$proxy" in
            shoal) name="Shoal director (tcp, rr)" ;;
            shoal-epoll) name="Shoal director, engine epoll (tcp, rr)" ;;
            *) name="HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }') (mode tcp, nbthread 1)" ;;
        esac
        row=$([[ "$mode" == close ]] && echo "one connection per request" || echo "keep-alive")
        echo "| $name | $row | $per | $requests |"
    done
done
echo
echo "callgrind output: $LOG (callgrind_annotate --inclusive=yes FILE)"
