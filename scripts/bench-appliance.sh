#!/usr/bin/env bash
# Time from `shoal up Appliances/mail-cluster.yaml --wait` to all-healthy (slapd + 3 mail nodes + director, the
# director's own checks), RUNS times per host kind, the kinds interleaved within each run; `shoal down` after each.
# Usage: bench-appliance.sh SHOAL [RUNS] [HOSTS...]   (HOSTS default: loopback, and netns and podman when run as
# root). podman: one untimed up/down first builds the node image for this binary (its build time is printed apart).
# NETNS_PREFIX, CONTAINER_PREFIX and IMAGE name what the runs create (defaults shoal-bench-, shoal-bench-,
# localhost/shoal-node).
set -euo pipefail
shoal="$1"
runs="${2:-3}"
shift $(( $# >= 2 ? 2 : $# ))
hosts=("$@")
if [ ${#hosts[@]} -eq 0 ]; then
    hosts=(loopback)
    [ "$(id -u)" -eq 0 ] && hosts+=(netns)
    [ "$(id -u)" -eq 0 ] && command -v podman >/dev/null && hosts+=(podman)
fi
netns_prefix="${NETNS_PREFIX:-shoal-bench-}"
container_prefix="${CONTAINER_PREFIX:-shoal-bench-}"
image="${IMAGE:-localhost/shoal-node}"
options=(--netns-prefix "$netns_prefix" --container-prefix "$container_prefix" --image "$image")
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'for h in "${hosts[@]}"; do "$shoal" down --state "$work/state-$h" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
sed 's|^network:.*|network: 127.0.196.0/24|' "$here/Appliances/mail-cluster.yaml" > "$work/mail-cluster.yaml"
echo "mail-cluster up to all-healthy (check interval 1 s) on: ${hosts[*]}; $runs runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
declare -A times
if [[ " ${hosts[*]} " == *" podman "* ]]; then
    start=$(date +%s.%N)
    "$shoal" up "$work/mail-cluster.yaml" --hosts podman "${options[@]}" --wait --timeout 300 --state "$work/state-podman" >/dev/null
    printf 'podman image for this binary ready (built or found) and first up: %.2f s (not counted)\n' "$(echo "$(date +%s.%N) - $start" | bc -l)"
    "$shoal" down --state "$work/state-podman" >/dev/null
fi
for i in $(seq 1 "$runs"); do
    for h in "${hosts[@]}"; do
        start=$(date +%s.%N)
        "$shoal" up "$work/mail-cluster.yaml" --hosts "$h" "${options[@]}" --wait --state "$work/state-$h" >/dev/null
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
