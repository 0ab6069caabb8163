#!/usr/bin/env bash
# Time from `shoal up Appliances/mail-cluster.yaml --wait` to all-healthy (slapd + 3 mail nodes + director, the
# director's own checks), RUNS times per host kind, the kinds interleaved within each run; `shoal down` after each.
# Usage: bench-appliance.sh SHOAL [RUNS] [HOSTS...]   (HOSTS default: loopback, and netns when run as root)
set -euo pipefail
shoal="$1"
runs="${2:-3}"
shift $(( $# >= 2 ? 2 : $# ))
hosts=("$@")
if [ ${#hosts[@]} -eq 0 ]; then
    hosts=(loopback)
    [ "$(id -u)" -eq 0 ] && hosts+=(netns)
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'for h in "${hosts[@]}"; do "$shoal" down --state "$work/state-$h" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
sed 's|^network:.*|network: 127.0.196.0/24|' "$here/Appliances/mail-cluster.yaml" > "$work/mail-cluster.yaml"
echo "mail-cluster up to all-healthy (check interval 1 s) on: ${hosts[*]}; $runs runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
declare -A times
for i in $(seq 1 "$runs"); do
    for h in "${hosts[@]}"; do
        start=$(date +%s.%N)
        "$shoal" up "$work/mail-cluster.yaml" --hosts "$h" --netns-prefix shoal-bench- --wait --state "$work/state-$h" >/dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        times[$h]="${times[$h]:-} $t"
        printf 'run %d %-9s %.2f s\n' "$i" "$h" "$t"
        "$shoal" down --state "$work/state-$h" >/dev/null
    done
done
for h in "${hosts[@]}"; do
    printf '%-9s ' "$h"
    printf '%s\n' ${times[$h]} | sort -n | awk '{a[NR]=$1} END {printf "min %.2f s, median %.2f s, max %.2f s\n", a[1], a[int((NR+1)/2)], a[NR]}'
done
