#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/ (one binary, ASan + libFuzzer) and runs each target for a bounded
# time on its seed corpus (Fuzz/Corpus/<target>/, and Fuzz/Dictionaries/<target>.dict when there is one),
# then prints executions and crashes per target.
#
#   scripts/fuzz.sh [target...]        FUZZ_SECONDS (default 60) per target; no target names: all of them.
#
# New corpus entries and crash artifacts go under .build-fuzz/runs/<target>/ (never into the repo).
# Exits non-zero when any target crashed, hung (-timeout) or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
SCRATCH=.build-fuzz
ALL_TARGETS=(crlf-decoder smtp-session proxy-protocol http-request http-host admin-json ipvs-rules director-yaml mail-node-yaml icp
    pop3-command imap-command mime web-request html-sanitizer webmail-form cache-headers ipvs-netlink http-server vrrp ipvs-sync webmail-multipart admin-answer
    smtp-data-spans http-head-parser)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

# The largest input each target gets: protocol limits where there is one.
max_len() {
    case "$1" in
        http-host) echo 512 ;;
        proxy-protocol) echo 1024 ;;
        icp) echo 16400 ;;
        *) echo 8192 ;;
    esac
}

BUILD_FLAGS=(--package-path Fuzz --scratch-path "$SCRATCH" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
swift build "${BUILD_FLAGS[@]}" --product ShoalFuzz
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/ShoalFuzz"

SUMMARY="$SCRATCH/runs/summary.txt"
mkdir -p "$SCRATCH/runs"
printf '%-16s %12s %10s %8s  %s\n' target executions exec/s crashes artifact > "$SUMMARY"
failed=0
for target in "${TARGETS[@]}"; do
    run="$SCRATCH/runs/$target"
    mkdir -p "$run/corpus" "$run/artifacts"
    rm -f "$run"/artifacts/*
    echo "== $target: ${SECONDS_PER_TARGET}s"
    dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
    status=0
    SHOAL_FUZZ_TARGET="$target" LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp" "$BIN" "$run/corpus" "Fuzz/Corpus/$target" \
        -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$target")" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$run/artifacts/" -print_final_stats=1 ${dict[@]+"${dict[@]}"} > "$run/log.txt" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log.txt" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log.txt" | tail -1)
    artifacts=("$run"/artifacts/*)
    crashes=0
    [ -e "${artifacts[0]}" ] && crashes=${#artifacts[@]}
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    [ "$crashes" -ne 0 ] && failed=1
    printf '%-16s %12s %10s %8s  %s\n' "$target" "${executions:-?}" "${rate:-?}" "$crashes" \
        "$([ -e "${artifacts[0]}" ] && echo "${artifacts[*]}")" | tee -a "$SUMMARY"
    if [ "$status" -ne 0 ]; then
        echo "   $target exited $status; see $run/log.txt" >&2
        grep -m1 -E 'ERROR: |invariant failed|Fatal error|SUMMARY' "$run/log.txt" >&2 || true
    fi
done
echo
cat "$SUMMARY"
exit "$failed"
