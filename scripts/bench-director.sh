#!/usr/bin/env bash
# Director dataplane benchmark: Shoal's userspace TCP proxy (`shoal director`, tcp, rr; the NIO engine and
# the epoll engine, `engine: epoll`, each in a director process of its own) against HAProxy
# 2.6 (mode tcp, balance roundrobin), both in front of the same two nginx serving a 4 KiB file, all on
# loopback, loaded by wrk with keep-alive and with one connection per request (`Connection: close`).
# Then the memory each proxy spends per idle proxied connection (VmRSS before/after N idle connections).
#
# Usage: scripts/bench-director.sh SHOAL_BINARY
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (50), WRK_DURATION (10s), WARMUP_DURATION (3s),
#              IDLE_CONNECTIONS (2000), PROXY_THREADS (2: HAProxy nbthread; Shoal's NIO group has one
#              event loop per core), BENCH_NET (127.0.77: the loopback /24 to use).
# Prints a Markdown table, the Shoal/HAProxy ratios, the memory per idle connection and the commands.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
shoal="$1"
threads="${WRK_THREADS:-2}"
connections="${WRK_CONNECTIONS:-50}"
duration="${WRK_DURATION:-10s}"
warmup="${WARMUP_DURATION:-3s}"
idle="${IDLE_CONNECTIONS:-2000}"
proxy_threads="${PROXY_THREADS:-2}"
net="${BENCH_NET:-127.0.77}"
for tool in nginx haproxy wrk python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install haproxy nginx-light wrk python3)" >&2; exit 1; }
done
[ -x "$shoal" ] || { echo "error: $shoal is not an executable (build it: swift build -c release --product shoal)" >&2; exit 1; }
# Every proxied idle connection costs the proxy two descriptors; raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
work="$(mktemp -d /tmp/shoal-bench-director.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

nginx_a="$net.2" nginx_b="$net.3" haproxy_ip="$net.4" shoal_ip="$net.5" epoll_ip="$net.6"
free_port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "$1"; }
wait_for_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done; echo "error: nothing listens on $1:$2" >&2; return 1; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Established TCP connections whose peer is ADDR:PORT (seen from the proxy's side).
established_to() { ss -Htn state established "dst $1:$2" 2>/dev/null | wc -l; }

# --- Two nginx, one worker each, a 4 KiB static file ---
backend_port="$(free_port "$nginx_a")"
mkdir -p "$work/www"
head -c 4096 /dev/urandom | base64 -w 0 | head -c 4096 > "$work/www/4k.bin"
for name in a b; do
    ip="$([ "$name" = a ] && echo "$nginx_a" || echo "$nginx_b")"
    mkdir -p "$work/nginx-$name/logs"
    cat > "$work/nginx-$name/nginx.conf" <<CONF
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $work/nginx-$name/nginx.pid;
error_log $work/nginx-$name/error.log warn;
events { worker_connections 10000; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    client_header_timeout 120s;
    client_body_temp_path $work/nginx-$name/tmp;
    proxy_temp_path $work/nginx-$name/tmp;
    fastcgi_temp_path $work/nginx-$name/tmp;
    uwsgi_temp_path $work/nginx-$name/tmp;
    scgi_temp_path $work/nginx-$name/tmp;
    default_type application/octet-stream;
    server {
        listen $ip:$backend_port;
        root $work/www;
    }
}
CONF
    nginx -c "$work/nginx-$name/nginx.conf" -p "$work/nginx-$name" -g 'daemon off;' &
    pids+=($!)
    wait_for_port "$ip" "$backend_port"
done

# --- HAProxy 2.6, mode tcp, roundrobin ---
haproxy_port="$(free_port "$haproxy_ip")"
cat > "$work/haproxy.cfg" <<CFG
global
    nbthread $proxy_threads
    maxconn $(( idle > 7900 ? idle + 100 : 8000 ))
    log stdout format raw local0 err
defaults
    mode tcp
    timeout connect 2s
    timeout client 120s
    timeout server 120s
frontend bench
    bind $haproxy_ip:$haproxy_port
    default_backend nginx
backend nginx
    balance roundrobin
    server a $nginx_a:$backend_port
    server b $nginx_b:$backend_port
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=("$haproxy_pid")
wait_for_port "$haproxy_ip" "$haproxy_port"

# --- Shoal director, tcp, rr ---
shoal_port="$(free_port "$shoal_ip")"
cat > "$work/director.yaml" <<YAML
director:
  connect_timeout: 2
services:
  - name: bench
    listen: $shoal_ip:$shoal_port
    scheduler: rr
    servers:
      - {address: $nginx_a:$backend_port}
      - {address: $nginx_b:$backend_port}
YAML
"$shoal" director --config "$work/director.yaml" --log-level warning 2>"$work/shoal.log" &
shoal_pid=$!
pids+=("$shoal_pid")
wait_for_port "$shoal_ip" "$shoal_port"

# --- Shoal director, tcp, rr, the epoll engine (one thread per core, like the NIO group's loops) ---
epoll_port="$(free_port "$epoll_ip")"
sed -e "s/$shoal_ip:$shoal_port/$epoll_ip:$epoll_port/" -e 's/^    scheduler: rr$/    scheduler: rr\n    engine: epoll/' \
    "$work/director.yaml" > "$work/director-epoll.yaml"
"$shoal" director --config "$work/director-epoll.yaml" --log-level warning 2>"$work/shoal-epoll.log" &
epoll_pid=$!
pids+=("$epoll_pid")
wait_for_port "$epoll_ip" "$epoll_port"

# Each proxy must answer with the file before anything is measured.
for target in "$nginx_a:$backend_port" "$haproxy_ip:$haproxy_port" "$shoal_ip:$shoal_port" "$epoll_ip:$epoll_port"; do
    python3 - "$target" "$work/www/4k.bin" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://{sys.argv[1]}/4k.bin", timeout=5).read()
if body != open(sys.argv[2], "rb").read():
    sys.exit(f"error: {sys.argv[1]} did not return the 4 KiB file")
PY
done

# --- Memory per idle proxied connection (measured first, on fresh processes) ---
# A python3 client opens N connections to the proxy, sends nothing, and holds them until told to stop.
cat > "$work/idle.py" <<'PY'
import resource, socket, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for i in range(count):
    s = socket.socket()
    s.connect((host, port))
    held.append(s)
    if i % 200 == 199:
        time.sleep(0.05)  # let the proxy keep up with its accept queue
print("open", flush=True)
sys.stdin.read()  # hold until stdin closes
PY
idle_memory() {  # pid ip port -> prints "before after per-connection-KiB backend-connections"
    local pid="$1" ip="$2" port="$3" before after open=0
    sleep 1
    before="$(rss_kib "$pid")"
    coproc IDLE { python3 "$work/idle.py" "$ip" "$port" "$idle"; }
    local idle_pid="$IDLE_PID"
    read -r _ <&"${IDLE[0]}"
    # Wait until the proxy has a backend connection for every client connection (at most 20 s).
    for _ in $(seq 1 200); do
        open=$(( $(established_to "$nginx_a" "$backend_port") + $(established_to "$nginx_b" "$backend_port") ))
        [ "$open" -ge "$idle" ] && break
        sleep 0.1
    done
    sleep 1
    after="$(rss_kib "$pid")"
    local to_client="${IDLE[1]}"
    exec {to_client}>&-
    wait "$idle_pid" 2>/dev/null || true
    echo "$before $after $(awk -v a="$after" -v b="$before" -v n="$idle" 'BEGIN { printf "%.2f", (a - b) / n }') $open"
    # Let the connections drain before the next measurement.
    for _ in $(seq 1 100); do
        [ $(( $(established_to "$nginx_a" "$backend_port") + $(established_to "$nginx_b" "$backend_port") )) -eq 0 ] && break
        sleep 0.1
    done
}
read -r mem_h_before mem_h_after mem_h_per mem_h_open < <(idle_memory "$haproxy_pid" "$haproxy_ip" "$haproxy_port")
read -r mem_s_before mem_s_after mem_s_per mem_s_open < <(idle_memory "$shoal_pid" "$shoal_ip" "$shoal_port")
read -r mem_e_before mem_e_after mem_e_per mem_e_open < <(idle_memory "$epoll_pid" "$epoll_ip" "$epoll_port")

# --- Throughput and latency ---
wrk_args=(-t"$threads" -c"$connections" -d"$duration" --latency)
declare -A result
run_wrk() {  # label url mode(keepalive|close)
    local label="$1" url="$2" mode="$3" extra=() out rps p50 p99 errors
    [ "$mode" = close ] && extra=(-H 'Connection: close')
    wrk -t"$threads" -c"$connections" -d"$warmup" "${extra[@]}" "$url" >/dev/null
    sleep 1
    out="$(wrk "${wrk_args[@]}" "${extra[@]}" "$url")"
    echo "$out" > "$work/wrk-$label-$mode.txt"
    rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")"
    p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
    p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
    errors="$(awk '/Socket errors:|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' <<<"$out")"
    result["$label,$mode"]="$rps|$p50|$p99"
    [ -n "$errors" ] && echo "note: $label $mode: $errors" >&2
    sleep 2  # let TIME_WAIT sockets and the CPU settle between runs
}
for mode in keepalive close; do
    run_wrk nginx "http://$nginx_a:$backend_port/4k.bin" "$mode"
    run_wrk haproxy "http://$haproxy_ip:$haproxy_port/4k.bin" "$mode"
    run_wrk shoal "http://$shoal_ip:$shoal_port/4k.bin" "$mode"
    run_wrk epoll "http://$epoll_ip:$epoll_port/4k.bin" "$mode"
done

field() { cut -d'|' -f"$2" <<<"${result[$1]}"; }
haproxy_version="$(haproxy -v | awk 'NR == 1 { print $3 }')"
nginx_version="$(nginx -v 2>&1 | sed 's/.*nginx\///')"
echo "| setup | keep-alive req/s | p50 | p99 | close req/s | p50 | p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for label in nginx haproxy shoal epoll; do
    case "$label" in
        nginx) name="nginx $nginx_version direct (one of the two, 1 worker)" ;;
        haproxy) name="HAProxy $haproxy_version (mode tcp, roundrobin, nbthread $proxy_threads)" ;;
        shoal) name="Shoal director (tcp, rr, $(nproc) event loops)" ;;
        epoll) name="Shoal director, engine epoll (tcp, rr, $(nproc) threads)" ;;
    esac
    echo "| $name | $(field "$label,keepalive" 1) | $(field "$label,keepalive" 2) | $(field "$label,keepalive" 3) |" \
         "$(field "$label,close" 1) | $(field "$label,close" 2) | $(field "$label,close" 3) |"
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ratio_ka="$(ratio "$(field shoal,keepalive 1)" "$(field haproxy,keepalive 1)")"
ratio_close="$(ratio "$(field shoal,close 1)" "$(field haproxy,close 1)")"
echo "Ratio Shoal/HAProxy (req/s): keep-alive $ratio_ka, connection per request $ratio_close"
echo "Ratio Shoal epoll/HAProxy (req/s): keep-alive $(ratio "$(field epoll,keepalive 1)" "$(field haproxy,keepalive 1)")," \
     "connection per request $(ratio "$(field epoll,close 1)" "$(field haproxy,close 1)")"
echo
echo "Memory per idle proxied connection ($idle idle connections through each proxy, VmRSS after - before, / $idle):"
echo "- HAProxy: $mem_h_per KiB ($mem_h_before KiB -> $mem_h_after KiB; $mem_h_open backend connections seen)"
echo "- Shoal:   $mem_s_per KiB ($mem_s_before KiB -> $mem_s_after KiB; $mem_s_open backend connections seen)"
echo "- Shoal epoll: $mem_e_per KiB ($mem_e_before KiB -> $mem_e_after KiB; $mem_e_open backend connections seen)"
echo
echo "Load: wrk ${wrk_args[*]} [-H 'Connection: close'] http://ADDRESS/4k.bin (after a $warmup warm-up of each);" \
     "backends: 2 x nginx (1 worker each) on $nginx_a and $nginx_b; all on loopback, on $(nproc) cores shared by wrk, the proxies and nginx."
