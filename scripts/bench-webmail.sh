#!/usr/bin/env bash
# Webmail benchmark: message-list and message-view latency (p50/p99) of a Shoal mail node's webmail over HTTPS
# for one INBOX of MESSAGES (10000) messages, RUNS (3) times. No other webmail runs here to compare with
# (Roundcube is not installed in this environment), so the figures are reported alone.
#
# Usage: scripts/bench-webmail.sh SHOAL_BINARY [MESSAGES] [RUNS] [REQUESTS]
#   BENCH_KEEP=1 keeps the temporary directory.
set -euo pipefail
shoal="$(realpath "$1")"
messages="${2:-10000}"
runs="${3:-3}"
requests="${4:-200}"
here="$(cd "$(dirname "$0")" && pwd)"
ip=127.0.202.10
user=bench
password=benchpass

work="$(mktemp -d /tmp/shoal-bench-webmail.XXXXXX)"
node_pid=
stop_node() {
    if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; node_pid=; fi
}
cleanup() {
    stop_node
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "$1"
}
wait_for_port() {
    for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
    echo "nothing listens on $1:$2" >&2; return 1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 2 -subj /CN=localhost -addext "subjectAltName=IP:$ip" 2>/dev/null
lmtp_port="$(free_port $ip)"
https_port="$(free_port $ip)"
echo "$password" | "$shoal" users add "$user" --address "$user@bench.test" --directory "sqlite:$work/users.db" >/dev/null
cat > "$work/node.yaml" <<YAML
hostname: bench-node
directory: sqlite:$work/users.db
store: { root: $work/mail, fsync: false }
lmtp: { listen: $ip:$lmtp_port }
https: { listen: $ip:$https_port }
tls: { certificate: $work/cert.pem, key: $work/key.pem }
local_domains: [bench.test]
YAML
"$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
node_pid=$!
wait_for_port $ip "$https_port" || { cat "$work/node.log" >&2; exit 1; }
python3 "$here/bench-read-client.py" deliver $ip "$lmtp_port" "$messages" "$user@bench.test" >&2

echo "# webmail, $messages messages in INBOX, $requests requests per figure, $runs runs ($(date -u +%F), $(nproc) cores)"
for run in $(seq 1 "$runs"); do
    stop_node
    "$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
    node_pid=$!
    wait_for_port $ip "$https_port"
    python3 "$here/bench-webmail-client.py" "https://$ip:$https_port" "$user" "$password" "$requests" | tee "$work/run-$run.json"
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
results = [json.load(open(f"{work}/run-{i}.json")) for i in range(1, runs + 1)]
print("\n| request | p50 ms (median of runs, min–max) | p99 ms (median of runs, min–max) |\n|---|---|---|")
for key in ["list_first_page", "list_random_page", "list_by_subject", "view_message", "search_body"]:
    p50 = [r[key]["p50"] for r in results]
    p99 = [r[key]["p99"] for r in results]
    print(f"| {key} | {statistics.median(p50):.1f} ({min(p50):.1f}–{max(p50):.1f}) | {statistics.median(p99):.1f} ({min(p99):.1f}–{max(p99):.1f}) |")
PY
