#!/usr/bin/env bash
# Mail director benchmark (issue 12): IMAP LOGIN+SELECT+LOGOUT sessions/s straight to one Shoal mail node,
# through `shoal director` (protocol: imap, the user hashed into mh, the login replayed, then spliced) and
# through Dovecot 2.3 as a proxy (a `proxy=y` passdb, high-performance login processes) in front of the same
# node, on this machine, in one run; the director both on its default NIO engine and on `engine: epoll`.
# With BENCH_PINNED=1 a second table follows: the proxy (director or Dovecot's processes) pinned to one core
# with taskset, the client and the node to the other (the direct rows: client and node on that same core), as
# when the director is a host of its own in the LVS design. The shared-CPU table is always printed first.
#
# Usage: scripts/bench-maildirector.sh SHOAL_BINARY [RUNS]
#   environment: LOGIN_SECONDS (10), LOGIN_CLIENTS (4), BENCH_KEEP=1 keeps the temporary directory,
#                BENCH_PINNED=1 adds the pinned table (needs two CPUs and taskset, util-linux)
# Prints a Markdown table of medians (min–max in brackets) and the director's cost against direct.
# Addresses 127.0.165.x. Needs dovecot-imapd (Dovecot refuses to run as root only for mail processes; a proxy
# has none).
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$(realpath "$1")"
runs="${2:-3}"
login_seconds="${LOGIN_SECONDS:-10}"
login_clients="${LOGIN_CLIENTS:-4}"
client="$(cd "$(dirname "$0")" && pwd)/bench-read-client.py"
node_ip=127.0.165.10
director_ip=127.0.165.1
epoll_ip=127.0.165.3
dovecot_ip=127.0.165.2
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
epoll_imap="$(free_port $epoll_ip)"
dovecot_imap="$(free_port $dovecot_ip)"
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
sed -e "s/$director_ip:$director_imap/$epoll_ip:$epoll_imap/" -e 's/protocol: imap/protocol: imap\n    engine: epoll/' \
    "$work/director.yaml" > "$work/director-epoll.yaml"
"$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
pids+=($!)
wait_for_port $node_ip "$node_imap" || { cat "$work/node.log" >&2; exit 1; }
"$shoal" director --config "$work/director.yaml" 2>>"$work/director.log" &
pids+=($!)
wait_for_port $director_ip "$director_imap" || { cat "$work/director.log" >&2; exit 1; }
"$shoal" director --config "$work/director-epoll.yaml" 2>>"$work/director-epoll.log" &
pids+=($!)
wait_for_port $epoll_ip "$epoll_imap" || { cat "$work/director-epoll.log" >&2; exit 1; }
python3 "$client" deliver $node_ip "$lmtp_port" 100 "$user@bench.test" > /dev/null

# Dovecot as the proxy: every login is proxied to the node with the client's password (nopassword=y: like the
# director here, it leaves the password check to the node).
command -v dovecot >/dev/null || { echo "dovecot not found: install the dovecot-imapd package" >&2; exit 1; }
dv="$work/dovecot"
mkdir -p "$dv/run" "$dv/state"
cat > "$dv/dovecot.conf" <<CONF
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
protocols = imap
listen = $dovecot_ip
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = proxy=y host=$node_ip port=$node_imap nopassword=y
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service imap-login {
  inet_listener imap {
    address = $dovecot_ip
    port = $dovecot_imap
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
}
CONF
dovecot -F -c "$dv/dovecot.conf" 2>>"$dv/stderr" &
pids+=($!)
wait_for_port $dovecot_ip "$dovecot_imap" || { cat "$dv/stderr" "$dv/dovecot.log" >&2; exit 1; }
sleep 0.5  # the login processes (process_min_avail) start

results="$work/results"
: > "$results"
node_pid="${pids[0]}" director_pid="${pids[1]}" epoll_pid="${pids[2]}" dovecot_pid="${pids[3]}"
# CPU milliseconds used so far by a process and every process below it (those that ended and were waited for
# included), from /proc: Dovecot's proxying is spread over its login, auth and master processes.
tree_cpu_ms() {  # pid
    python3 - "$1" <<'PY'
import os, sys
ticks = os.sysconf("SC_CLK_TCK")
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), fields))
def total(pid, fields, root):
    used = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if root else 0)
    return used + sum(total(child, f, False) for child, f in children.get(pid, []))
root = int(sys.argv[1])
fields = open(f"/proc/{root}/stat").read().rsplit(")", 1)[1].split()
print(1000 * total(root, fields, True) / ticks)
PY
}
# One round of the login loop; records its rate and the CPU time (perf stat's task-clock, ms) the node and the
# proxy (the director, or Dovecot's processes) spent in it, so the cost per session can be read apart from how
# the two cores were shared.
round() {  # name ip port [director pid]
    local name="$1" rate node_perf director_perf dovecot_before
    perf stat -e task-clock -x, -p "$node_pid" -o "$work/perf.node" & node_perf=$!
    perf stat -e task-clock -x, -p "${4:-$director_pid}" -o "$work/perf.director" & director_perf=$!
    dovecot_before="$(tree_cpu_ms "$dovecot_pid")"
    sleep 0.5
    rate="$($client_cpu python3 "$client" logins "$2" "$3" $user $password "$login_clients" "$login_seconds")"
    kill -INT "$node_perf" "$director_perf"; wait "$node_perf" "$director_perf" || true
    echo "$name $rate" >> "$results"
    echo "${name}_node_cpu $(awk -F, '$3 == "task-clock" { print $1 }' "$work/perf.node")" >> "$results"
    echo "${name}_director_cpu $(awk -F, '$3 == "task-clock" { print $1 }' "$work/perf.director")" >> "$results"
    echo "${name}_dovecot_cpu $(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$dovecot_before" "$(tree_cpu_ms "$dovecot_pid")")" >> "$results"
}
# Every thread of a process tree (Dovecot's login, auth and master processes; a director's threads) on CPUs $2.
pin_tree() {  # pid cpus
    local pid
    for pid in $(python3 - "$1" <<'PY'
import os, sys
parent = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            parent[int(entry)] = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            pass
tree, grew = {int(sys.argv[1])}, True
while grew:
    grew = False
    for pid, ppid in parent.items():
        if ppid in tree and pid not in tree:
            tree.add(pid)
            grew = True
print(" ".join(map(str, sorted(tree))))
PY
    ); do taskset -a -p -c "$2" "$pid" >/dev/null 2>&1 || true; done
}
# All rounds of one table: straight, both director engines, Dovecot, interleaved per run.
rounds() {  # prefix
    for run in $(seq 1 "$runs"); do
        echo "run $run${1:+ ($1)}" >&2
        # No PROXY header here: the bench client and the director both connect from 127.0.0.1, and a node that
        # trusts an address wants the header on every connection from it.
        round "${1}direct" $node_ip "$node_imap"
        round "${1}director" $director_ip "$director_imap" "$director_pid"
        round "${1}epoll" $epoll_ip "$epoll_imap" "$epoll_pid"
        round "${1}dovecot" $dovecot_ip "$dovecot_imap"
    done
}
client_cpu=""
rounds ""
if [ -n "${BENCH_PINNED:-}" ]; then
    command -v taskset >/dev/null || { echo "taskset not found: install the util-linux package" >&2; exit 1; }
    [ "$(nproc)" -ge 2 ] || { echo "BENCH_PINNED needs two CPUs" >&2; exit 1; }
    pin_tree "$node_pid" 0
    for pid in "$director_pid" "$epoll_pid" "$dovecot_pid"; do pin_tree "$pid" 1; done
    client_cpu="taskset -c 0"
    rounds pinned_
    for pid in "$node_pid" "$director_pid" "$epoll_pid" "$dovecot_pid"; do pin_tree "$pid" "0-$(($(nproc) - 1))"; done
fi
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
def fmt(v):
    return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})"
def table(prefix, title):
    d, dm = cell(prefix + "direct")
    p, pm = cell(prefix + "director")
    e, em = cell(prefix + "epoll")
    v, vm = cell(prefix + "dovecot")
    print(title)
    print()
    print("| IMAP LOGIN+SELECT+LOGOUT, %s clients, %s s (sessions/s) | straight to the node | through the director (NIO) | through the director (epoll) | through Dovecot 2.3 proxy | director NIO ÷ direct | director epoll ÷ direct | Dovecot proxy ÷ direct |" % (clients, seconds))
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| one Shoal node, one user | {d} | {p} | {e} | {v} | {pm / dm:.2f} | {em / dm:.2f} | {vm / dm:.2f} |")
    # CPU per session: each round's CPU milliseconds over its sessions (rate x seconds), in microseconds.
    def per_session(name, process):
        name = prefix + name
        return [1000 * cpu / (rate * float(seconds)) for cpu, rate in zip(values[f"{name}_{process}_cpu"], values[name])]
    print()
    print("| CPU per session (µs) | node | proxy | proxy ÷ node |")
    print("|---|---:|---:|---:|")
    print(f"| straight to the node | {fmt(per_session('direct', 'node'))} | – | – |")
    for name, label, process in [("director", "through the director (NIO)", "director"), ("epoll", "through the director (epoll)", "director"),
                                 ("dovecot", "through Dovecot 2.3 proxy (login, auth and master processes)", "dovecot")]:
        node, proxy = per_session(name, "node"), per_session(name, process)
        print(f"| {label} | {fmt(node)} | {fmt(proxy)} | {statistics.median(proxy) / statistics.median(node):.2f} |")
    print()
table("", "Shared CPUs (client, node and proxy on both cores):")
if "pinned_direct" in values:
    table("pinned_", "Pinned (taskset): the proxy on CPU 1; the client and the node on CPU 0, in every row:")
print(f"(Medians of {runs} runs, min–max in brackets.)")
PY
