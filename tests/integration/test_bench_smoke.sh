#!/usr/bin/env bash
# A quick run of the benchmark script (tests/bench/bench.sh) with acme-dns alone:
# scenarios A, L and B once each, R with 3 certificates, BIND's notify-delay at 1 s so that the settle
# time is short, no peers and no packages to install.  Fails when the script
# breaks: it must exit 0 and its table must show every run passed, with the
# figures the benchmark reports (CA requests, DNS UPDATEs) filled in.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
: "${ACME_DNS:?set ACME_DNS to the acme-dns binary}"
id=${BED_ID:-100}
D=$(mktemp -d "${TMPDIR:-/tmp}/acme-dns-bench-smoke.XXXXXX")

rc=0
bash "$SRC/tests/bench/bench.sh" --tools acme-dns --b-tools acme-dns --scenarios A,L,B,R --runs 1 \
    --r-tools acme-dns --r-certs 3 \
    --notify-delay 1 --bed-id "$id" --results "$D/results" --work "$D/work" --no-install \
    >"$D/bench.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 40 "$D/bench.log" >&2
    fail "bench.sh exited $rc (files kept in $D)"
fi
md=$D/results/results.md
tsv=$D/results/runs.tsv
assert_contains "$md" "| A | **acme-dns (rfc2136)** | 1/1 |"
assert_contains "$md" "| L | **acme-dns (rfc2136)** | 1/1 |"
assert_contains "$md" "| B | **acme-dns (rfc2136)** | 1/1 |"
assert_contains "$md" "process floor"
assert_contains "$D/bench.log" "settling 2 s (notify-delay 1 s + 1 s) before every timed run"
assert_contains "$md" "| **acme-dns (rfc2136)** | 2/2 | 3 |"
# R: the three renewed in one run over one HTTPS connection to the CA, one UPDATE
# each way for the one zone.
assert_eq "1 1 2 3" "$(awk -F'\t' '$1 == "R" {print $5, $16, $12, $17}' "$tsv")" "R: passed, connections, UPDATEs, certificates"
# Every run: passed, a CA request count and one UPDATE each way for the one zone.
awk -F'\t' 'NR > 1 && ($5 != 1 || $9 < 10 || $12 != 2) {print; bad = 1} END {exit bad}' "$tsv" ||
    fail "runs.tsv has a run that failed or lacks its figures (files kept in $D)"
# The figures are the client's own (inner stopwatch), the wrapping's are kept
# beside them and are larger: wrapped_wall_s ($13) >= wall_s ($6), wrapped_cpu_s
# ($14) > cpu_s ($7) > 0.
assert_eq "wrapped_wall_s wrapped_cpu_s" "$(head -n 1 "$tsv" | cut -f13,14 | tr '\t' ' ')" "runs.tsv columns"
awk -F'\t' 'NR > 1 && $1 !~ /^R/ && !($7 > 0 && $14 > $7 && $13 >= $6) {print; bad = 1} END {exit bad}' "$tsv" ||
    fail "runs.tsv: the client's figures are not inside the wrapped ones (files kept in $D)"
ls "$D"/work/A/acme-dns.1/client.measure >/dev/null || fail "no client.measure for the A run"
# B: one order for the 100 names.
assert_eq 1 "$(awk -F'\t' '$1 == "B" {print $10}' "$tsv")" "orders at the CA in B"
[ -s "$D/results/bench.png" ] || fail "no chart at $D/results/bench.png"
file "$D/results/bench.png" 2>/dev/null | grep -q PNG || head -c 8 "$D/results/bench.png" | grep -q PNG ||
    fail "$D/results/bench.png is not a PNG"
rm -rf "$D"
echo "PASS: test_bench_smoke"
