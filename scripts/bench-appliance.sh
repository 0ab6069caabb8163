#!/usr/bin/env bash
# Time from `shoal up Appliances/mail-cluster.yaml --wait` to all-healthy (slapd + 3 mail nodes + director, the
# director's own checks), RUNS times on the loopback host; then `shoal down`. Usage: bench-appliance.sh SHOAL [RUNS]
set -euo pipefail
shoal="$1"
runs="${2:-3}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap '"$shoal" down --state "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
sed 's|^network:.*|network: 127.0.196.0/24|' "$here/Appliances/mail-cluster.yaml" > "$work/mail-cluster.yaml"
echo "mail-cluster up to all-healthy on loopback (check interval 1 s), $runs runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
times=()
for i in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    "$shoal" up "$work/mail-cluster.yaml" --wait --state "$work/state" >/dev/null
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    times+=("$t")
    printf 'run %d: %.2f s\n' "$i" "$t"
    "$shoal" down --state "$work/state" >/dev/null
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "min %.2f s, median %.2f s, max %.2f s\n", a[1], a[int((NR+1)/2)], a[NR]}'
