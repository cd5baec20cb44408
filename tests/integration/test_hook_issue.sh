#!/usr/bin/env bash
# Issue a certificate for example.test and *.example.test (two TXT values at one
# name) through the hook provider with examples/hooks/nsupdate.sh.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-11}

D=$(bed_tmpdir)
bed_up "$D"

export ACME_DNS_NSUPDATE_SERVER=$DNS_SERVER
export ACME_DNS_NSUPDATE_KEYFILE=$TSIG_KEYFILE
rc=0
bed_acme "$D" --provider hook --provider-opt "script=$SRC/examples/hooks/nsupdate.sh" \
    -d example.test -d '*.example.test' -v >"$D/out.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 0)"
fi

C=$D/state/certs/example.test
bed_verify_cert "$D" "$C" example.test '*.example.test'
assert_eq 600 "$(stat -c %a "$C/privkey.pem")" "mode of privkey.pem"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left at _acme-challenge.example.test"
# The TSIG secret never reaches the output.
assert_not_contains "$D/out.log" "$TSIG_SECRET"
echo "PASS: test_hook_issue"
