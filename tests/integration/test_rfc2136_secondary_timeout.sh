#!/usr/bin/env bash
# rfc2136 provider with a secondary that never catches up: the propagation
# check gives up after --propagation-timeout with a message naming the
# secondary, exit 5, the CA is never asked to validate, and the records are
# removed from the primary.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-35}
export BED_SECONDARY=1 BED_SECONDARY_HOLD=1 BED_PEBBLE_DNS=secondary

D=$(bed_tmpdir)
bed_up "$D"

rc=0
start=$SECONDS
bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -d example.test -d '*.example.test' \
    --propagation-timeout 5 >"$D/out.log" 2>&1 || rc=$?
took=$((SECONDS - start))
cat "$D/out.log"
assert_eq 5 "$rc" "exit status"
[ "$took" -lt 60 ] || fail "the run took $took s with a 5 s propagation timeout"
assert_contains "$D/out.log" "$DNS_SECONDARY"
assert_contains "$D/out.log" "removed 2 TXT records from zone example.test"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left on the primary"
[ ! -e "$D/state/certs/example.test/cert.pem" ] || fail "a certificate was written"
if grep -q 'POST /chalZ/' "$D/pebble.log"; then fail "the CA was asked to validate"; fi
echo "PASS: test_rfc2136_secondary_timeout"
