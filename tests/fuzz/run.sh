#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -DAD_FUZZ=ON, in build-fuzz/) and run each for SECONDS
# (default 20) on its seed corpus (tests/fuzz/corpus/NAME, read only) plus what it finds (in
# build-fuzz/fuzz-runs/NAME.corpus), as many at once as there are cores.  Fails on any crash,
# leak (LeakSanitizer), undefined behaviour, timeout (-timeout) or memory blow-up
# (-rss_limit_mb), showing the report and keeping the input in build-fuzz/fuzz-runs/.
# Prints per target the executions, coverage (cov: edges, ft: features) and corpus size.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (run from anywhere; TARGET: dns_answer ...)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
shift || true
case $secs in '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
jobs=$(nproc)
command -v clang >/dev/null || { echo "fuzz: clang is missing: run tests/deps.sh as root" >&2; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DAD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs" >/dev/null
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
    for f in build-fuzz/fuzz/fuzz_*; do targets+=("${f##*/fuzz_}"); done
fi
out=build-fuzz/fuzz-runs
rm -rf "$out"
mkdir -p "$out"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {
    local t=$1 rc=0
    [ -x "build-fuzz/fuzz/fuzz_$t" ] || { echo "no fuzz target $t" >"$out/$t.log"; echo 1 >"$out/$t.rc"; return; }
    mkdir -p "$out/$t.corpus"
    "build-fuzz/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$out/$t-" "$out/$t.corpus" "tests/fuzz/corpus/$t" \
        >"$out/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$out/$t.rc"
}

echo "fuzz: ${#targets[@]} targets, $secs s each, $jobs at a time"
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_one "$t" &
done
wait
passed=0 failed=0
printf '%-18s %-6s %12s %8s %8s %8s\n' target result execs cov ft corpus
for t in "${targets[@]}"; do
    rc=$(cat "$out/$t.rc")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$out/$t.log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    if [ "$rc" = 0 ]; then res=ok; passed=$((passed + 1)); else res=FAIL; failed=$((failed + 1)); fi
    printf '%-18s %-6s %12s %8s %8s %8s\n' "$t" "$res" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
done
for t in "${targets[@]}"; do
    [ "$(cat "$out/$t.rc")" = 0 ] && continue
    echo "---- fuzz_$t failed (exit $(cat "$out/$t.rc")); the input is in $out/$t-*; its log:" >&2
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$out/$t.log" | tail -n 60 >&2
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
