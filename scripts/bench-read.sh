#!/usr/bin/env bash
# Mail read path benchmark: IMAP and POP3 served by one Shoal mail node and by a private Dovecot 2.3
# instance (default and high-performance login modes) from the same Maildir, on this machine, in one run.
#
# Usage: scripts/bench-read.sh SHOAL_BINARY [MESSAGES] [RUNS]
#   environment: LOGIN_SECONDS (10), LOGIN_CLIENTS (4), IDLE_SESSIONS (200), BENCH_KEEP=1 keeps the
#   temporary directory (store, configurations, logs)
# Delivers MESSAGES (1000) through the Shoal node's LMTP into one INBOX, then for each of RUNS (3) rounds
# measures each server in turn; prints a Markdown table of the medians (min–max in brackets) with the
# ratio Shoal / Dovecot high-performance, taken so that ≥ 1.00 means Shoal is as good or better.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$(realpath "$1")"
messages="${2:-1000}"
runs="${3:-3}"
login_seconds="${LOGIN_SECONDS:-10}"
login_clients="${LOGIN_CLIENTS:-4}"
idle_sessions="${IDLE_SESSIONS:-200}"
client="$(cd "$(dirname "$0")" && pwd)/bench-read-client.py"
shoal_ip=127.0.140.10
dovecot_ip=127.0.140.11
user=bench
password=benchpass

work="$(mktemp -d /tmp/shoal-bench-read.XXXXXX)"
chmod 755 "$work"
node_pid=
dovecot_pid=
stop_shoal() {
    if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; node_pid=; fi
}
stop_dovecot() {
    if [ -n "$dovecot_pid" ]; then kill "$dovecot_pid" 2>/dev/null || true; wait "$dovecot_pid" 2>/dev/null || true; dovecot_pid=; fi
}
cleanup() {
    stop_shoal
    stop_dovecot
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

# --- Shoal: one node, SQLite directory, plaintext logins allowed (loopback) ---
lmtp_port="$(free_port $shoal_ip)"
shoal_imap="$(free_port $shoal_ip)"
shoal_pop3="$(free_port $shoal_ip)"
echo "$password" | "$shoal" users add "$user" --address "$user@bench.test" --directory "sqlite:$work/users.db" >/dev/null
cat > "$work/node.yaml" <<YAML
hostname: bench-node
directory: sqlite:$work/users.db
store: { root: $work/mail, fsync: true }
lmtp: { listen: $shoal_ip:$lmtp_port }
imap: { listen: $shoal_ip:$shoal_imap }
pop3: { listen: $shoal_ip:$shoal_pop3 }
local_domains: [bench.test]
limits: { message_size: 10485760, recipients: 100 }
auth: { allow_plaintext: true }
YAML
start_shoal() {
    "$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
    node_pid=$!
    wait_for_port $shoal_ip "$shoal_imap" || { cat "$work/node.log" >&2; return 1; }
}

start_shoal
python3 "$client" deliver $shoal_ip "$lmtp_port" "$messages" "$user@bench.test" > "$work/delivered"
stop_shoal
maildir="$(dirname "$(find "$work/mail" -name dovecot-uidlist -print -quit)")"
[ -d "$maildir/new" ] || { echo "no Maildir under $work/mail" >&2; exit 1; }
chown -R 65534:65534 "$work/mail"

# --- Dovecot 2.3: private instance, same user and password, same Maildir, plaintext on loopback ---
dv="$work/dovecot"
mkdir -p "$dv/run" "$dv/state"
dovecot_imap="$(free_port $dovecot_ip)"
dovecot_pop3="$(free_port $dovecot_ip)"
echo "$user:{PLAIN}$password" > "$dv/passwd"
chmod 644 "$dv/passwd"
dovecot_conf() {  # default | hp
    local login
    if [ "$1" = hp ]; then
        login="service_count = 0
  process_min_avail = 2"
    else
        login="service_count = 1"
    fi
    cat > "$dv/dovecot.conf" <<CONF
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
protocols = imap pop3
listen = $dovecot_ip
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$maildir
mail_uid = 65534
mail_gid = 65534
first_valid_uid = 1
first_valid_gid = 1
# 200 idle sessions need more than the defaults (100 processes per service, 10 per user and address).
default_process_limit = 300
default_client_limit = 2000
protocol imap {
  mail_max_userip_connections = 1000
}
protocol pop3 {
  mail_max_userip_connections = 1000
}
passdb {
  driver = passwd-file
  args = $dv/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$maildir
}
service imap-login {
  inet_listener imap {
    address = $dovecot_ip
    port = $dovecot_imap
  }
  inet_listener imaps {
    port = 0
  }
  $login
}
service pop3-login {
  inet_listener pop3 {
    address = $dovecot_ip
    port = $dovecot_pop3
  }
  inet_listener pop3s {
    port = 0
  }
}
CONF
}
start_dovecot() {  # default | hp
    dovecot_conf "$1"
    dovecot -F -c "$dv/dovecot.conf" 2>>"$dv/stderr" &
    dovecot_pid=$!
    wait_for_port $dovecot_ip "$dovecot_imap" || { cat "$dv/stderr" "$dv/dovecot.log" >&2; return 1; }
    sleep 0.5  # login processes (process_min_avail) start
}
drop_dovecot_indexes() {
    find "$maildir" \( -name 'dovecot.index*' -o -name 'dovecot.list.index*' \) -delete
}

# --- measurements ---
results="$work/results"
: > "$results"
record() { echo "$1 $2 $3" >> "$results"; }  # server row value
measure() {  # server row client-arguments...: records the first word the client prints (a failure stops the run)
    local server="$1" row="$2" out
    shift 2
    out="$(python3 "$client" "$@")"
    record "$server" "$row" "${out%% *}"
    if [ "$out" != "${out#* }" ]; then record "$server" "${row}_bytes" "${out#* }"; fi  # octets received
}

# The wall time of a FETCH (or of POP3's RETRs) and the CPU time of the server process serving the session
# during it alone (perf stat on Shoal's process; on Dovecot, on the imap or pop3 process its master started for
# the login). CPU time barely depends on what else the machine runs; wall time on a shared machine does.
measure_cpu() {  # server row ip port server-pid dovecot-process client-command [client-arguments...]
    local server="$1" row="$2" ip="$3" port="$4" pid="$5" process="$6" command="$7" target ready answer perf_pid
    shift 7
    coproc PAUSED { python3 "$client" "$command" "$ip" "$port" $user $password "$@"; }
    read -r ready <&"${PAUSED[0]}"
    [ "$ready" = ready ] || { echo "$command: $ready" >&2; exit 1; }
    if [ "$server" = shoal ]; then target="$pid"; else target="$(pgrep -P "$pid" -n -x "$process")"; fi
    perf stat -e task-clock -x, -p "$target" -o "$work/perf.out" & perf_pid=$!
    sleep 0.5  # perf attached
    echo go >&"${PAUSED[1]}"
    read -r answer <&"${PAUSED[0]}"
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    echo go >&"${PAUSED[1]}"
    wait "$PAUSED_PID"
    record "$server" "$row" "${answer%% *}"
    record "$server" "${row}_bytes" "${answer#* }"
    record "$server" "${row}_cpu" "$(awk -F, '$3 == "task-clock" { printf "%.1f", $1 }' "$work/perf.out")"
}

start_server() {  # shoal | default | hp   (cold: Dovecot without its index files)
    if [ "$1" = shoal ]; then start_shoal; else drop_dovecot_indexes; start_dovecot "$1"; fi
}
stop_server() { if [ "$1" = shoal ]; then stop_shoal; else stop_dovecot; fi; }
ports() {  # server -> "ip imap pop3 pid"
    if [ "$1" = shoal ]; then echo "$shoal_ip $shoal_imap $shoal_pop3 $node_pid"
    else echo "$dovecot_ip $dovecot_imap $dovecot_pop3 $dovecot_pid"; fi
}

# First SELECT by each server (Shoal moves new/ to cur/ like Dovecot; Dovecot may rewrite dovecot-uidlist):
# done once before timing so that every timed run starts from the same store.
for server in shoal hp; do
    start_server $server
    read -r ip imap pop3 pid <<< "$(ports $server)"
    python3 "$client" fetch "$ip" "$imap" $user $password "FLAGS" "$messages" >/dev/null
    stop_server $server
done

envelope="(FLAGS RFC822.SIZE ENVELOPE)"
for run in $(seq 1 "$runs"); do
    for server in shoal default hp; do
        echo "run $run: $server" >&2
        start_server $server
        read -r ip imap pop3 pid <<< "$(ports $server)"
        measure $server envelope_cold fetch "$ip" "$imap" $user $password "$envelope" "$messages"
        measure $server envelope_warm fetch "$ip" "$imap" $user $password "$envelope" "$messages"
        stop_server $server
        start_server $server
        read -r ip imap pop3 pid <<< "$(ports $server)"
        measure_cpu $server body_cold "$ip" "$imap" "$pid" imap fetch_paused "BODY.PEEK[]" "$messages"
        measure_cpu $server body_warm "$ip" "$imap" "$pid" imap fetch_paused "BODY.PEEK[]" "$messages"
        # POP3 before the login storm, so that the storm's load (a busy machine, a busy server process) is
        # not measured into it.
        measure $server pop3 pop3 "$ip" "$pop3" $user $password "$messages"
        measure_cpu $server pop3_retr "$ip" "$pop3" "$pid" pop3 pop3_paused "$messages"
        measure $server logins logins "$ip" "$imap" $user $password "$login_clients" "$login_seconds"
        idle_out="$(python3 "$client" idle "$ip" "$imap" $user $password "$idle_sessions" "$pid")"
        read -r rss pss procs_before procs_after rss_before rss_after <<< "$idle_out"
        record $server idle_rss "$rss"
        record $server idle_pss "$pss"
        echo "  idle: processes $procs_before -> $procs_after, RSS ${rss_before} -> ${rss_after} KiB" >&2
        stop_server $server
    done
done

# Every run's figures, to stderr (server row: run 1, run 2, ...).
awk '$2 !~ /_bytes$/ { v[$1" "$2] = v[$1" "$2] " " $3 } END { for (k in v) print k ":" v[k] }' "$results" | sort >&2

# Anything either server complained about (the full logs stay in $work with BENCH_KEEP=1).
for log in "$work/node.log" "$dv/dovecot.log"; do
    complaints="$(grep -v 'Killed with signal 15' "$log" | grep -c -i -E 'error|warn|fatal|panic' || true)"
    if [ "$complaints" -gt 0 ]; then
        echo "$(basename "$log"): $complaints lines with error/warning/fatal/panic, the first ones:" >&2
        grep -v 'Killed with signal 15' "$log" | grep -i -E 'error|warn|fatal|panic' | sort | uniq -c | sort -rn | head -5 >&2
    fi
done

python3 - "$results" "$messages" "$runs" "$login_clients" "$login_seconds" "$idle_sessions" <<'PY'
import statistics, sys
path, messages, runs, clients, seconds, idle = sys.argv[1:]
values = {}
for line in open(path):
    server, row, value = line.split()
    values.setdefault((server, row), []).append(float(value))
rows = [  # key, label, unit format, higher is better
    ("logins", f"IMAP LOGIN+SELECT+LOGOUT, {clients} clients, {seconds} s (sessions/s)", "{:.0f}", True),
    ("envelope_cold", f"FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), {messages} msgs, cold (s)", "{:.3f}", False),
    ("envelope_warm", f"FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), warm (s)", "{:.3f}", False),
    ("body_cold", f"FETCH 1:* BODY.PEEK[], {messages} msgs, cold (s)", "{:.3f}", False),
    ("body_warm", f"FETCH 1:* BODY.PEEK[], warm (s)", "{:.3f}", False),
    ("body_cold_cpu", f"server CPU for that FETCH BODY.PEEK[], cold (ms)", "{:.1f}", False),
    ("body_warm_cpu", f"server CPU for that FETCH BODY.PEEK[], warm (ms)", "{:.1f}", False),
    ("pop3", f"POP3 USER/PASS + RETR x{messages} + QUIT (s)", "{:.3f}", False),
    ("pop3_retr", f"POP3 RETR x{messages} alone, after the login (s)", "{:.3f}", False),
    ("pop3_retr_cpu", f"server CPU for those RETRs (ms)", "{:.1f}", False),
    ("idle_rss", f"RSS per idle IMAP session, {idle} sessions (KiB)", "{:.0f}", False),
    ("idle_pss", f"PSS per idle IMAP session, {idle} sessions (KiB)", "{:.0f}", False),
]
def cell(server, key, fmt):
    v = values.get((server, key), [])
    if not v:
        return "–", None
    m = statistics.median(v)
    spread = f" ({fmt.format(min(v))}–{fmt.format(max(v))})" if len(v) > 1 else ""
    return fmt.format(m) + spread, m
print("| measurement | Shoal | Dovecot default | Dovecot high-perf | Shoal ÷ Dovecot high-perf |")
print("|---|---:|---:|---:|---:|")
for key, label, fmt, higher in rows:
    s, sm = cell("shoal", key, fmt)
    d, _ = cell("default", key, fmt)
    h, hm = cell("hp", key, fmt)
    if sm is None or hm is None or sm <= 0 or hm <= 0:
        ratio = "–"
    else:
        ratio = f"{(sm / hm) if higher else (hm / sm):.2f}"
    print(f"| {label} | {s} | {d} | {h} | {ratio} |")
for key in ("envelope_cold", "body_cold", "body_warm", "pop3", "pop3_retr"):
    sizes = {server: sorted(set(values.get((server, key + "_bytes"), []))) for server in ("shoal", "default", "hp")}
    if len(set(tuple(v) for v in sizes.values())) > 1:
        print(f"\nNote: the servers sent different amounts of message data for {key}: {sizes}")
print()
print(f"(Medians of {runs} runs, min–max in brackets. The ratio is taken so that ≥ 1.00 means Shoal is as fast or "
      "as small: sessions/s divided, seconds and KiB inverted.)")
PY
