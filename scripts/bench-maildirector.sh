#!/usr/bin/env bash
# Mail director benchmark (issue 12): IMAP LOGIN+SELECT+LOGOUT sessions/s straight to one Shoal mail node and
# through `shoal director` (protocol: imap, the user hashed into mh, the login replayed, then spliced)
# in front of the same node, on this machine, in one run.
#
# Usage: scripts/bench-maildirector.sh SHOAL_BINARY [RUNS]
#   environment: LOGIN_SECONDS (10), LOGIN_CLIENTS (4), BENCH_KEEP=1 keeps the temporary directory
# Prints a Markdown table of medians (min–max in brackets) and the director's cost against direct.
# Addresses 127.0.165.x.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$(realpath "$1")"
runs="${2:-3}"
login_seconds="${LOGIN_SECONDS:-10}"
login_clients="${LOGIN_CLIENTS:-4}"
client="$(cd "$(dirname "$0")" && pwd)/bench-read-client.py"
node_ip=127.0.165.10
director_ip=127.0.165.1
user=bench
password=benchpass

work="$(mktemp -d /tmp/shoal-bench-maildir.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {  # ip
    python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "$1"
}
wait_for_port() {  # ip port
    for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
    echo "nothing listens on $1:$2" >&2; return 1
}

lmtp_port="$(free_port $node_ip)"
node_imap="$(free_port $node_ip)"
director_imap="$(free_port $director_ip)"
echo "$password" | "$shoal" users add "$user" --address "$user@bench.test" --directory "sqlite:$work/users.db" >/dev/null
cat > "$work/node.yaml" <<YAML
hostname: bench-node
directory: sqlite:$work/users.db
store: { root: $work/mail, fsync: true }
lmtp: { listen: $node_ip:$lmtp_port }
imap: { listen: $node_ip:$node_imap }
local_domains: [bench.test]
auth: { allow_plaintext: true }
YAML
cat > "$work/director.yaml" <<YAML
services:
  - listen: $director_ip:$director_imap
    protocol: imap
    mail: { hostname: bench-director, allow_plaintext: true }
    servers: [{address: $node_ip:$node_imap}]
YAML
"$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
pids+=($!)
wait_for_port $node_ip "$node_imap" || { cat "$work/node.log" >&2; exit 1; }
"$shoal" director --config "$work/director.yaml" 2>>"$work/director.log" &
pids+=($!)
wait_for_port $director_ip "$director_imap" || { cat "$work/director.log" >&2; exit 1; }
python3 "$client" deliver $node_ip "$lmtp_port" 100 "$user@bench.test" > /dev/null

results="$work/results"
: > "$results"
node_pid="${pids[0]}" director_pid="${pids[1]}"
# One round of the login loop; records its rate and the CPU time (perf stat's task-clock, ms) the node and the
# director spent in it, so the cost per session can be read apart from how the two cores were shared.
round() {  # name ip port
    local name="$1" rate node_perf director_perf
    perf stat -e task-clock -x, -p "$node_pid" -o "$work/perf.node" & node_perf=$!
    perf stat -e task-clock -x, -p "$director_pid" -o "$work/perf.director" & director_perf=$!
    sleep 0.5
    rate="$(python3 "$client" logins "$2" "$3" $user $password "$login_clients" "$login_seconds")"
    kill -INT "$node_perf" "$director_perf"; wait "$node_perf" "$director_perf" || true
    echo "$name $rate" >> "$results"
    echo "${name}_node_cpu $(awk -F, '$3 == "task-clock" { print $1 }' "$work/perf.node")" >> "$results"
    echo "${name}_director_cpu $(awk -F, '$3 == "task-clock" { print $1 }' "$work/perf.director")" >> "$results"
}
for run in $(seq 1 "$runs"); do
    echo "run $run" >&2
    # No PROXY header here: the bench client and the director both connect from 127.0.0.1, and a node that
    # trusts an address wants the header on every connection from it.
    round direct $node_ip "$node_imap"
    round director $director_ip "$director_imap"
done
cat "$results" >&2

python3 - "$results" "$runs" "$login_clients" "$login_seconds" <<'PY'
import statistics, sys
path, runs, clients, seconds = sys.argv[1:]
values = {}
for line in open(path):
    key, value = line.split()
    values.setdefault(key, []).append(float(value))
def cell(key):
    v = values[key]
    return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})", statistics.median(v)
d, dm = cell("direct")
p, pm = cell("director")
print("| IMAP LOGIN+SELECT+LOGOUT, %s clients, %s s (sessions/s) | straight to the node | through the director | director ÷ direct |" % (clients, seconds))
print("|---|---:|---:|---:|")
print(f"| one Shoal node, one user | {d} | {p} | {pm / dm:.2f} |")
# CPU per session: each round's CPU milliseconds over its sessions (rate x seconds), in microseconds.
def per_session(name, process):
    return [1000 * cpu / (rate * float(seconds)) for cpu, rate in zip(values[f"{name}_{process}_cpu"], values[name])]
node_direct = per_session("direct", "node")
node_director = per_session("director", "node")
director = per_session("director", "director")
def fmt(v):
    return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})"
print()
print("| CPU per session (µs) | node | director | director ÷ node |")
print("|---|---:|---:|---:|")
print(f"| straight to the node | {fmt(node_direct)} | – | – |")
print(f"| through the director | {fmt(node_director)} | {fmt(director)} | {statistics.median(director) / statistics.median(node_director):.2f} |")
print()
print(f"(Medians of {runs} runs, min–max in brackets.)")
PY
