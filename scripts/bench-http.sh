#!/usr/bin/env bash
# HTTP/1.1 server layer comparison (issue 9): ShoalHTTP against a minimal Hummingbird 2 application.
# Builds both 4 KiB servers in release mode (timing each build), drives each with wrk on loopback with
# keep-alive and with one connection per request, and prints a Markdown table.
# nginx (one worker, a 4 KiB static file) runs the same load as a reference. wrk's full output is kept in
# $BENCH_LOG (default /tmp/bench-http).
# Usage: scripts/bench-http.sh [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
DURATION=${1:-10}
CONNECTIONS=${2:-50}
ROUNDS=${3:-1}
SCRATCH=../.build-bench
BENCH_LOG=${BENCH_LOG:-/tmp/bench-http}
rm -rf "$BENCH_LOG"
mkdir -p "$BENCH_LOG/nginx"
command -v wrk >/dev/null || { echo "error: wrk not found: apt-get install -y wrk" >&2; exit 1; }

cd Benchmarks
build() {
    local product=$1 start end
    start=$(date +%s.%N)
    swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --product "$product" >&2
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
# Same flags as the other benchmarks in `make bench` (one scratch folder, no rebuilds between them).
# ShoalHTTPBench first: the Hummingbird timing is then what Hummingbird and its dependencies add on top
# of swift-nio, swift-log and Shoal's modules.
shoal_build=$(build ShoalHTTPBench)
hummingbird_build=$(build HummingbirdBench)
bin=$(swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --show-bin-path)
cd ..

pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT

start_server() {
    local product=$1 port=$2
    if [[ "$product" == nginx ]]; then
        local dir="$BENCH_LOG/nginx"
        head -c 4096 /dev/zero | tr '\0' x >"$dir/index.html"
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
    default_type text/plain;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$port; root $dir; index index.html; }
}
CONF
        nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' &
    else
        "$bin/$product" "$port" >/dev/null 2>&1 &
    fi
    pid=$!
    for _ in $(seq 1 100); do
        if [[ "$(curl -s --noproxy '*' "http://127.0.0.1:$port/" | wc -c)" == 4096 ]]; then return 0; fi
        sleep 0.1
    done
    echo "error: $product did not answer 4096 bytes on port $port" >&2
    exit 1
}

# CPU time (user + system) the server process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# One wrk run; prints "requests/s|avg latency|p99 latency|errors|server CPU µs per request".
drive() {
    local port=$1 mode=$2 out before after
    local args=(-t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    [[ "$mode" == close ]] && args+=(-H 'Connection: close')
    before=$(cpu_ticks)
    out=$(wrk "${args[@]}" "http://127.0.0.1:$port/" | tee "$BENCH_LOG/$3-$mode-$4.txt")
    after=$(cpu_ticks)
    local rps avg p99 errors requests cpu
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    avg=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} /Non-2xx/ {n = $5} END {print s + n + 0}' <<<"$out")
    echo "$rps|$avg|$p99|$errors|$cpu"
}

echo "HTTP/1.1, 4 KiB body, wrk -t2 -c$CONNECTIONS -d${DURATION}s on loopback, $ROUNDS round(s), $(nproc) cores"
echo
echo "| server | connections | round | requests/s | avg latency | p99 latency | server CPU µs/request | wrk errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
    for server in ShoalHTTPBench:8091 HummingbirdBench:8092 nginx:8093; do
        product=${server%%:*}
        port=${server##*:}
        [[ "$product" == nginx ]] && ! command -v nginx >/dev/null && continue
        start_server "$product" "$port"
        wrk -t2 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$port/" >/dev/null  # warm-up
        for mode in keepalive close; do
            IFS='|' read -r rps avg p99 errors cpu <<<"$(drive "$port" "$mode" "$product" "$round")"
            label=$([[ "$mode" == close ]] && echo "one per request" || echo "keep-alive")
            echo "| ${product%Bench} | $label | $round | $rps | $avg | $p99 | $cpu | $errors |"
        done
        stop
    done
done
echo
echo "wrk output: $BENCH_LOG"
echo "release build time on top of Shoal's modules: ShoalHTTPBench ${shoal_build%.*} s, HummingbirdBench (with Hummingbird and its dependencies) ${hummingbird_build%.*} s"
