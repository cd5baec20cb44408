#!/usr/bin/env bash
# rfc2136 provider with a key the server rejects: a wrong secret (BADSIG) and
# an unknown key name (BADKEY) end with exit 4, a message that says what to
# fix, no certificate files and no TXT record left.  Malformed keys are
# refused before anything is sent (exit 3, with the line of the key file).
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-31}

D=$(bed_tmpdir)
bed_up "$D"
WRONG=c2VjcmV0LXRoYXQtdGhlLXNlcnZlci1kb2VzLW5vdC1rbm93  # base64, not the bed's secret

# run NAME EXPECTED_RC ARGS...
run() {
    local name=$1 want=$2
    shift 2
    bed_acme_expect "$D" "$want" "$D/$name.log" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --cert-name "$name" -d example.test -d '*.example.test' -v "$@"
    [ ! -e "$D/state/certs/$name/cert.pem" ] || fail "$name: a certificate was written"
    [ ! -e "$D/state/certs/$name/privkey.pem" ] || fail "$name: a private key was written"
    assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "$name: TXT left behind"
}

run badsig 4 --provider-opt tsig-name=acme-key --provider-opt "tsig-secret=$WRONG"
assert_contains "$D/badsig.log" "TSIG key rejected by $DNS_PRIMARY (BADSIG): check the secret and algorithm"
assert_not_contains "$D/badsig.log" "$WRONG"

# The right secret with the wrong algorithm: BIND knows no such key.
run badalg 4 --provider-opt tsig-name=acme-key --provider-opt tsig-algorithm=hmac-sha512 \
    --provider-opt "tsig-secret=$TSIG_SECRET"
assert_contains "$D/badalg.log" "(BADKEY)"
assert_contains "$D/badalg.log" "does not know key acme-key with hmac-sha512"
assert_not_contains "$D/badalg.log" "$TSIG_SECRET"

run badkey 4 --provider-opt tsig-name=no-such-key --provider-opt "tsig-secret=$TSIG_SECRET"
assert_contains "$D/badkey.log" "does not know key no-such-key with hmac-sha256"

# Malformed key files and values: refused at start (exit 3).
printf 'key "acme-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n' "$TSIG_SECRET" >"$D/nobrace.key"
run nobrace 3 --provider-opt "tsig-keyfile=$D/nobrace.key"
assert_contains "$D/nobrace.log" "$D/nobrace.key line 4"
assert_not_contains "$D/nobrace.log" "$TSIG_SECRET"

printf 'key "acme-key" {\n\talgorithm hmac-sha256;\n\tsecret "not*base64";\n};\n' >"$D/b64.key"
run b64 3 --provider-opt "tsig-keyfile=$D/b64.key"
assert_contains "$D/b64.log" "line 3: TSIG secret of key acme-key is not valid base64"

run alg 3 --provider-opt "tsig-keyfile=$TSIG_KEYFILE" --provider-opt tsig-algorithm=hmac-sha3
assert_contains "$D/alg.log" "unknown TSIG algorithm \"hmac-sha3\""

echo "PASS: test_rfc2136_badkey"
