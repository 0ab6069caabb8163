#!/usr/bin/env bash
# Static web node (issue 14) against nginx (one worker, sendfile on), same machine, same document root, the node
# twice: with `engine: nio` and with `engine: epoll` (the default) (plain HTTP on raw epoll threads; HTTPS stays on NIO,
# so the epoll server has no HTTPS row):
# 4 KiB and 1 MiB files, keep-alive and one connection per request, plain HTTP; 4 KiB keep-alive over HTTPS.
# Each row: wrk -t2 -c$CONNECTIONS -d${DURATION}s, ROUNDS rounds alternating servers; prints every run to stderr and
# a Markdown table of medians with the min–max spread. wrk's output is kept in $BENCH_LOG (default /tmp/bench-web).
# Usage: scripts/bench-web.sh SHOAL_BINARY [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=${1:?usage: scripts/bench-web.sh SHOAL_BINARY [DURATION] [CONNECTIONS] [ROUNDS]}
DURATION=${2:-10}
CONNECTIONS=${3:-64}
ROUNDS=${4:-3}
BENCH_LOG=${BENCH_LOG:-/tmp/bench-web}
HOST=127.0.150.10
command -v wrk >/dev/null || { echo "error: wrk not found: apt-get install -y wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "error: nginx not found: apt-get install -y nginx-light" >&2; exit 1; }
command -v openssl >/dev/null || { echo "error: openssl not found: apt-get install -y openssl" >&2; exit 1; }
rm -rf "$BENCH_LOG"
mkdir -p "$BENCH_LOG/root" "$BENCH_LOG/nginx"
head -c 4096 /dev/urandom >"$BENCH_LOG/root/4k.bin"
head -c 1048576 /dev/urandom >"$BENCH_LOG/root/1m.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$BENCH_LOG/key.pem" -out "$BENCH_LOG/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null

cat >"$BENCH_LOG/web.yaml" <<CONF
root: $BENCH_LOG/root
http: { listen: "$HOST:18080" }
https: { listen: "$HOST:18443" }
engine: nio
tls: { certificate: $BENCH_LOG/cert.pem, key: $BENCH_LOG/key.pem }
limits: { requests_per_connection: 1000000, connections: 10000 }
CONF
cat >"$BENCH_LOG/web-epoll.yaml" <<CONF
root: $BENCH_LOG/root
http: { listen: "$HOST:18081" }
engine: epoll
limits: { requests_per_connection: 1000000, connections: 10000 }
CONF
dir=$BENCH_LOG/nginx
cat >"$dir/nginx.conf" <<CONF
user root;
pid $dir/nginx.pid;
error_log $dir/error.log;
master_process off;
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body; proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 1000000;
    server { listen $HOST:18090; listen $HOST:18453 ssl; ssl_certificate $BENCH_LOG/cert.pem; ssl_certificate_key $BENCH_LOG/key.pem;
             root $BENCH_LOG/root; }
}
CONF

pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT
start() {
    if [[ "$1" == nginx ]]; then
        nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' &
        port=18090
    elif [[ "$1" == epoll ]]; then
        "$SHOAL" web-node --config "$BENCH_LOG/web-epoll.yaml" >"$BENCH_LOG/shoal-epoll.log" 2>&1 &
        port=18081
    else
        "$SHOAL" web-node --config "$BENCH_LOG/web.yaml" >"$BENCH_LOG/shoal.log" 2>&1 &
        port=18080
    fi
    pid=$!
    for _ in $(seq 1 100); do
        [[ "$(curl -s --noproxy '*' "http://$HOST:$port/4k.bin" | wc -c)" == 4096 ]] && return 0
        sleep 0.1
    done
    echo "error: $1 did not serve 4k.bin" >&2
    exit 1
}

# Rows: name|file|mode|scheme
ROWS=("4 KiB keep-alive|4k.bin|keepalive|http" "4 KiB one per request|4k.bin|close|http" "1 MiB keep-alive|1m.bin|keepalive|http"
      "1 MiB one per request|1m.bin|close|http" "HTTPS 4 KiB keep-alive|4k.bin|keepalive|https")
declare -A RESULTS
for round in $(seq 1 "$ROUNDS"); do
    for server in shoal epoll nginx; do
        start "$server"
        wrk -t2 -c"$CONNECTIONS" -d2s "http://$HOST:$port/4k.bin" >/dev/null  # warm-up
        for row in "${ROWS[@]}"; do
            IFS='|' read -r name file mode scheme <<<"$row"
            [[ "$server" == epoll && "$scheme" == https ]] && continue
            target_port=$port
            [[ "$scheme" == https ]] && target_port=$([[ "$server" == nginx ]] && echo 18453 || echo 18443)
            args=(-t2 -c"$CONNECTIONS" -d"${DURATION}s")
            [[ "$mode" == close ]] && args+=(-H 'Connection: close')
            log="$BENCH_LOG/$server-${file%.bin}-$mode-$scheme-$round.txt"
            wrk "${args[@]}" "$scheme://$HOST:$target_port/$file" >"$log"
            rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$log")
            errors=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {n = $5} END {print s + n + 0}' "$log")
            echo "round $round $server $name: $rps req/s, $errors errors" >&2
            RESULTS["$server|$name"]+="$rps "
        done
        stop
    done
done

# median and min-max of a list of numbers
stats() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%d|%d–%d", m, a[1], a[NR]}'; }
echo "Static files, wrk -t2 -c$CONNECTIONS -d${DURATION}s on loopback, median of $ROUNDS rounds (min–max), $(nproc) cores"
echo
echo "| row | shoal web-node (NIO) req/s | shoal web-node (epoll) req/s | nginx req/s | NIO / nginx | epoll / nginx |"
echo "|---|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    name=${row%%|*}
    IFS='|' read -r sm sr <<<"$(stats "${RESULTS["shoal|$name"]}")"
    IFS='|' read -r nm nr <<<"$(stats "${RESULTS["nginx|$name"]}")"
    ratio=$(awk -v a="$sm" -v b="$nm" 'BEGIN {printf "%.2f", b ? a / b : 0}')
    if [[ -n "${RESULTS["epoll|$name"]:-}" ]]; then
        IFS='|' read -r em er <<<"$(stats "${RESULTS["epoll|$name"]}")"
        eratio=$(awk -v a="$em" -v b="$nm" 'BEGIN {printf "%.2f", b ? a / b : 0}')
        echo "| $name | $sm ($sr) | $em ($er) | $nm ($nr) | ${ratio}× | ${eratio}× |"
    else
        echo "| $name | $sm ($sr) | — (HTTPS stays on NIO) | $nm ($nr) | ${ratio}× | — |"
    fi
done
echo
echo "wrk output: $BENCH_LOG"
