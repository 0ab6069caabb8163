#!/usr/bin/env bash
# The director demo: build a rule set with ipvsadm syntax, list it, and replay a connection trace.
set -euo pipefail
shoal="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rules="$work/lvs.rules"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A web service with three real servers, built one ipvsadm command at a time"
for cmd in \
    "-A -t 10.0.0.1:80 -s wrr" \
    "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 3" \
    "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 2" \
    "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 1"; do
    echo "shoal ipvsadm --rules lvs.rules $cmd"
    # shellcheck disable=SC2086
    "$shoal" ipvsadm --rules "$rules" $cmd
done

step "ipvsadm -L -n"
"$shoal" ipvsadm --rules "$rules" -L -n

step "ipvsadm -S -n (the rules file itself)"
"$shoal" ipvsadm --rules "$rules" -S -n

step "A bad batch on -R is rejected whole, naming the line"
printf -- '-A -t 10.0.0.2:443 -s rr\n-a -t 10.0.0.2:443 -r 192.168.10.11:443 -w 70000\n' \
    | "$shoal" ipvsadm --rules "$rules" -R || echo "(exit status $?; the table is unchanged)"
"$shoal" ipvsadm --rules "$rules" -L -n | tail -n +2

step "Capacity planning: replay Demo/trace.csv through Demo/lvs.rules (wlc with persistence, and rr for DNS)"
"$shoal" ipvsadm --rules "$here/Demo/lvs.rules" -L -n
echo
"$shoal" simulate --rules "$here/Demo/lvs.rules" --trace "$here/Demo/trace.csv"

step "wrr over 12 connections from the demo rules built above"
for i in $(seq 1 12); do echo "$i,198.51.100.$i:4000$((i % 10)),tcp,10.0.0.1:80,60"; done > "$work/trace.csv"
"$shoal" simulate --rules "$rules" --trace "$work/trace.csv"
