#!/usr/bin/env bash
# make demo-web / make demo-cache: the web farm or the cache farm appliance on loopback (no root needed): up,
# requests through the director's VIP spread over the pool, a node killed and masked, the pool scaled up and back
# down under a request loop, status, down.
# Usage: demo-farm.sh SHOAL web-farm|cache-farm
set -euo pipefail
shoal="$1"
name="${2:?web-farm or cache-farm}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
state="$work/state"
spec="${SPEC:-$here/Appliances/$name.yaml}"   # SPEC: another copy of it (e.g. on another network)
trap '"$shoal" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
case "$name" in
    web-farm) pool=web; served_by='Server' ;;
    cache-farm) pool=cache; served_by='X-Cache' ;;
    *) echo "demo-farm.sh: no demo for $name" >&2; exit 2 ;;
esac

step "The spec: $spec"
grep -v '^#' "$spec"

step "shoal plan Appliances/$name.yaml   (what runs where; nothing started)"
"$shoal" plan "$spec" --state "$state"

step "shoal up Appliances/$name.yaml --wait"
"$shoal" up "$spec" --wait --state "$state"
vip="$("$shoal" status --json --state "$state" | python3 -c 'import json,sys; s=json.load(sys.stdin)["services"][0]; print("%s:%d" % (s["address"], s["port"]))')"

# GET / through the VIP N times; prints the status and the node that answered ($served_by) of each.
requests() {
    for i in $(seq 1 "$1"); do
        curl -sS -o /dev/null -D - --noproxy '*' --max-time 10 "http://$vip/index.html" \
            | tr -d '\r' | awk -v h="$served_by" 'NR==1 {code=$2} tolower($0) ~ "^"tolower(h)":" {sub(/^[^:]*: /, ""); by=$0} END {printf "%s %s\n", code, by}'
    done | sort | uniq -c
}

step "Six requests for /index.html through the VIP ($vip): count, status, answered by ($served_by)"
requests 6

step "$pool-2 crashes (SIGKILL): the director masks it, requests still succeed, the supervisor starts it again"
pid="$("$shoal" status --json --state "$state" | python3 -c "import json,sys; print(next(n['pid'] for n in json.load(sys.stdin)['nodes'] if n['name']=='$pool-2'))")"
kill -9 "$pid"; echo "killed $pool-2 (pid $pid)"
requests 6
sleep 2

step "shoal scale $pool 4, then back to 3, while a client sends request after request through the VIP"
python3 - "$vip" "$work/stop" > "$work/loop.out" <<'PY' &
import os, sys, time, urllib.request
vip, stop = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ok = failed = 0
while not os.path.exists(stop):
    try:
        with opener.open("http://%s/index.html" % vip, timeout=10) as r:
            r.read()
            ok += r.status == 200
            failed += r.status != 200
    except Exception:
        failed += 1
    time.sleep(0.02)
print("%d requests, %d failed" % (ok + failed, failed))
PY
loop=$!
"$shoal" scale "$pool" 4 --state "$state"
requests 8
"$shoal" scale "$pool" 3 --state "$state"
touch "$work/stop"; wait "$loop"
echo "request loop during both scales: $(cat "$work/loop.out")"

step "shoal status"
"$shoal" status --state "$state"
echo
"$shoal" logs supervisor --state "$state" | grep -E "exited|scale:" | tail -4

step "shoal down"
"$shoal" down --state "$state"
trap 'rm -rf "$work"' EXIT
