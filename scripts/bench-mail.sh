#!/usr/bin/env bash
# Mail write path benchmark: messages/s accepted and stored by one Shoal mail node, and by Postfix
# delivering to Maildir on this machine, both loaded by Postfix's smtp-source over loopback.
#
# Usage: scripts/bench-mail.sh SHOAL_BINARY [MESSAGES] [SESSIONS]
# Environment: BENCH_HOST (127.0.0.1: the loopback address both servers listen on).
# Prints a Markdown table (sizes 1 KiB and 100 KiB) with the ratio Shoal/Postfix.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$1"
messages="${2:-2000}"
sessions="${3:-10}"
host="${BENCH_HOST:-127.0.0.1}"
work="$(mktemp -d /tmp/shoal-bench-mail.XXXXXX)"
chmod 755 "$work"
pf="$work/postfix"
cleanup() {
    [ -f "$pf/config/main.cf" ] && postfix -c "$pf/config" stop >/dev/null 2>&1 || true
    [ -n "${node_pid:-}" ] && kill "$node_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "$host"; }
count_files() { { find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2>/dev/null || true; } | wc -l; }
now() { date +%s.%N; }
wait_for_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- Shoal: one node, SQLite directory, fsync on ---
shoal_port="$(free_port)"
echo "benchpass" | "$shoal" users add bench --address bench@bench.test --directory "sqlite:$work/users.db" >/dev/null
cat > "$work/node.yaml" <<YAML
hostname: bench-node
directory: sqlite:$work/users.db
store: { root: $work/shoal-mail, fsync: true }
smtp: { listen: $host:$shoal_port }
local_domains: [bench.test]
limits: { message_size: 10485760, recipients: 100 }
YAML
"$shoal" mail-node --config "$work/node.yaml" 2>"$work/node.log" &
node_pid=$!
wait_for_port "$shoal_port"

# --- Postfix 3.7: private instance, smtpd on loopback, virtual(8) delivery to Maildir, fsync as shipped ---
pf_port="$(free_port)"
mkdir -p "$pf/config" "$pf/queue" "$pf/data" "$pf/mail"
chown 65534:65534 "$pf/mail"
chown postfix "$pf/data"
cat > "$pf/config/main.cf" <<CF
compatibility_level = 3.6
config_directory = $pf/config
queue_directory = $pf/queue
data_directory = $pf/data
maillog_file = $pf/maillog
maillog_file_prefixes = /tmp, /var
myhostname = bench-postfix
mydestination =
inet_interfaces = $([ "$host" = 127.0.0.1 ] && echo 127.0.0.1 || echo all)
mynetworks = 127.0.0.0/8
smtputf8_enable = no
biff = no
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = static:bench/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_destination_concurrency_limit = $sessions
message_size_limit = 10485760
CF
sed -e "s/^smtp      inet  n       -       y/$host:$pf_port inet n - n/" \
    -e 's/^\([a-z]*  *unix  *[-n]  *[-n]  *\)y/\1n/' /etc/postfix/master.cf > "$pf/config/master.cf"
postfix -c "$pf/config" check >/dev/null 2>&1 || true  # creates the queue with the right owners
postfix -c "$pf/config" start >/dev/null 2>&1 || { echo "postfix did not start; its log:" >&2; cat "$pf/maillog" >&2; exit 1; }
wait_for_port "$pf_port"

run() {  # name port size maildir-root
    local name="$1" port="$2" size="$3" root="$4"
    local before target start end
    before="$(count_files "$root")"
    target=$((before + messages))
    start="$(now)"
    smtp-source -s "$sessions" -l "$size" -m "$messages" -f sender@bench.test -t bench@bench.test -c "$host:$port" >/dev/null
    while [ "$(count_files "$root")" -lt "$target" ]; do
        sleep 0.05
        if [ "$(echo "$(now) - $start > 300" | bc)" = 1 ]; then echo "timeout waiting for $name" >&2; return 1; fi
    done
    end="$(now)"
    echo "$end - $start" | bc
}

echo "| message size | Shoal msgs/s | Postfix 3.7 msgs/s | ratio Shoal/Postfix |"
echo "|---|---:|---:|---:|"
for size in 1024 102400; do
    # A short warm-up of each, then the timed run.
    messages_saved="$messages"; messages=50
    run shoal "$shoal_port" "$size" "$work/shoal-mail" >/dev/null
    run postfix "$pf_port" "$size" "$pf/mail" >/dev/null
    messages="$messages_saved"
    t_shoal="$(run shoal "$shoal_port" "$size" "$work/shoal-mail")"
    t_pf="$(run postfix "$pf_port" "$size" "$pf/mail")"
    r_shoal="$(echo "scale=1; $messages / $t_shoal" | bc)"
    r_pf="$(echo "scale=1; $messages / $t_pf" | bc)"
    ratio="$(echo "scale=2; $r_shoal / $r_pf" | bc)"
    label=$([ "$size" = 1024 ] && echo "1 KiB" || echo "100 KiB")
    echo "| $label | $r_shoal | $r_pf | $ratio |"
done
echo
echo "($messages messages per run, $sessions parallel sessions, smtp-source -s $sessions -l SIZE -m $messages; both fsync every message before acknowledging it.)"
