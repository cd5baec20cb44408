#!/usr/bin/env bash
# CA features on one bed, against Pebble 2.4 itself (two chains: PEBBLE_ALTERNATE_ROOTS=1) and,
# for what Pebble 2.4 lacks (certificate profiles, ARI), through tests/fakes/ari_front.py:
# account show and update --email (Pebble's account shows the contact), issue --email updating
# an existing account; revoke (Pebble's cert-status-by-serial says Revoked, with the reason;
# again: already revoked; then renew replaces it, also when a kept ARI window says later);
# --reuse-key (the same public key after a forced renewal, a new one without it); the
# preferred chain by its topmost issuer's common name (the default otherwise, with a warning),
# kept by renew; profiles listed by directory, sent in newOrder, kept by renew, an unknown one
# refused before any order; account key-rollover (issuance with the new key, the old key
# refused by Pebble, a killed roll-over finished or forgotten by the next run); account
# deactivate (refused without --yes; later runs refused with a clear message, by us and by
# Pebble).
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/ari_front.sh
. "$SRC/tests/fakes/ari_front.sh"
export BED_ID=${BED_ID:-170}
export PEBBLE_ALTERNATE_ROOTS=1
# Every order counted below is sent once: no badNonce refusals (a refused newOrder is sent again).
export PEBBLE_WFE_NONCEREJECT=0
unset ACME_DNS_RFC2136_TSIG_KEYFILE ACME_DNS_RFC2136_TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME ACME_DNS_EAB_HMAC_KEY

D=$(bed_tmpdir)
bed_up "$D"
ari_front_up "$D"
S=$D/state
C=$S/certs
export ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE

# acme NAME ARGS...: acme-dns in the bed (state $S unless ARGS say otherwise), stdout in
# $D/NAME.out, stderr in $D/NAME.log, the exit status in $rc; expect RC NAME.
acme() {
    local name=$1
    shift
    bed_cmd "$D" "$name" "$ACME_DNS" --state-dir "$S" "$@"
}
expect() { bed_expect "$D" "$@"; }
pebble=(--server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE")
front=(--server "$ARI_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE")
dns=(--dns-resolver "$DNS_SERVER" --provider rfc2136 --provider-opt "server=$DNS_SERVER")
issue() { # NAME CERT ARGS...: issue certificate CERT for CERT.example.test
    local name=$1 cert=$2
    shift 2
    acme "$name" issue --agree-tos "${dns[@]}" -d "$cert.example.test" --cert-name "$cert" "$@"
}
serial() { openssl x509 -in "$C/$1/cert.pem" -noout -serial | sed 's/^serial=//'; }
pubkey() { openssl x509 -in "$C/$1/cert.pem" -noout -pubkey; }
status_of() { # SERIAL: Pebble's word on it (management API) into $D/status.json
    curl -sf --max-time 10 --cacert "$ACME_CA_BUNDLE" "$PEBBLE_MGMT_URL/cert-status-by-serial/$1" >"$D/status.json" ||
        fail "Pebble's management API knows no certificate of serial $1"
}
lower() { tr 'A-F' 'a-f' <<<"$1"; }
top_issuer() { # CERT: the issuer CN of the last certificate of chain.pem
    python3 - "$C/$1/chain.pem" <<'PY'
import re, subprocess, sys
pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", open(sys.argv[1]).read(), re.S)
out = subprocess.run(["openssl", "x509", "-noout", "-issuer", "-nameopt", "multiline"], input=pems[-1],
                     capture_output=True, text=True, check=True).stdout
print(re.search(r"commonName\s*=\s*(.*)", out).group(1).strip())
PY
}
root_cn() { # N: the common name of Pebble's root N
    curl -sf --max-time 10 --cacert "$ACME_CA_BUNDLE" "$PEBBLE_MGMT_URL/roots/$1" >"$D/root$1.pem"
    openssl x509 -in "$D/root$1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p'
}
orders() { grep -c '^POST /order-plz' "$D/ari/requests.log" || true; }
slug=$(sed 's|^https://||; s|[^A-Za-z0-9.-]|_|g' <<<"$ACME_DIR_URL")
A=$S/accounts/$slug

# ---------------------------------------------------------------- account show, update, --email
issue first rev "${pebble[@]}" --email one@example.test
expect 0 first
acme show1 account show "${pebble[@]}"
expect 0 show1
assert_contains "$D/show1.out" "account $(cat "$A/account.url")"
assert_contains "$D/show1.out" "status:   valid"
assert_contains "$D/show1.out" "contact:  mailto:one@example.test"
assert_contains "$D/show1.out" "key:      ec256 (ES256), $A/account.key"
acme update account update --email two@example.test "${pebble[@]}"
expect 0 update
acme show2 account show "${pebble[@]}"
expect 0 show2
assert_contains "$D/show2.out" "contact:  mailto:two@example.test"
assert_not_contains "$D/show2.out" "one@example.test"
# issue --email with an existing account of another contact updates it.
issue email other "${pebble[@]}" --email three@example.test
expect 0 email
assert_contains "$D/email.log" "is now mailto:three@example.test (it was mailto:two@example.test)"
acme show3 account show "${pebble[@]}"
expect 0 show3
assert_contains "$D/show3.out" "contact:  mailto:three@example.test"
acme noemail account update "${pebble[@]}"
expect 2 noemail
assert_contains "$D/noemail.log" "account update: give the new contact with --email ADDRESS"
acme nosub account "${pebble[@]}"
expect 2 nosub
assert_contains "$D/nosub.log" "account show, account update --email ADDRESS, account deactivate --yes or account key-rollover"

# ---------------------------------------------------------------- revoke, then renew replaces it
old=$(serial rev)
status_of "$old"
assert_contains "$D/status.json" '"Status": "Valid"'
acme badreason revoke --cert-name rev --reason stolen
expect 2 badreason
assert_contains "$D/badreason.log" "--reason stolen: not an RFC 5280 reason: use one of unspecified, keyCompromise"
acme noname revoke --cert-name nosuch
expect 2 noname
assert_contains "$D/noname.log" "revoke --cert-name nosuch: cannot read $C/nosuch/cert.pem"
acme revoke revoke --cert-name rev --reason keycompromise
expect 0 revoke
assert_contains "$D/revoke.out" "rev: revoked at $ACME_DIR_URL (serial $(lower "$old"), reason keyCompromise)"
status_of "$old"
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert s["Status"] == "Revoked" and s["Reason"] == 1, s' "$D/status.json" ||
    fail "Pebble does not show $old revoked with reason keyCompromise: $(head -c 300 "$D/status.json")"
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["revoked"]
assert r["serial"] == sys.argv[2] and r["reason"] == "keyCompromise" and r["at"], r' "$C/rev/state.json" \
    "$(lower "$old")" || fail "state.json does not record the revocation: $(cat "$C/rev/state.json")"
acme again revoke --cert-name rev
expect 0 again
assert_contains "$D/again.log" "was revoked already"
acme list certificates --json
expect 0 list
python3 -c 'import json, sys
d = {c["name"]: c for c in json.load(open(sys.argv[1]))["certificates"]}
assert d["rev"].get("revoked") is True and "revoked" not in d["other"], d' "$D/list.out" ||
    fail "certificates --json does not say rev is revoked: $(cat "$D/list.out")"
key_before=$(pubkey rev)
acme renew1 renew
expect 0 renew1
assert_contains "$D/renew1.out" "rev: renewed (revoked"
assert_contains "$D/renew1.out" "other: not due until"
[ "$(serial rev)" != "$old" ] || fail "renew did not replace the revoked certificate"
status_of "$(serial rev)"
assert_contains "$D/status.json" '"Status": "Valid"'
assert_not_contains "$C/rev/state.json" '"revoked"'
[ "$(pubkey rev)" != "$key_before" ] || fail "rev kept its key without --reuse-key"
bed_verify_cert "$D" "$C/rev" rev.example.test

# The CA with ARI (the front) whose window, kept from before, says later: revoked is due now.
issue ari ari "${front[@]}"
expect 0 ari
ari_window "$(date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ)" "$(date -u -d '+12 days' +%Y-%m-%dT%H:%M:%SZ)" 3600
acme ari1 renew --cert-name ari
expect 0 ari1
assert_contains "$D/ari1.out" "ari: not due until"
acme arirevoke revoke --cert-name ari --reason superseded
expect 0 arirevoke
old=$(serial ari)
: >"$D/ari/replaces.log"
acme ari2 renew --cert-name ari
expect 0 ari2
assert_contains "$D/ari2.out" "ari: renewed (revoked"
[ "$(serial ari)" != "$old" ] || fail "renew did not replace the revoked certificate of the ARI CA"

# ---------------------------------------------------------------- --reuse-key
issue reuse keep "${pebble[@]}" --reuse-key
expect 0 reuse
assert_contains "$C/keep/settings.json" '"reuse_key":true'
key1=$(pubkey keep) old=$(serial keep)
acme reuse2 renew --force --cert-name keep
expect 0 reuse2
[ "$(serial keep)" != "$old" ] || fail "keep was not renewed"
assert_eq "$key1" "$(pubkey keep)" "keep's public key after a forced renewal with --reuse-key"
assert_contains "$D/reuse2.log" "keep: keeping its private key"
bed_verify_cert "$D" "$C/keep" keep.example.test
assert_eq 600 "$(stat -c %a "$C/keep/privkey.pem")" "privkey.pem's mode"

# ---------------------------------------------------------------- preferred chain
r0=$(root_cn 0) r1=$(root_cn 1)
[ -n "$r0" ] && [ -n "$r1" ] && [ "$r0" != "$r1" ] || fail "Pebble's two roots: '$r0' and '$r1'"
issue chain1 alt "${pebble[@]}" --preferred-chain "$r1"
expect 0 chain1
assert_eq "$r1" "$(top_issuer alt)" "the topmost issuer of alt's chain"
openssl verify -CAfile "$D/root1.pem" -untrusted "$C/alt/chain.pem" "$C/alt/cert.pem" >/dev/null ||
    fail "alt's certificate does not verify against the preferred root"
assert_contains "$C/alt/settings.json" "\"preferred_chain\":\"$r1\""
acme chain2 renew --force --cert-name alt
expect 0 chain2
assert_eq "$r1" "$(top_issuer alt)" "the topmost issuer of alt's chain after renew"
issue chain3 dflt "${pebble[@]}"
expect 0 chain3
assert_eq "$r0" "$(top_issuer dflt)" "the topmost issuer of the default chain"
issue chain4 nomatch "${pebble[@]}" --preferred-chain "No Such Root"
expect 0 chain4
assert_eq "$r0" "$(top_issuer nomatch)" "the topmost issuer when no chain matches"
assert_contains "$D/chain4.log" "no chain the CA offers ends at No Such Root (topmost issuers: $r0, $r1): the default chain is kept"
bed_verify_cert "$D" "$C/nomatch" nomatch.example.test

# ---------------------------------------------------------------- profiles (through the front)
ari_profiles '{"classic": "The profile you know", "shortlived": "Six days, no OCSP"}'
acme dir directory "${front[@]}"
expect 0 dir
assert_contains "$D/dir.out" "profiles:                classic: The profile you know"
assert_contains "$D/dir.out" "shortlived: Six days, no OCSP"
acme dir2 directory "${pebble[@]}"
expect 0 dir2
assert_contains "$D/dir2.out" "profiles:                (none offered)"
: >"$D/ari/profiles.log"
issue prof prof "${front[@]}" --profile shortlived
expect 0 prof
assert_eq "shortlived" "$(cat "$D/ari/profiles.log")" "the profile of the new order"
assert_contains "$C/prof/settings.json" '"profile":"shortlived"'
acme prof2 renew --force --cert-name prof
expect 0 prof2
assert_eq "shortlived shortlived" "$(tr '\n' ' ' <"$D/ari/profiles.log" | sed 's/ $//')" "the profiles of the orders"
n=$(orders)
issue prof3 bad "${front[@]}" --profile nosuch
expect 2 prof3
assert_contains "$D/prof3.log" "--profile nosuch: the CA at $ARI_DIR_URL does not offer the profile nosuch; it offers: classic, shortlived"
assert_eq "$n" "$(orders)" "new orders after an unknown profile"
[ ! -e "$C/bad" ] || fail "a certificate folder for a refused profile"
issue prof4 bad "${pebble[@]}" --profile classic
expect 2 prof4
assert_contains "$D/prof4.log" "offers no certificate profiles (its directory has no meta.profiles), so not classic"
acme prof5 renew --profile classic
expect 2 prof5
assert_contains "$D/prof5.log" "--profile goes with issue"
# The CA stops offering the saved profile: renew says so for that certificate.
ari_profiles '{"classic": "The profile you know"}'
acme prof6 renew --force --cert-name prof
expect 10 prof6
assert_contains "$D/prof6.out" "prof: failed: its saved profile is refused: the CA at $ARI_DIR_URL does not offer the profile shortlived"
assert_eq 2 "$(wc -l <"$D/ari/profiles.log")" "orders after the profile went away"

# ---------------------------------------------------------------- account key-rollover
cp "$A/account.key" "$D/old.key"
url=$(cat "$A/account.url")
acme roll account key-rollover "${pebble[@]}" --account-key-type ec384
expect 0 roll
assert_contains "$D/roll.out" "account $url: new ec384 key in $A/account.key"
[ "$(openssl pkey -in "$A/account.key" -pubout)" != "$(openssl pkey -in "$D/old.key" -pubout)" ] ||
    fail "account.key did not change"
assert_eq "$url" "$(cat "$A/account.url")" "the account URL after the roll-over"
[ ! -e "$A/account.key.new" ] || fail "account.key.new left behind"
assert_eq 600 "$(stat -c %a "$A/account.key")" "account.key's mode"
issue newkey newkey "${pebble[@]}"
expect 0 newkey
bed_verify_cert "$D" "$C/newkey" newkey.example.test
acme show4 account show "${pebble[@]}"
expect 0 show4
assert_contains "$D/show4.out" "key:      ec384 (ES384)"
# The old key is refused by the CA.
mkdir -p "$D/old/accounts/$slug"
cp "$D/old.key" "$D/old/accounts/$slug/account.key"
cp "$A/account.url" "$D/old/accounts/$slug/"
acme oldkey account show "${pebble[@]}" --state-dir "$D/old"
expect 6 oldkey
assert_contains "$D/oldkey.log" "fetching the account: the CA answered 400"
# A roll-over killed after the CA took the new key (account.key still the old one,
# account.key.new the new one): the next run finds which key the CA knows.
cp "$A/account.key" "$D/k1.key"
acme roll2 account key-rollover "${pebble[@]}"
expect 0 roll2
cp "$A/account.key" "$A/account.key.new"
cp "$D/k1.key" "$A/account.key"
acme killed1 account show "${pebble[@]}"
expect 0 killed1
assert_contains "$D/killed1.log" "was interrupted after the CA accepted it"
[ "$(openssl pkey -in "$A/account.key" -pubout)" != "$(openssl pkey -in "$D/k1.key" -pubout)" ] ||
    fail "the new key did not take account.key's place"
[ ! -e "$A/account.key.new" ] || fail "account.key.new left after it was put in place"
# ... and one killed before the CA heard of it: forgotten.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$A/account.key.new" 2>/dev/null
cp "$A/account.key" "$D/k2.key"
acme killed2 account show "${pebble[@]}"
expect 0 killed2
assert_contains "$D/killed2.log" "was interrupted before the CA took the new key"
cmp -s "$D/k2.key" "$A/account.key" || fail "account.key changed when the CA never took account.key.new"
[ ! -e "$A/account.key.new" ] || fail "account.key.new left after it was forgotten"

# ---------------------------------------------------------------- account deactivate
acme deact1 account deactivate "${pebble[@]}"
expect 2 deact1
assert_contains "$D/deact1.log" "add --yes to go on"
acme deact2 account deactivate --yes "${pebble[@]}"
expect 0 deact2
assert_contains "$D/deact2.out" "account $url: deactivated (status deactivated)"
acme show5 account show "${pebble[@]}"
expect 0 show5
assert_contains "$D/show5.out" "status:   deactivated ("
issue after1 after "${pebble[@]}"
expect 6 after1
assert_contains "$D/after1.log" "the account at $ACME_DIR_URL was deactivated"
assert_contains "$D/after1.log" "move the folder $A away"
acme after2 revoke --cert-name newkey
expect 6 after2
assert_contains "$D/after2.log" "was deactivated"
# Without our note, the CA itself refuses the account.
rm "$A/deactivated"
issue after3 after "${pebble[@]}"
expect 6 after3
assert_contains "$D/after3.log" "Account has been deactivated"
[ ! -e "$C/after/cert.pem" ] || fail "a certificate with a deactivated account"

# Nothing is left in DNS.
left=$(dig +noall +answer +time=2 +tries=2 @"$DNS_PRIMARY" example.test AXFR | awk '$4 == "TXT"' | grep -c acme-challenge || true)
assert_eq 0 "$left" "TXT records left in example.test"
echo "PASS: test_ca_features"
