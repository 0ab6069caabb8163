#!/usr/bin/env bash
# Instructions per request of the static web node (issue 14), counted by valgrind's callgrind, which repeat
# to within a few percent on a loaded machine where requests/s do not. Rows: a 4 KiB file with keep-alive, with
# one connection per request, and over HTTPS with keep-alive (wrk -t1 -c16); the plain rows again with the node's
# `engine: epoll` (a second configuration, same root, its own ports).
# Each row starts the node under callgrind, warms it up with wrk for WARM_SECONDS, zeroes the counts
# (callgrind_control -z), runs wrk for MEASURE_SECONDS, dumps (callgrind_control -d) and divides the dumped
# instructions (all threads) by the requests the node's own counter (/metrics) went up by. Prints a Markdown
# table; callgrind's files stay in $PROFILE_LOG (default /tmp/profile-web) for callgrind_annotate.
# Usage: scripts/profile-web.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=${1:?usage: scripts/profile-web.sh SHOAL_BINARY [WARM_SECONDS] [MEASURE_SECONDS]}
WARM=${2:-10}
MEASURE=${3:-20}
LOG=${PROFILE_LOG:-/tmp/profile-web}
HOST=127.0.151.10
for tool in valgrind:valgrind wrk:wrk curl:curl openssl:openssl gcc:gcc objcopy:binutils; do
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} not found: apt-get install -y ${tool##*:}" >&2; exit 1; }
done
rm -rf "$LOG"
mkdir -p "$LOG/root"
source scripts/valgrind-prepare.sh  # (the script runs from the repository root)
valgrind_prepare "$LOG" "$SHOAL"
SHOAL="$LOG/shoal"
head -c 4096 /dev/urandom >"$LOG/root/4k.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$LOG/key.pem" -out "$LOG/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
cat >"$LOG/web.yaml" <<CONF
root: $LOG/root
http: { listen: "$HOST:18180" }
https: { listen: "$HOST:18543" }
engine: nio
admin: { listen: "$HOST:18190" }
tls: { certificate: $LOG/cert.pem, key: $LOG/key.pem }
limits: { requests_per_connection: 1000000, connections: 10000 }
cache: { revalidate_ms: 60000 }       # no revalidation during a run: under valgrind it would be every few requests
CONF
cat >"$LOG/web-epoll.yaml" <<CONF
root: $LOG/root
http: { listen: "$HOST:18181" }
admin: { listen: "$HOST:18191" }
engine: epoll
limits: { requests_per_connection: 1000000, connections: 10000 }
cache: { revalidate_ms: 60000 }
CONF

pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT

# served: the node's count of answered requests (every status class).
ADMIN_PORT=18190
served() { curl -s --noproxy '*' "http://$HOST:$ADMIN_PORT/metrics" | awk '/^shoal_web_requests_total/ {n += $2} END {print n + 0}'; }

# run NAME CONFIG URL [wrk args...]: prints "instructions handshake-instructions requests" of the measured part of one profiled run.
run() {
    local name=$1 config=$2 url=$3
    shift 3
    local out="$LOG/$name.callgrind"
    LD_PRELOAD="$LOG/sigsuspend-copy.so" valgrind --tool=callgrind --callgrind-out-file="$out" "$SHOAL" web-node \
        --config "$config" >"$LOG/$name.log" 2>&1 &
    pid=$!
    # Start-up under valgrind takes a while (a minute or more on a loaded machine).
    local up=""
    for _ in $(seq 1 600); do
        [[ "$(curl -s --noproxy '*' "${url%/4k.bin}/4k.bin" -k | wc -c)" == 4096 ]] && { up=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    [[ -n "$up" ]] || { echo "error: the node under valgrind did not serve 4k.bin; see $LOG/$name.log" >&2; exit 1; }
    wrk -t1 -c16 -d"${WARM}s" "$@" "$url" >"$LOG/$name-warm.wrk"
    local before after
    before=$(served)
    callgrind_control -z "$pid" >/dev/null 2>&1
    wrk -t1 -c16 -d"${MEASURE}s" "$@" "$url" >"$LOG/$name.wrk"
    callgrind_control -d "$pid" >/dev/null 2>&1
    after=$(served)
    stop
    # The zeroed part was dumped to $out.1 (the exit writes the rest to $out); the metrics reads are outside it.
    local instructions handshakes
    instructions=$(awk '/^summary:/ {print $2; exit}' "$out.1")
    # TLS handshakes of the measured run's 16 new connections: reported apart (the benchmark's 10 s runs spread
    # them over 20,000 times more requests than valgrind's pace allows here).
    # BoringSSL's own handshake work (NIOSSL's handshake step also runs the first request that follows it).
    handshakes=$(callgrind_annotate --inclusive=yes --threshold=100 "$out.1" | awk '/CNIOBoringSSL_SSL_do_handshake/ {gsub(",", "", $1); print $1; exit}')
    echo "$instructions ${handshakes:-0} $((after - before))"
}

echo "Instructions per request (callgrind, all threads, after a ${WARM} s warm-up), wrk -t1 -c16 for ${MEASURE} s; binary: $SHOAL"
echo
echo "| row | instructions / request | requests measured | TLS handshakes in the run (instructions, left out) |"
echo "|---|---:|---:|---:|"
for row in "4 KiB keep-alive|http://$HOST:18180/4k.bin||web" "4 KiB one per request|http://$HOST:18180/4k.bin|close|web" \
           "HTTPS 4 KiB keep-alive|https://$HOST:18543/4k.bin||web" \
           "epoll 4 KiB keep-alive|http://$HOST:18181/4k.bin||web-epoll" "epoll 4 KiB one per request|http://$HOST:18181/4k.bin|close|web-epoll"; do
    IFS='|' read -r name url mode config <<<"$row"
    ADMIN_PORT=$([[ "$config" == web-epoll ]] && echo 18191 || echo 18190)
    args=()
    [[ "$mode" == close ]] && args=(-H 'Connection: close')
    slug=$(tr ' ' '-' <<<"$name")
    read -r instructions handshakes requests <<<"$(run "$slug" "$LOG/$config.yaml" "$url" ${args[@]+"${args[@]}"})"
    per=$(awk -v i="$instructions" -v h="$handshakes" -v r="$requests" 'BEGIN {printf "%.0f", (r > 0 ? (i - h) / r : 0)}')
    echo "| $name | $per | $requests | $handshakes |"
done
echo
echo "callgrind output: $LOG (callgrind_annotate --inclusive=yes FILE)"
