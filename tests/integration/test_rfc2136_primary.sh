#!/usr/bin/env bash
# rfc2136 provider against a PowerDNS or a Knot primary (argument pdns|knot; BIND has
# test_rfc2136_algs.sh and test_rfc2136_badkey.sh): a name plus its wildcard (two TXT
# values at one name, one UPDATE) for each of the six TSIG algorithms; a wrong secret
# and a key the server knows but does not let update the zone end with exit 4, a
# message that says what to fix, no certificate files and no TXT record left.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
PRIMARY=${1:?usage: test_rfc2136_primary.sh pdns|knot}
export BED_ID=${BED_ID:-40} BED_PRIMARY=$PRIMARY

D=$(bed_tmpdir)
bed_up "$D"
WRONG=c2VjcmV0LXRoYXQtdGhlLXNlcnZlci1kb2VzLW5vdC1rbm93 # base64, not the bed's secret

# run LABEL EXPECTED_RC ARGS...: one run for LABEL.example.test and *.LABEL.example.test;
# nothing may be left at the primary, the only authoritative server here.
run() {
    bed_acme_expect "$D" "$2" "$D/$1.log" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --cert-name "$1" -d "$1.example.test" -d "*.$1.example.test" -v "${@:3}"
    assert_eq "" "$(bed_txt "$D" "_acme-challenge.$1.example.test")" "$1: TXT left at the $PRIMARY primary"
}

for a in $BED_ALGS; do
    run "$a" 0 --provider-opt "tsig-keyfile=$D/tsig-$a.key"
    bed_verify_cert "$D" "$D/state/certs/$a" "$a.example.test" "*.$a.example.test"
    assert_contains "$D/$a.log" "added 2 TXT records to zone example.test"
    assert_contains "$D/$a.log" "removed 2 TXT records from zone example.test"
    echo "ok: $PRIMARY, hmac-$a"
done

# refused LABEL ARGS...: a run refused by the primary, in a state folder of its own (so
# that what it leaves in its journal does not meet the next run): exit 4, no
# certificate and no key written.
refused() {
    local label=$1
    shift
    run "$label" 4 --state-dir "$D/state-$label" "$@"
    [ ! -e "$D/state-$label/certs/$label/cert.pem" ] || fail "$label: a certificate was written"
    [ ! -e "$D/state-$label/certs/$label/privkey.pem" ] || fail "$label: a private key was written"
    assert_not_contains "$D/$label.log" "an earlier run left behind"
}

refused badsig --provider-opt tsig-name=acme-key --provider-opt "tsig-secret=$WRONG"
assert_not_contains "$D/badsig.log" "$WRONG"
refused denied --provider-opt "tsig-keyfile=$D/tsig-denied.key"
case $PRIMARY in
pdns) # PowerDNS: an unsigned REFUSED for a key it cannot verify, a signed one for a key not allowed
    assert_contains "$D/badsig.log" \
        "refused the update (REFUSED) in an unsigned reply: it did not accept key acme-key (hmac-sha256): check the secret"
    assert_contains "$D/denied.log" \
        "refused the update (REFUSED): check that key acme-denied may update zone example.test"
    ;;
knot) # Knot: BADSIG for a wrong secret, NOTAUTH + BADKEY for a key its ACL denies
    assert_contains "$D/badsig.log" "TSIG key rejected by $DNS_PRIMARY (BADSIG): check the secret and algorithm"
    assert_contains "$D/denied.log" "(BADKEY)"
    assert_contains "$D/denied.log" "the zone's update ACL"
    ;;
esac
echo "PASS: test_rfc2136_primary $PRIMARY"
