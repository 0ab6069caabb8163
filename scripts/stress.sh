#!/usr/bin/env bash
# Fault and abuse scenarios against a shoal binary, on loopback only (127.0.120.0-127.0.126.255):
# mail node SIGKILL under load (store invariants, lock recovery), connection churn with a backend killed and
# restarted (and RSS per 10,000 closed connections), slow-client floods on every listening port, conflicting
# admin edits, reload storms. Each scenario prints PASS/FAIL with its numbers, then a summary table.
#
# Usage: scripts/stress.sh SHOAL_BINARY [stress.py options, e.g. --only churn,mail-kill]
# Environment: STRESS_SECONDS (300): the load phases' total time budget; the whole run takes about
#              1.3 times as long (start-up, checks, the 10 s lock-staleness wait).
# Exit status: 0 when every invariant held, 1 when any broke, 2 on a usage error.
set -euo pipefail
shoal="${1:?usage: scripts/stress.sh SHOAL_BINARY [options]}"
shift
[ -x "$shoal" ] || { echo "error: $shoal is not an executable (make stress builds it)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "error: python3 not found (apt-get install python3)" >&2; exit 2; }
command -v ss >/dev/null || { echo "error: ss not found (apt-get install iproute2)" >&2; exit 2; }
# Every slow or proxied connection costs descriptors; raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
work="$(mktemp -d /tmp/shoal-stress.XXXXXX)"
chmod 755 "$work"
cleanup() {
    # stress.py stops its processes itself; this catches whatever a crash or a signal left behind.
    if [ -f "$work/pids" ]; then
        while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$work/pids"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PYTHONDONTWRITEBYTECODE=1 python3 "$(dirname "$0")/stress/stress.py" --shoal "$(realpath "$shoal")" --work "$work" \
    --seconds "${STRESS_SECONDS:-300}" "$@"
