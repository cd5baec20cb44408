#!/usr/bin/env bash
# Renewal on one bed: issue saves the settings (never a secret); renew renews what is
# due and leaves the rest; --force; the CA's ARI window (through tests/fakes/ari_front.py,
# which stands in for a CA with ARI in front of the real Pebble), Retry-After kept,
# replaces naming the old certificate; the lifetime rule without ARI on a short-lived
# certificate; deploy hooks (environment, a failing hook); two certificates with two
# providers in one run, one failing: the other renewed, exit 10, nothing left in DNS, the
# journals of both providers (and of a third that cannot start) intact; a saved
# environment variable that is now unset; the certificates command.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/ari_front.sh
. "$SRC/tests/fakes/ari_front.sh"
export BED_ID=${BED_ID:-120}
# Every order counted below is sent once: no badNonce refusals (a refused newOrder is sent again).
export PEBBLE_WFE_NONCEREJECT=0
unset ACME_DNS_RFC2136_TSIG_KEYFILE ACME_DNS_RFC2136_TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME \
    CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN

D=$(bed_tmpdir)
bed_up "$D"
ari_front_up "$D"
S=$D/state
C=$S/certs
export ACME_DNS_NSUPDATE_SERVER=$DNS_SERVER ACME_DNS_NSUPDATE_KEYFILE=$TSIG_KEYFILE

# The deploy hook: logs its arguments and environment; exits 3 while $D/hook-fails exists.
cat >"$D/deploy.sh" <<'HOOK'
#!/bin/sh
{
    echo "args=$*"
    echo "lineage=$RENEWED_LINEAGE domains=$RENEWED_DOMAINS name=$ACME_DNS_CERT_NAME dir=$ACME_DNS_CERT_DIR all=$ACME_DNS_DOMAINS"
} >>"$DEPLOY_LOG"
[ ! -e "$DEPLOY_FAILS" ] || exit 3
HOOK
# The hook provider's script: refuses to present while $D/provider-fails exists, and
# copies the journals each time it is called.
cat >"$D/provider.sh" <<'HOOK'
#!/bin/sh
n=$(ls "$SNAP" | wc -l)
mkdir -p "$SNAP/$n" && cp "$STATE"/journals/*.json "$SNAP/$n/" 2>/dev/null
if [ "$1" = present ] && [ -e "$PROVIDER_FAILS" ]; then
    echo "provider.sh: refusing $2" >&2
    exit 1
fi
exec "$NSUPDATE_HOOK" "$@"
HOOK
chmod 755 "$D/deploy.sh" "$D/provider.sh"
export DEPLOY_LOG=$D/deploy.log DEPLOY_FAILS=$D/hook-fails PROVIDER_FAILS=$D/provider-fails SNAP=$D/snap \
    STATE=$S NSUPDATE_HOOK=$SRC/examples/hooks/nsupdate.sh
mkdir -p "$SNAP"

# acme NAME ARGS...: acme-dns against this bed, output in $D/NAME.log (stdout in NAME.out);
# the exit status in $rc.
acme() {
    local name=$1
    shift
    rc=0
    bed_run "$D" "$ACME_DNS" --state-dir "$S" "$@" >"$D/$name.out" 2>"$D/$name.log" || rc=$?
}
expect() { # EXPECTED_RC NAME
    if [ "$rc" != "$1" ]; then
        cat "$D/$2.out" >&2
        tail -n 40 "$D/$2.log" >&2
        fail "$2: acme-dns exited $rc, expected $1"
    fi
}
serial() { openssl x509 -in "$C/$1/cert.pem" -noout -serial; }
# The ARI certificate id of a certificate (RFC 9773 4.1), by the openssl tool and python.
ari_id() {
    local kid sn
    kid=$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -n +2 | sed 's/^ *//; s/^keyid://; s/://g')
    sn=$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//')
    python3 -c 'import base64, sys
b64 = lambda h: base64.urlsafe_b64encode(bytes.fromhex(h)).decode().rstrip("=")
kid, sn = sys.argv[1], sys.argv[2]
sn = ("0" if len(sn) % 2 else "") + sn
sn = ("00" if int(sn[:2], 16) >= 0x80 else "") + sn
print(b64(kid) + "." + b64(sn))' "$kid" "$sn"
}
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
ari_gets() { grep -c '^GET /renewal-info/' "$D/ari/requests.log" || true; }

# ---------------------------------------------------------------- issue saves settings
# ari: through the ARI front, TSIG key file named in the environment, a deploy hook.
ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE acme issue-ari --server "$ARI_DIR_URL" \
    --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --dns-resolver "$DNS_SERVER" --provider rfc2136 \
    --provider-opt "server=$DNS_SERVER" -d ari.example.test -d '*.ari.example.test' --cert-name ari \
    --deploy-hook "$D/deploy.sh first second"
expect 0 issue-ari
bed_verify_cert "$D" "$C/ari" ari.example.test '*.ari.example.test'
set_json=$C/ari/settings.json
python3 - "$set_json" "$ARI_DIR_URL" "$D/deploy.sh" <<'PY' || fail "settings.json of ari is not what was asked"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == 1, s
assert s["domains"] == ["ari.example.test", "*.ari.example.test"], s["domains"]
assert s["server"] == sys.argv[2] and s["key_type"] == "ec256", s
p = s["provider"]
assert p["name"] == "rfc2136" and list(p["options"]) == ["server"], p
assert p["environment"] == {"tsig-keyfile": "ACME_DNS_RFC2136_TSIG_KEYFILE"}, p
assert s["deploy_hook"] == [sys.argv[3], "first", "second"], s["deploy_hook"]
PY
assert_contains "$DEPLOY_LOG" "args=first second"
assert_contains "$DEPLOY_LOG" "lineage=$C/ari domains=ari.example.test *.ari.example.test name=ari dir=$C/ari"

# envsec: the TSIG secret and key name from the environment: saved as the variables' names.
(
    export ACME_DNS_RFC2136_TSIG_SECRET=$TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME=$TSIG_NAME
    acme issue-envsec --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos \
        --dns-resolver "$DNS_SERVER" --provider rfc2136 --provider-opt "server=$DNS_SERVER" -d envsec.example.test
    expect 0 issue-envsec
)
assert_not_contains "$C/envsec.example.test/settings.json" "$TSIG_SECRET"
assert_contains "$C/envsec.example.test/settings.json" '"tsig-secret":"ACME_DNS_RFC2136_TSIG_SECRET"'

# cmdline: the secret on the command line is never saved, only named as not saved.
acme issue-cmdline --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos \
    --dns-resolver "$DNS_SERVER" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-name=$TSIG_NAME" --provider-opt "tsig-secret=$TSIG_SECRET" -d cmdline.example.test
expect 0 issue-cmdline
assert_not_contains "$C/cmdline.example.test/settings.json" "$TSIG_SECRET"
assert_contains "$C/cmdline.example.test/settings.json" '"tsig-secret"'
assert_contains "$D/issue-cmdline.log" "the secret option tsig-secret is not saved"

# good (rfc2136, key file option) and bad (hook provider): for the two-provider run.
acme issue-good --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --dns-resolver "$DNS_SERVER" \
    --provider rfc2136 --provider-opt "server=$DNS_SERVER" --provider-opt "tsig-keyfile=$TSIG_KEYFILE" \
    -d good.example.test --cert-name good
expect 0 issue-good
acme issue-bad --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --dns-resolver "$DNS_SERVER" \
    --provider hook --provider-opt "script=$D/provider.sh" -d bad.example.test --cert-name bad
expect 0 issue-bad
# life: for the lifetime rule (Pebble, no ARI).
acme issue-life --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --dns-resolver "$DNS_SERVER" \
    --provider rfc2136 --provider-opt "server=$DNS_SERVER" --provider-opt "tsig-keyfile=$TSIG_KEYFILE" \
    -d life.example.test --cert-name life
expect 0 issue-life

# ---------------------------------------------------------------- not due
export ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE
ari_window "$(iso '+10 days')" "$(iso '+12 days')" 3600
: >"$DEPLOY_LOG"
before=$(sha256sum "$C/ari/cert.pem")
asked=$(ari_gets) # issue asked once already (404: the front had no window yet)
acme notdue renew --cert-name ari
expect 0 notdue
assert_contains "$D/notdue.out" "ari: not due until"
assert_contains "$D/notdue.out" "the CA's renewal window"
assert_eq "$before" "$(sha256sum "$C/ari/cert.pem")" "ari's certificate after a renew that was not due"
[ ! -s "$DEPLOY_LOG" ] || fail "the deploy hook ran although nothing was renewed"
assert_eq $((asked + 1)) "$(ari_gets)" "renewal-info requests"
grep -qF "/renewal-info/$(ari_id "$C/ari/cert.pem")" "$D/ari/requests.log" ||
    fail "renewal-info was not asked with the certificate's ARI id ($(ari_id "$C/ari/cert.pem"))"
assert_contains "$C/ari/state.json" '"next_check"'
# Retry-After (3600 s) has not passed: the window kept is used, the CA is not asked again.
acme notdue2 renew --cert-name ari --json
expect 0 notdue2
assert_eq $((asked + 1)) "$(ari_gets)" "renewal-info requests after a second renew within Retry-After"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = d["certificates"][0]
assert (c["name"], c["status"], c["reason"]) == ("ari", "not_due", "ARI window"), c
assert d["not_due"] == 1 and d["renewed"] == 0' "$D/notdue2.out" || fail "renew --json: $(cat "$D/notdue2.out")"

# ---------------------------------------------------------------- ARI window in the past
ari_window "$(iso '-2 days')" "$(iso '-1 day')" 3600
# An hour later (Retry-After has passed): the CA is asked again.
python3 -c 'import json, sys
p = sys.argv[1]; s = json.load(open(p)); s["ari"]["next_check"] = "2000-01-01T00:00:00Z"
json.dump(s, open(p, "w"))' "$C/ari/state.json"
old_id=$(ari_id "$C/ari/cert.pem")
old=$(serial ari)
: >"$D/ari/replaces.log"
acme past renew
expect 0 past
[ "$(serial ari)" != "$old" ] || fail "a window in the past did not renew ari"
assert_contains "$D/past.out" "ari: renewed (ARI window"
# (a newOrder Pebble refused with badNonce is sent again, with the same replaces)
assert_eq "$old_id" "$(sort -u "$D/ari/replaces.log")" "the replaces of the new order"
# The others (Pebble, no ARI, five-year certificates) are not due.
for n in good bad life envsec.example.test cmdline.example.test; do
    assert_contains "$D/past.out" "$n: not due until"
done

# ---------------------------------------------------------------- --force
old=$(serial ari)
acme force renew --cert-name ari --force
expect 0 force
[ "$(serial ari)" != "$old" ] || fail "--force did not give ari a new certificate"
bed_verify_cert "$D" "$C/ari" ari.example.test '*.ari.example.test'
assert_contains "$D/force.out" "ari: renewed (forced"
assert_contains "$DEPLOY_LOG" "lineage=$C/ari domains=ari.example.test *.ari.example.test"

# A failing deploy hook: reported with its own exit status; the certificate stays.
touch "$D/hook-fails"
old=$(serial ari)
acme hookfail renew --cert-name ari --force
expect 10 hookfail
rm "$D/hook-fails"
[ "$(serial ari)" != "$old" ] || fail "ari was not renewed when its deploy hook failed"
assert_contains "$D/hookfail.out" "the deploy hook failed with exit status 3, the new certificate is in place"
assert_contains "$D/hookfail.log" "failed with exit status 3"

# ---------------------------------------------------------------- lifetime rule, no ARI
# A nine-day certificate (under ten days: due when half is left) in life's place.
mkdir -p "$D/ca"
: >"$D/ca/index.txt"
echo 1000 >"$D/ca/serial"
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\nnew_certs_dir=%s\nserial=%s\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
    "$D/ca/index.txt" "$D/ca" "$D/ca/serial" >"$D/ca/ca.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=life.example.test \
    -keyout "$D/ca/key.pem" -out "$D/ca/req.pem" 2>/dev/null
short() { # START END: a self-signed certificate for life valid from START to END
    openssl ca -batch -selfsign -config "$D/ca/ca.cnf" -keyfile "$D/ca/key.pem" -in "$D/ca/req.pem" \
        -startdate "$(date -u -d "$1" +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d "$2" +%Y%m%d%H%M%SZ)" \
        -out "$C/life/cert.pem" 2>"$D/ca/err" || { cat "$D/ca/err" >&2; fail "openssl ca failed"; }
}
short '-1 day' '+8 days' # 8 of 9 days left: not due
acme life1 renew --cert-name life
expect 0 life1
assert_contains "$D/life1.out" "life: not due until"
assert_contains "$D/life1.out" "half for lifetimes under ten days"
short '-5 days' '+4 days' # 4 of 9 days left: due
acme life2 renew --cert-name life
expect 0 life2
assert_contains "$D/life2.out" "life: renewed (lifetime"
bed_verify_cert "$D" "$C/life" life.example.test

# ---------------------------------------------------------------- two providers, one failing
# A journal a killed run of a third provider left, which cannot start here (its token
# variable is unset): it must stay as it is.
mkdir -p "$S/journals"
foreign=$S/journals/cloudflare-0000000000000000.json
cat >"$foreign" <<'JSON'
{"version":1,"provider":{"name":"cloudflare","options":{"api-url":"https://127.0.0.1:9/client/v4"},"environment":{"api-token":"CLOUDFLARE_DNS_API_TOKEN"},"not_saved":[],"plugin_dirs":[]},"records":[{"domain":"left.example.test","name":"_acme-challenge.left.example.test","zone":"example.test","value":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","ttl":60,"data":"0123"}]}
JSON
foreign_sum=$(sha256sum "$foreign")
touch "$D/provider-fails"
# Pebble reuses a valid authorization 1 time in 100 even at PEBBLE_AUTHZREUSE=0 (it compares
# with > where >= was meant); a name it finds already authorized needs no record, so this
# run is made again until both names needed theirs.
bad_failures=0 # in a row, as state.json counts them
for try in 1 2 3; do
    old_good=$(serial good) old_bad=$(serial bad)
    rm -rf "${SNAP:?}"/*
    acme two renew --force --cert-name good --cert-name bad -vv
    if grep -q '^bad: failed' "$D/two.out"; then bad_failures=$((bad_failures + 1)); else bad_failures=0; fi
    grep -q 'is already authorized' "$D/two.log" || break
    echo "two providers: Pebble reused an authorization (try $try), again"
done
expect 10 two
rm "$D/provider-fails"
[ "$(serial good)" != "$old_good" ] || fail "good was not renewed beside the failing bad"
assert_eq "$old_bad" "$(serial bad)" "bad's certificate after its provider failed"
assert_contains "$D/two.out" "good: renewed (forced"
assert_contains "$D/two.out" "bad: failed: the DNS provider failed"
assert_contains "$D/two.log" "provider.sh: refusing _acme-challenge.bad.example.test"
for n in good bad; do
    assert_eq "" "$(bed_txt "$D" "_acme-challenge.$n.example.test")" "TXT left at _acme-challenge.$n"
done
# While hook's script ran, the journals of both providers were there, each with its own records.
both=""
for s in "$SNAP"/*; do
    hook=$(grep -l '"name":"hook"' "$s"/*.json 2>/dev/null || true)
    rfc=$(grep -l '"name":"rfc2136"' "$s"/*.json 2>/dev/null || true)
    if [ -n "$hook" ] && [ -n "$rfc" ] && grep -qF '_acme-challenge.bad.example.test' "$hook" &&
        grep -qF '_acme-challenge.good.example.test' "$rfc" && ! grep -qF good.example "$hook" &&
        ! grep -qF bad.example "$rfc"; then
        both=$s
    fi
done
[ -n "$both" ] || { ls -R "$SNAP" >&2; fail "no moment with both providers' journals, each with its records"; }
assert_eq "$foreign_sum" "$(sha256sum "$foreign")" "the journal of the provider that could not start"
assert_contains "$D/two.log" "cannot be removed now"
assert_eq "$foreign" "$(find "$S/journals" -name '*.json')" "journals left after the run"
rm "$foreign"

# ---------------------------------------------------------------- the CA away on a quiet day
acme away renew --cert-name good --server "https://$DNS_PRIMARY:9/dir"
expect 0 away
assert_contains "$D/away.out" "good: not due until"
assert_contains "$D/away.log" "cannot be reached: 1 certificate(s) not due by what is known"

# ---------------------------------------------------------------- a variable now unset
acme unset renew --force --cert-name envsec.example.test
expect 10 unset
assert_contains "$D/unset.out" "envsec.example.test: failed: provider rfc2136 takes tsig-name and tsig-secret from the environment variables ACME_DNS_RFC2136_TSIG_NAME and ACME_DNS_RFC2136_TSIG_SECRET"
assert_contains "$D/unset.log" "ACME_DNS_RFC2136_TSIG_SECRET"
# A secret given on the command line and not in the environment now: named too.
acme unsaved renew --force --cert-name cmdline.example.test
expect 10 unsaved
assert_contains "$D/unsaved.out" "was given the secret option tsig-secret on the command line"
assert_contains "$D/unsaved.out" "set ACME_DNS_RFC2136_TSIG_SECRET for acme-dns renew"

# ---------------------------------------------------------------- the example deploy hook
# examples/hooks/reload-nginx.sh given to renew (this run only), with an nginx and a
# systemctl that only log what they are asked.
mkdir -p "$D/fakebin"
for t in nginx systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$t" "$D/nginx.log" >"$D/fakebin/$t"
    chmod 755 "$D/fakebin/$t"
done
settings_before=$(sha256sum "$C/good/settings.json")
PATH=$D/fakebin:$PATH acme example renew --force --cert-name good --deploy-hook "$SRC/examples/hooks/reload-nginx.sh"
expect 0 example
assert_contains "$D/nginx.log" "nginx -t -q"
grep -qxE 'systemctl reload nginx|nginx -s reload' "$D/nginx.log" || fail "the example hook did not reload nginx: $(cat "$D/nginx.log")"
assert_contains "$D/example.log" "reload-nginx: new certificate good (good.example.test) in $C/good"
assert_eq "$settings_before" "$(sha256sum "$C/good/settings.json")" "good's settings after a renew with --deploy-hook"

# ---------------------------------------------------------------- certificates
acme list certificates
expect 0 list
for n in ari bad good life envsec.example.test cmdline.example.test; do
    grep -q "^$n " "$D/list.out" || fail "certificates does not list $n: $(cat "$D/list.out")"
done
grep '^ari ' "$D/list.out" | grep -qF '(ARI; check' || fail "certificates: ari's next ARI check is not shown"
grep '^bad ' "$D/list.out" | grep -qF 'hook' || fail "certificates: bad's provider is not shown"
acme listjson certificates --json
expect 0 listjson
python3 -c 'import json, sys
d = {c["name"]: c for c in json.load(open(sys.argv[1]))["certificates"]}
assert d["good"]["provider"] == "rfc2136" and d["good"]["domains"] == ["good.example.test"], d["good"]
assert d["ari"]["renewal_from"] == "ARI" and "next_ari_check" in d["ari"], d["ari"]
assert d["bad"]["failures"] == int(sys.argv[2]) and d["good"]["days_left"] > 1000, d' "$D/listjson.out" "$bad_failures" ||
    fail "certificates --json: $(cat "$D/listjson.out")"
# Nothing is left in DNS at any challenge name.
left=$(dig +noall +answer +time=2 +tries=2 @"$DNS_PRIMARY" example.test AXFR | awk '$4 == "TXT"' | grep -c acme-challenge || true)
assert_eq 0 "$left" "TXT records left in example.test"
echo "PASS: test_renew"
