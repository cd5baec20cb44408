#!/usr/bin/env bash
# rfc2136 provider with CNAME delegation: _acme-challenge.cname.example.test is
# a CNAME to cname.validation.test; the record is written in validation.test
# (its own zone on the primary) and the CA validates through the CNAME.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-33}

D=$(bed_tmpdir)
bed_up "$D"

rc=0
bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -d cname.example.test -v -v >"$D/out.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 0)"
fi
bed_verify_cert "$D" "$D/state/certs/cname.example.test" cname.example.test
assert_contains "$D/out.log" "added 1 TXT record to zone validation.test"
assert_contains "$D/out.log" "removed 1 TXT record from zone validation.test"
assert_not_contains "$D/out.log" "to zone example.test"
assert_eq "" "$(bed_txt "$D" cname.validation.test)" "TXT left at cname.validation.test"
# The CNAME itself is untouched.
assert_eq "cname.validation.test." \
    "$(dig +short +norecurse @"$DNS_PRIMARY" _acme-challenge.cname.example.test CNAME)" "CNAME"
echo "PASS: test_rfc2136_cname"
