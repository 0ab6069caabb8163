#!/usr/bin/env bash
# Webmail benchmark: message-list and message-view latency (p50/p99) of a Shoal mail node's webmail over HTTPS
# for one INBOX of MESSAGES (10000) messages, RUNS (3) times, side by side with Roundcube 1.6 (Debian's
# roundcube-core on php-fpm 8.2 behind nginx over HTTPS, against a private Dovecot 2.3 serving a copy of the
# same Maildir). The two are measured interleaved in each run. Without Roundcube installed (ROUNDCUBE=0 or no
# /usr/share/roundcube), Shoal is reported alone.
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

rc_ip=127.0.202.11
roundcube=1
[ "${ROUNDCUBE:-1}" = 0 ] || [ ! -d /usr/share/roundcube ] && roundcube=0

work="$(mktemp -d /tmp/shoal-bench-webmail.XXXXXX)"
node_pid=
dovecot_pid=
fpm_pid=
nginx_pid=
stop_node() {
    if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; node_pid=; fi
}
stop_roundcube() {
    for pid in "$nginx_pid" "$fpm_pid" "$dovecot_pid"; do
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    done
    nginx_pid= fpm_pid= dovecot_pid=
}
cleanup() {
    stop_node
    stop_roundcube
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

stop_node

# --- Roundcube: Dovecot on a copy of the Maildir, php-fpm (as root, -R) and nginx with the same certificate ---
if [ "$roundcube" = 1 ]; then
    rc="$work/roundcube"
    chmod 755 "$work"  # Dovecot's auth and mail processes (not root) reach the passwd file and the Maildir copy
    mkdir -p "$rc/temp" "$rc/logs" "$rc/dovecot/run" "$rc/dovecot/state" "$rc/nginx"
    cp -a "$work/mail" "$rc/mail"
    chown -R 65534:65534 "$rc/mail"
    maildir="$(dirname "$(find "$rc/mail" -name dovecot-uidlist -print -quit)")"
    dovecot_imap="$(free_port $rc_ip)"
    rc_https="$(free_port $rc_ip)"
    echo "$user@bench.test:{PLAIN}$password" > "$rc/dovecot/passwd"
    cat > "$rc/dovecot/dovecot.conf" <<CONF
base_dir = $rc/dovecot/run
state_dir = $rc/dovecot/state
log_path = $rc/dovecot/dovecot.log
protocols = imap
listen = $rc_ip
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$maildir
mail_uid = 65534
mail_gid = 65534
first_valid_uid = 1
first_valid_gid = 1
protocol imap {
  mail_max_userip_connections = 1000
}
passdb {
  driver = passwd-file
  args = $rc/dovecot/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$maildir
}
service imap-login {
  inet_listener imap {
    address = $rc_ip
    port = $dovecot_imap
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
}
CONF
    python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.executescript(open(sys.argv[2]).read()); db.commit()' \
        "$rc/roundcube.db" /usr/share/roundcube/SQL/sqlite.initial.sql
    cat > "$rc/php-fpm.conf" <<FPM
[global]
error_log = $rc/logs/php-fpm.log
daemonize = no
[roundcube]
user = root
group = root
listen = $rc/php-fpm.sock
pm = static
pm.max_children = 4
clear_env = yes
; Roundcube reads ROUNDCUBE_<OPTION> from the environment over its configuration files (Debian's /etc/roundcube;
; imap_host is an array there, so JSON here). mail_pagesize stays at its default, 50, as Shoal's page.
env[ROUNDCUBE_DB_DSNW] = "sqlite:///$rc/roundcube.db?mode=0600"
env[ROUNDCUBE_IMAP_HOST] = '["$rc_ip:$dovecot_imap"]'
env[ROUNDCUBE_DES_KEY] = "shoal-bench-roundcube-key"
env[ROUNDCUBE_TEMP_DIR] = "$rc/temp/"
env[ROUNDCUBE_LOG_DIR] = "$rc/logs/"
env[ROUNDCUBE_SESSION_LIFETIME] = 60
php_admin_value[error_log] = $rc/logs/php-errors.log
FPM
    cat > "$rc/nginx/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $rc/nginx/nginx.pid;
error_log $rc/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $rc/nginx/body;
    fastcgi_temp_path $rc/nginx/fastcgi;
    proxy_temp_path $rc/nginx/proxy;
    server {
        listen $rc_ip:$rc_https ssl;
        ssl_certificate $work/cert.pem;
        ssl_certificate_key $work/key.pem;
        root /var/lib/roundcube/public_html;
        index index.php;
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_param HTTPS on;
            fastcgi_pass unix:$rc/php-fpm.sock;
        }
    }
}
NGINX
    dovecot -F -c "$rc/dovecot/dovecot.conf" 2>>"$rc/dovecot/stderr" &
    dovecot_pid=$!
    php-fpm8.2 -F -R -y "$rc/php-fpm.conf" 2>>"$rc/logs/php-fpm.stderr" &
    fpm_pid=$!
    nginx -c "$rc/nginx/nginx.conf" -g 'daemon off;' 2>>"$rc/nginx/stderr" &
    nginx_pid=$!
    wait_for_port $rc_ip "$dovecot_imap" || { cat "$rc/dovecot/stderr" "$rc/dovecot/dovecot.log" >&2; exit 1; }
    wait_for_port $rc_ip "$rc_https" || { cat "$rc/nginx/stderr" "$rc/nginx/error.log" >&2; exit 1; }
    for _ in $(seq 1 300); do [ -S "$rc/php-fpm.sock" ] && break; sleep 0.1; done
    [ -S "$rc/php-fpm.sock" ] || { cat "$rc/logs/php-fpm.stderr" >&2; exit 1; }
fi

echo "# webmail, $messages messages in INBOX, $requests requests per figure, $runs runs ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
for run in $(seq 1 "$runs"); do
    stop_node
    "$shoal" mail-node --config "$work/node.yaml" 2>>"$work/node.log" &
    node_pid=$!
    wait_for_port $ip "$https_port"
    echo "## run $run: shoal"
    python3 "$here/bench-webmail-client.py" "https://$ip:$https_port" "$user" "$password" "$requests" | tee "$work/run-$run.json"
    stop_node
    if [ "$roundcube" = 1 ]; then
        echo "## run $run: roundcube"
        python3 "$here/bench-webmail-roundcube-client.py" "https://$rc_ip:$rc_https" "$user@bench.test" "$password" "$requests" "$messages" \
            | tee "$work/roundcube-$run.json" || { tail -n 20 "$rc"/logs/* "$rc/nginx/error.log" >&2; exit 1; }
    fi
done
python3 - "$work" "$runs" "$roundcube" <<'PY'
import json, statistics, sys
work, runs, roundcube = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
systems = [("Shoal", "run")] + ([("Roundcube", "roundcube")] if roundcube else [])
print("\n| request | system | p50 ms (median of runs, min–max) | p99 ms (median of runs, min–max) |\n|---|---|---|---|")
for key in ["list_first_page", "list_random_page", "list_by_subject", "list_by_thread", "view_message", "view_unread_first",
            "view_unread_again", "search_body"]:
    for name, prefix in systems:
        results = [json.load(open(f"{work}/{prefix}-{i}.json")) for i in range(1, runs + 1)]
        if any(key not in r for r in results):
            continue  # a figure only one system has
        p50 = [r[key]["p50"] for r in results]
        p99 = [r[key]["p99"] for r in results]
        print(f"| {key} | {name} | {statistics.median(p50):.1f} ({min(p50):.1f}–{max(p50):.1f}) | {statistics.median(p99):.1f} ({min(p99):.1f}–{max(p99):.1f}) |")
PY
