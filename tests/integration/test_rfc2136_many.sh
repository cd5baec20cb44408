#!/usr/bin/env bash
# rfc2136 provider: a 100-name order (n0.example.test ... n99.example.test) in
# one run.  The 100 TXT records go in one UPDATE, which is too large for UDP
# and goes over TCP; cleanup removes all of them, again in one message.  All
# the 300-odd ACME requests go over one HTTP/2 connection to Pebble: strace
# counts the client's connect() calls to Pebble's port.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-32}

D=$(bed_tmpdir)
bed_up "$D"

args=() names=()
for i in $(seq 0 99); do
    args+=(-d "n$i.example.test")
    names+=("n$i.example.test")
done
# The binary under test, its connect() calls written down by strace (LeakSanitizer
# cannot work under ptrace: the sanitized build checks leaks in every other test).
printf '#!/bin/sh\nexport ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"\nexec strace -f -qq -e trace=connect -o "%s/connect.log" "%s" "$@"\n' "$D" "$ACME_DNS" >"$D/traced"
chmod +x "$D/traced"
rc=0
ACME_DNS="$D/traced" bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$D/tsig-sha512.key" "${args[@]}" -v -v >"$D/out.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 0)"
fi
C=$D/state/certs/n0.example.test
bed_verify_cert "$D" "$C" n0.example.test n50.example.test n99.example.test
sans=$(openssl x509 -in "$C/cert.pem" -noout -ext subjectAltName | tail -n +2 | tr ',' '\n' | sed 's/^ *//')
for n in "${names[@]}"; do
    grep -qxF "DNS:$n" <<<"$sans" || fail "the certificate does not name $n"
done
assert_contains "$D/out.log" "add 100 TXT records"
assert_contains "$D/out.log" "over TCP"
assert_contains "$D/out.log" "added 100 TXT records to zone example.test"
assert_contains "$D/out.log" "removed 100 TXT records from zone example.test"
assert_eq 1 "$(grep -c 'UPDATE zone example.test: add' "$D/out.log")" "number of UPDATE messages"
# One connection to the CA, HTTP/2, for every request of the run.
assert_eq 1 "$(grep -c 'htons(14000)' "$D/connect.log")" "connections to Pebble (strace)"
grep -Eq "; [0-9]{3} HTTP requests to the CA over 1 connection \(HTTP/2\)$" "$D/out.log" ||
    fail "the timings line does not say: 300-odd requests over 1 connection (HTTP/2)"
left=$(dig +noall +answer -k "$TSIG_KEYFILE" @"$DNS_PRIMARY" example.test AXFR | awk '$4 == "TXT"' | wc -l)
assert_eq 0 "$left" "TXT records left in example.test"
echo "PASS: test_rfc2136_many"
