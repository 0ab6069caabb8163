#!/usr/bin/env bash
# What one proxied IMAP session costs the mail director (issue 12), measured on the director process alone:
# instructions (valgrind's callgrind, all threads; they repeat to within a few percent on a loaded machine)
# and CPU time (perf stat's task-clock, user + kernel, ms) per session, and optionally its syscalls
# (strace -c -f). A session is what scripts/bench-maildirector.sh loops: connect, greeting, LOGIN, SELECT
# INBOX, LOGOUT, through `shoal director` (protocol: imap) to one Shoal mail node.
# Each measurement warms up with WARM_SESSIONS, then counts exactly SESSIONS (bench-read-client.py sessions,
# PROFILE_CLIENTS processes) and divides. The node always runs natively; for the task-clock rows the sessions
# straight to the node are measured too (the node's CPU per session, for scale).
# Usage: scripts/profile-maildirector.sh SHOAL_BINARY [WARM_SESSIONS] [SESSIONS]
# Environment: PROFILE_TOOLS ("callgrind perf"; add strace for syscalls), PERF_RUNS (5), PROFILE_CLIENTS (2),
#              PROFILE_NET (127.0.161: the loopback /24), PROFILE_LOG (/tmp/profile-maildirector: callgrind's
#              files, for callgrind_annotate), PROFILE_ENGINE (nio: the director's engine for the service;
#              epoll: the epoll engine's mail sessions).
set -euo pipefail
cd "$(dirname "$0")/.."
SHOAL=$(realpath "${1:?usage: scripts/profile-maildirector.sh SHOAL_BINARY [WARM_SESSIONS] [SESSIONS]}")
WARM=${2:-300}
SESSIONS=${3:-2000}
TOOLS=${PROFILE_TOOLS:-callgrind perf}
PERF_RUNS=${PERF_RUNS:-5}
CLIENTS=${PROFILE_CLIENTS:-2}
NET=${PROFILE_NET:-127.0.161}
LOG=${PROFILE_LOG:-/tmp/profile-maildirector}
ENGINE=${PROFILE_ENGINE:-nio}
client="$PWD/scripts/bench-read-client.py"
for tool in valgrind:valgrind perf:linux-perf gcc:gcc objcopy:binutils python3:python3 strace:strace; do
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} not found: apt-get install -y ${tool##*:}" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)"
rm -rf "$LOG"
mkdir -p "$LOG"
source scripts/valgrind-prepare.sh  # (the script runs from the repository root)
valgrind_prepare "$LOG" "$SHOAL"

node_ip=$NET.10 director_ip=$NET.1 lmtp_port=18425 node_imap=18143 director_imap=18144 user=bench password=benchpass
echo "$password" | "$SHOAL" users add "$user" --address "$user@bench.test" --directory "sqlite:$LOG/users.db" >/dev/null
cat >"$LOG/node.yaml" <<YAML
hostname: profile-node
directory: sqlite:$LOG/users.db
store: { root: $LOG/mail, fsync: false }
lmtp: { listen: $node_ip:$lmtp_port }
imap: { listen: $node_ip:$node_imap }
local_domains: [bench.test]
auth: { allow_plaintext: true }
YAML
cat >"$LOG/director.yaml" <<YAML
services:
  - listen: $director_ip:$director_imap
    protocol: imap
    engine: $ENGINE
    mail: { hostname: profile-director, allow_plaintext: true }
    servers: [{address: $node_ip:$node_imap}]
YAML

node_pid="" pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
cleanup() { stop; if [[ -n "$node_pid" ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
wait_for_imap() {  # ip port: a greeting (under valgrind start-up takes a minute or more on a loaded machine)
    for _ in $(seq 1 600); do
        python3 - "$1" "$2" <<'PY' 2>/dev/null && return 0
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
sys.exit(0 if s.recv(100).startswith(b"* OK") else 1)
PY
        [[ -z "$pid" ]] || kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    echo "error: no IMAP greeting on $1:$2; see $LOG/*.log" >&2
    exit 1
}
sessions() {  # ip port count
    python3 "$client" sessions "$1" "$2" "$user" "$password" "$CLIENTS" "$3" >/dev/null
}

"$SHOAL" mail-node --config "$LOG/node.yaml" >"$LOG/node.log" 2>&1 &
node_pid=$!
wait_for_imap "$node_ip" "$node_imap"
python3 "$client" deliver "$node_ip" "$lmtp_port" 100 "$user@bench.test" >/dev/null

# task_clock PID COUNT IP PORT: the CPU milliseconds PID used while COUNT sessions ran against IP:PORT.
task_clock() {
    local perf_pid
    perf stat -e task-clock -x, -p "$1" -o "$LOG/perf.out" & perf_pid=$!
    sleep 0.3
    sessions "$3" "$4" "$2"
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    awk -F, '$3 == "task-clock" { print $1 }' "$LOG/perf.out"
}
per_session() { awk -v ms="$1" -v n="$2" 'BEGIN { printf "%.0f", 1000 * ms / n }'; }
spread() {  # values...: median (min–max)
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%s (%s–%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

echo "Mail director cost per IMAP session (connect, greeting, LOGIN, SELECT INBOX, LOGOUT), $CLIENTS clients,"
echo "$WARM sessions to warm up, then $SESSIONS counted, engine $ENGINE. Shoal: $1"
echo
for tool in $TOOLS; do
    case $tool in
    callgrind)
        out="$LOG/director.callgrind"
        LD_PRELOAD="$LOG/sigsuspend-copy.so" valgrind --tool=callgrind --callgrind-out-file="$out" "$LOG/shoal" director \
            --config "$LOG/director.yaml" --log-level warning >"$LOG/director-callgrind.log" 2>&1 &
        pid=$!
        wait_for_imap "$director_ip" "$director_imap"
        sessions "$director_ip" "$director_imap" "$WARM"
        sleep 1
        callgrind_control -z "$pid" >/dev/null 2>&1
        sessions "$director_ip" "$director_imap" "$SESSIONS"
        callgrind_control -d "$pid" >/dev/null 2>&1
        stop
        instructions=$(awk '/^summary:/ {print $2; exit}' "$out.1")
        echo "| director under callgrind | instructions / session | $(awk -v i="$instructions" -v n="$SESSIONS" 'BEGIN { printf "%.0f", i / n }') |"
        ;;
    perf)
        "$SHOAL" director --config "$LOG/director.yaml" --log-level warning >"$LOG/director.log" 2>&1 &
        pid=$!
        wait_for_imap "$director_ip" "$director_imap"
        sessions "$director_ip" "$director_imap" "$WARM"
        sessions "$node_ip" "$node_imap" "$WARM"
        director=() node_via=() node_direct=()
        for _ in $(seq 1 "$PERF_RUNS"); do
            node_direct+=("$(per_session "$(task_clock "$node_pid" "$SESSIONS" "$node_ip" "$node_imap")" "$SESSIONS")")
            # Both processes in the same round: two perf stats, one client run.
            perf stat -e task-clock -x, -p "$node_pid" -o "$LOG/perf.node" & node_perf=$!
            director+=("$(per_session "$(task_clock "$pid" "$SESSIONS" "$director_ip" "$director_imap")" "$SESSIONS")")
            kill -INT "$node_perf"; wait "$node_perf" || true
            node_via+=("$(per_session "$(awk -F, '$3 == "task-clock" { print $1 }' "$LOG/perf.node")" "$SESSIONS")")
        done
        stop
        echo "| director, task-clock (user + kernel) | µs / session, median of $PERF_RUNS (min–max) | $(spread "${director[@]}") |"
        echo "| node behind the director, task-clock | µs / session | $(spread "${node_via[@]}") |"
        echo "| node straight, task-clock | µs / session | $(spread "${node_direct[@]}") |"
        ;;
    strace)
        "$SHOAL" director --config "$LOG/director.yaml" --log-level warning >"$LOG/director.log" 2>&1 &
        pid=$!
        wait_for_imap "$director_ip" "$director_imap"
        sessions "$director_ip" "$director_imap" "$WARM"
        strace -c -f -p "$pid" -o "$LOG/strace.out" & strace_pid=$!
        sleep 1
        sessions "$director_ip" "$director_imap" "$SESSIONS"
        kill -INT "$strace_pid"; wait "$strace_pid" || true
        stop
        echo "| director, syscalls (strace -c -f) | calls / session | $(awk -v n="$SESSIONS" '$NF == "total" { printf "%.1f", $4 / n }' "$LOG/strace.out") |"
        echo
        echo "Per call (calls / session):"
        awk -v n="$SESSIONS" '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "  %s %.2f\n", $NF, $4 / n }' "$LOG/strace.out" | head -20
        ;;
    esac
done
echo
echo "callgrind output: $LOG (callgrind_annotate --inclusive=yes FILE)"
