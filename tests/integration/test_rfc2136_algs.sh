#!/usr/bin/env bash
# rfc2136 provider against BIND 9: a name plus its wildcard (two TXT values at
# one name, one UPDATE) for every TSIG algorithm, with the key given
# as a BIND key file and through the environment.  Each run must leave no TXT
# record behind and never print the secret, even with -v -v.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-30}

D=$(bed_tmpdir)
bed_up "$D"

secret_of() { sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$1"; }

# issue LABEL ARGS...: one run for LABEL.example.test and *.LABEL.example.test
# (names of its own, so the CA has no valid authorization to reuse and every
# run presents both records); certificate in state/certs/LABEL.
issue() {
    local label=$1 rc=0
    shift
    bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --cert-name "$label" -d "$label.example.test" -d "*.$label.example.test" -v -v "$@" \
        >"$D/$label.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        tail -n 40 "$D/$label.log" >&2
        fail "$label: acme-dns exited $rc (expected 0)"
    fi
    bed_verify_cert "$D" "$D/state/certs/$label" "$label.example.test" "*.$label.example.test"
    assert_contains "$D/$label.log" "added 2 TXT records to zone example.test"
    assert_contains "$D/$label.log" "removed 2 TXT records from zone example.test"
    assert_eq "" "$(bed_txt "$D" "_acme-challenge.$label.example.test")" "$label: TXT left behind"
}

# Key files, all six algorithms.
for a in md5 sha1 sha224 sha256 sha384 sha512; do
    issue "file-$a" --provider-opt "tsig-keyfile=$D/tsig-$a.key"
    assert_contains "$D/file-$a.log" "hmac-$a"
    assert_not_contains "$D/file-$a.log" "$(secret_of "$D/tsig-$a.key")"
    echo "ok: key file hmac-$a"
done

# Environment: name, algorithm and secret.
for a in sha256 sha384 sha512 md5; do
    s=$(secret_of "$D/tsig-$a.key")
    ACME_DNS_RFC2136_TSIG_NAME=acme-$a ACME_DNS_RFC2136_TSIG_ALGORITHM=hmac-$a \
        ACME_DNS_RFC2136_TSIG_SECRET=$s issue "env-$a"
    assert_not_contains "$D/env-$a.log" "$s"
    echo "ok: environment hmac-$a"
done

# Environment: a key file.
ACME_DNS_RFC2136_TSIG_KEYFILE=$D/tsig-sha384.key issue env-keyfile
assert_contains "$D/env-keyfile.log" "hmac-sha384"
assert_not_contains "$D/env-keyfile.log" "$(secret_of "$D/tsig-sha384.key")"

# Options: name, algorithm and secret (the core redacts the secret option).
s=$(secret_of "$D/tsig-sha224.key")
issue opt-sha224 --provider-opt tsig-name=acme-sha224 --provider-opt tsig-algorithm=hmac-sha224 \
    --provider-opt "tsig-secret=$s"
assert_not_contains "$D/opt-sha224.log" "$s"

echo "PASS: test_rfc2136_algs"
