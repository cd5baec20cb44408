#!/usr/bin/env bash
# rfc2136 provider: the TSIG secret never appears in the output, even with
# -v -v (debug), whether it comes from a key file, the environment or the
# tsig-secret option; a failing run (BADSIG) does not show it either.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-36}

D=$(bed_tmpdir)
bed_up "$D"

run() {
    local name=$1 want=$2 rc=0
    shift 2
    bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" --cert-name "$name" \
        -d "$name.example.test" -v -v "$@" >"$D/$name.log" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        tail -n 40 "$D/$name.log" >&2
        fail "$name: acme-dns exited $rc (expected $want)"
    fi
    assert_contains "$D/$name.log" "rfc2136"
    assert_not_contains "$D/$name.log" "$TSIG_SECRET"
    # nor any long piece of it
    assert_not_contains "$D/$name.log" "${TSIG_SECRET:0:16}"
}

run keyfile 0 --provider-opt "tsig-keyfile=$TSIG_KEYFILE"
ACME_DNS_RFC2136_TSIG_NAME=$TSIG_NAME ACME_DNS_RFC2136_TSIG_SECRET=$TSIG_SECRET run env 0
run option 0 --provider-opt "tsig-name=$TSIG_NAME" --provider-opt "tsig-secret=$TSIG_SECRET"
# A good secret under another key's name: rejected, and still not shown.
run rejected 4 --provider-opt tsig-name=acme-sha512 --provider-opt "tsig-secret=$TSIG_SECRET"
assert_contains "$D/rejected.log" "(BADKEY)"
run badsig 4 --provider-opt tsig-name=acme-sha256 --provider-opt "tsig-secret=$TSIG_SECRET"
assert_contains "$D/badsig.log" "(BADSIG)"
echo "PASS: test_rfc2136_verbose"
