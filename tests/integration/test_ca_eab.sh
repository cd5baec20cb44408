#!/usr/bin/env bash
# External account binding against Pebble 2.4 configured to require it
# (externalAccountBindingRequired, externalAccountMACKeys): the directory says so; without a
# binding, issue stops before any account or order with a message naming --eab-kid,
# --eab-hmac-key-file and ACME_DNS_EAB_HMAC_KEY; a wrong key and an unknown key ID are refused
# by the CA with a clear message; the right key (from a file, and from the environment)
# makes the account and the certificate; renew makes a new account with the saved binding;
# the HMAC key never appears in any output (even at -vv), in settings.json or in the state
# folder.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-171}
unset ACME_DNS_RFC2136_TSIG_KEYFILE ACME_DNS_RFC2136_TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME ACME_DNS_EAB_HMAC_KEY

# Two keys as CAs hand them out: 48 random bytes, base64url without padding.
key() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("="))'; }
KEY1=$(key) KEY2=$(key) WRONG=$(key)
export BED_PEBBLE_EAB="{\"kid-1\": \"$KEY1\", \"kid-2\": \"$KEY2\"}"
D=$(bed_tmpdir)
bed_up "$D"
S=$D/state
C=$S/certs
export ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE

acme() { # NAME ARGS...: stdout in $D/NAME.out, stderr in $D/NAME.log, exit status in $rc
    local name=$1
    shift
    bed_cmd "$D" "$name" "$ACME_DNS" --state-dir "$S" --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" "$@"
}
expect() { bed_expect "$D" "$@"; }
issue() { # NAME CERT ARGS...
    local name=$1 cert=$2
    shift 2
    acme "$name" issue --agree-tos --dns-resolver "$DNS_SERVER" --provider rfc2136 \
        --provider-opt "server=$DNS_SERVER" -d "$cert.example.test" --cert-name "$cert" "$@"
}
posts() { grep -c "POST $1 " "$D/pebble.log" || true; }

acme dir directory
expect 0 dir
assert_contains "$D/dir.out" "external account needed: yes"

# ---------------------------------------------------------------- none given
accounts=$(posts /sign-me-up) orders=$(posts /order-plz)
issue none none
expect 2 none
assert_contains "$D/none.log" "needs an external account to make a new account"
assert_contains "$D/none.log" "--eab-kid KID"
assert_contains "$D/none.log" "ACME_DNS_EAB_HMAC_KEY"
assert_contains "$D/none.log" "--eab-hmac-key-file FILE"
assert_eq "$accounts $orders" "$(posts /sign-me-up) $(posts /order-plz)" "newAccount and newOrder requests"
[ ! -e "$C/none" ] || fail "a certificate folder without an account"

# --eab-kid without a key, or with one that is not base64url: refused before the CA.
issue nokey nokey --eab-kid kid-1
expect 2 nokey
assert_contains "$D/nokey.log" "--eab-kid kid-1: no HMAC key: set the environment variable ACME_DNS_EAB_HMAC_KEY to it, or give --eab-hmac-key-file FILE"
printf 'not*base64\n' >"$D/bad.key"
chmod 600 "$D/bad.key"
issue badkey badkey --eab-kid kid-1 --eab-hmac-key-file "$D/bad.key"
expect 2 badkey
assert_contains "$D/badkey.log" "is not base64url"
issue nokid nokid --eab-hmac-key-file "$D/bad.key"
expect 2 nokid
assert_contains "$D/nokid.log" "--eab-hmac-key-file: give the key ID too (--eab-kid KID)"
assert_eq "$accounts $orders" "$(posts /sign-me-up) $(posts /order-plz)" "newAccount and newOrder requests"

# ---------------------------------------------------------------- wrong key, unknown key ID
rm -rf "$S/accounts"
ACME_DNS_EAB_HMAC_KEY=$WRONG issue wrong wrong --eab-kid kid-1 -vv
expect 6 wrong
assert_contains "$D/wrong.log" "creating the account: the CA answered 40"
assert_contains "$D/wrong.log" "external account binding JWS verification error"
assert_contains "$D/wrong.log" "the CA refused the new account with the external account binding of key ID kid-1: check --eab-kid and the HMAC key"
rm -rf "$S/accounts"
ACME_DNS_EAB_HMAC_KEY=$KEY1 issue unknown unknown --eab-kid kid-9
expect 6 unknown
assert_contains "$D/unknown.log" "references a key that is not known to the ACME server"
assert_eq "$orders" "$(posts /order-plz)" "newOrder requests before any account"

# ---------------------------------------------------------------- the right key, from a file
rm -rf "$S/accounts"
printf '%s\n' "$KEY1" >"$D/eab.key"
chmod 600 "$D/eab.key"
issue file file --eab-kid kid-1 --eab-hmac-key-file "$D/eab.key" -vv
expect 0 file
bed_verify_cert "$D" "$C/file" file.example.test
assert_contains "$D/file.log" "created account"
python3 - "$C/file/settings.json" "$D/eab.key" <<'PY' || fail "settings.json of file: $(cat "$C/file/settings.json")"
import json, sys
a = json.load(open(sys.argv[1]))["account"]
assert a["eab_kid"] == "kid-1" and a["eab_hmac_key_file"] == sys.argv[2] and "eab_hmac_key_env" not in a, a
PY

# ---------------------------------------------------------------- from the environment
S2=$D/state2
ACME_DNS_EAB_HMAC_KEY=$KEY2 bed_cmd "$D" env "$ACME_DNS" --state-dir "$S2" --server "$ACME_DIR_URL" \
    --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --dns-resolver "$DNS_SERVER" --provider rfc2136 \
    --provider-opt "server=$DNS_SERVER" -d env.example.test --eab-kid kid-2 -vv
expect 0 env
bed_verify_cert "$D" "$S2/certs/env.example.test" env.example.test
assert_contains "$S2/certs/env.example.test/settings.json" '"eab_hmac_key_env":"ACME_DNS_EAB_HMAC_KEY"'

# ---------------------------------------------------------------- renew with the saved binding
# The account is gone: renew makes a new one with the binding saved beside the certificate.
rm -rf "$S/accounts"
acme renew renew --force --cert-name file
expect 0 renew
assert_contains "$D/renew.out" "file: renewed (forced"
assert_contains "$D/renew.log" "created account"
# From the environment: renew says which variable is missing.
rm -rf "$S2/accounts"
bed_cmd "$D" renew2 "$ACME_DNS" --state-dir "$S2" --ca-bundle "$ACME_CA_BUNDLE" renew --force
expect 10 renew2
assert_contains "$D/renew2.log" "no HMAC key: set the environment variable ACME_DNS_EAB_HMAC_KEY"
assert_contains "$D/renew2.out" "env.example.test: failed: no account at $ACME_DIR_URL"

# ---------------------------------------------------------------- the key is nowhere
for k in "$KEY1" "$KEY2" "$WRONG"; do
    for f in "$D"/*.out "$D"/*.log; do
        assert_not_contains "$f" "$k"
    done
    if grep -rqF -- "$k" "$S" "$S2"; then
        fail "an HMAC key is in the state folder: $(grep -rlF -- "$k" "$S" "$S2")"
    fi
done
echo "PASS: test_ca_eab"
