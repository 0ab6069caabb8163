#!/usr/bin/env bash
# Kernel IPVS in a VM (this host's kernel has no ip_vs): boots Debian's kernel once under TCG with
# scripts/ipvs-vm.sh and runs scripts/bench-ipvs-vm-scenario.sh there:
#   - the time to apply a 10,000-server table (100 services x 100 servers, VS/NAT) with ipvsadm -R and with
#     shoal ipvsadm -R (Shoal's generic netlink client), interleaved, RUNS times;
#   - requests/s (wrk, keep-alive and Connection: close) through kernel IPVS VS/NAT and VS/DR, the nftables
#     dataplane (VS/NAT, VS/DR), the userspace director and straight to one real server, interleaved, RUNS times.
# TCG emulates every instruction, so absolute figures mean nothing: read the ratios.
# Usage: scripts/bench-ipvs-vm.sh SHOAL_BINARY
# Environment: RUNS (3), WRK_DURATION (3s), WRK_CONNECTIONS (8), IPVS_VM_TIMEOUT (default 2400 here).
set -euo pipefail
shoal=$(readlink -f "$1")
runs=${RUNS:-3}
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/shoal-bench-ipvs.XXXXXX)"
trap 'rm -rf "$work"' EXIT
for s in $(seq 1 100); do
    echo "-A -t 10.50.$((s / 256)).$((s % 256)):80 -s wrr"
    for d in $(seq 1 100); do echo "-a -t 10.50.$((s / 256)).$((s % 256)):80 -r 10.60.$s.$d:80 -m -w $d"; done
done > "$work/table.rules"
printf 'RUNS=%s\nWRK_DURATION=%s\nWRK_CONNECTIONS=%s\n' "$runs" "${WRK_DURATION:-3s}" "${WRK_CONNECTIONS:-8}" > "$work/bench.env"
IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-2400} IPVS_VM_MEMORY=1536 IPVS_VM_TOOLS="wrk nginx" \
IPVS_VM_MODULES="bridge nf_tables nft_chain_nat nft_nat nft_numgen nft_hash nft_fwd_netdev nft_ct nft_objref" \
    "$here/ipvs-vm.sh" "$here/bench-ipvs-vm-scenario.sh" "$shoal" "$work/table.rules" "$work/bench.env" | tr -d '\r' > "$work/console.log"
grep -q '=== SCENARIO EXIT' "$work/console.log" || { cat "$work/console.log"; echo "error: the VM did not finish" >&2; exit 1; }
grep '^@@@ \(READY\|SERVERS\|SAME\|DIFFERENT\|CONNTRACK\)' "$work/console.log" | sed 's/^@@@ /    /'
if grep -q '^@@@ READY .* no$\|^@@@ DIFFERENT' "$work/console.log"; then
    sed -n '/=== SCENARIO START/,$p' "$work/console.log" | tail -60
    echo "error: a target did not answer, or the two tools left different tables" >&2; exit 1
fi
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {print lo "–" hi}'; }
echo
echo "Applying 10,000 servers (100 services x 100 VS/NAT servers, 10,100 lines), seconds under TCG:"
echo
echo "| run | ipvsadm -R | shoal ipvsadm -R | shoal/ipvsadm |"
echo "|---|---|---|---|"
declare -A apply=()
for run in $(seq 1 "$runs"); do
    a=$(awk -v r="$run" '$1=="@@@" && $2=="APPLY" && $3==r && $4=="ipvsadm" {print $5/100}' "$work/console.log")
    b=$(awk -v r="$run" '$1=="@@@" && $2=="APPLY" && $3==r && $4=="shoal" {print $5/100}' "$work/console.log")
    apply[ipvsadm]+="$a "; apply[shoal]+="$b "
    printf '| %s | %s | %s | %.2f |\n' "$run" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done
starts=$(awk '$1=="@@@" && $2=="START" {printf "%s ", $4/100}' "$work/console.log")
a=$(echo "${apply[ipvsadm]}" | median); b=$(echo "${apply[shoal]}" | median)
printf '| median | %s (%s) | %s (%s) | %.2f |\n' "$a" "$(echo "${apply[ipvsadm]}" | spread)" "$b" "$(echo "${apply[shoal]}" | spread)" "$(echo "$b / $a" | bc -l)"
echo
echo "shoal's own start (shoal ipvsadm -L -n of an empty table), seconds: $starts; saved lines: $(awk '$1=="@@@" && $2=="APPLY" {printf "%s ", $6}' "$work/console.log")"
echo
echo "| run | mode | target | requests/s |"
echo "|---|---|---|---|"
declare -A results=()
targets="direct ipvs-nat ipvs-dr nft-nat nft-dr proxy"
while read -r _ _ run mode target rps; do
    results[$mode-$target]+="$rps "
    echo "| $run | $mode | $target | $rps |"
done < <(grep '^@@@ RPS ' "$work/console.log")
echo
echo "| mode | direct | IPVS NAT | IPVS DR | nft NAT | nft DR | userspace | IPVS NAT/direct | IPVS DR/direct | nft NAT/direct | nft DR/direct | userspace/direct |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for mode in keepalive close; do
    row="| $mode"; ratios=""
    d=$(echo "${results[$mode-direct]}" | median)
    for t in $targets; do
        m=$(echo "${results[$mode-$t]}" | median)
        row+=" | $m ($(echo "${results[$mode-$t]}" | spread))"
        [ "$t" = direct ] || ratios+=" | $(printf '%.2f' "$(echo "$m / $d" | bc -l)")"
    done
    echo "$row$ratios |"
done
echo
echo "medians (min–max) of $runs interleaved runs; wrk -t1 -c${WRK_CONNECTIONS:-8} -d${WRK_DURATION:-3s}; one TCG vCPU; host load $(cut -d' ' -f1-3 /proc/loadavg)"
