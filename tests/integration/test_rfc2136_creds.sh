#!/usr/bin/env bash
# rfc2136 with other clients' credentials, unchanged:
#  - lego's variables (RFC2136_NAMESERVER, RFC2136_TSIG_KEY with its trailing dot,
#    RFC2136_TSIG_SECRET, RFC2136_TSIG_ALGORITHM with lego's trailing-dot name), and
#    lego's default algorithm (hmac-sha1) when RFC2136_TSIG_ALGORITHM is unset; the
#    saved settings name the variables, never the secret; renew without them says
#    which one is missing;
#  - certbot's credentials INI (dns_rfc2136_server, _port, _name, _secret with
#    white space, _algorithm in capitals), and certbot's default algorithm
#    (HMAC-MD5); the path is saved, the secret is not; a file every user may read
#    gets the warning every provider gives;
#  - no key at all is refused before the CA (exit 3) with the ways to give one;
#  - a config file (--config) with the server and a [provider rfc2136] section;
#    tsig=none sends unsigned updates, which the bed's BIND refuses (exit 4).
# Every run at -vv: no secret in the output.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-191}
unset RFC2136_NAMESERVER RFC2136_TSIG_KEY RFC2136_TSIG_SECRET RFC2136_TSIG_ALGORITHM RFC2136_TSIG_FILE \
    ACME_DNS_RFC2136_TSIG_KEYFILE ACME_DNS_RFC2136_TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME \
    ACME_DNS_RFC2136_TSIG_ALGORITHM

D=$(bed_tmpdir)
bed_up "$D"
secret_of() { sed -n 's/.*secret "\(.*\)";.*/\1/p' "$D/tsig-$1.key"; }
SHA1=$(secret_of sha1)
MD5=$(secret_of md5)

# run NAME WANT ARGS...: one certificate, apex and wildcard, through rfc2136 at -vv.
run() {
    local name=$1 want=$2
    shift 2
    bed_acme_expect "$D" "$want" "$D/$name.log" --provider rfc2136 --cert-name "$name" \
        -d example.test -d '*.example.test' -v -v "$@"
    for s in "$TSIG_SECRET" "$SHA1" "$MD5"; do
        assert_not_contains "$D/$name.log" "$s"
    done
    assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "$name: TXT left behind"
    if [ "$want" = 0 ]; then
        bed_verify_cert "$D" "$D/state/certs/$name" example.test '*.example.test'
        for s in "$TSIG_SECRET" "$SHA1" "$MD5"; do
            assert_not_contains "$D/state/certs/$name/settings.json" "$s"
        done
    else
        [ ! -e "$D/state/certs/$name/cert.pem" ] || fail "$name: a certificate was written"
    fi
}
# saved NAME JQ-ish: the provider's environment and options as saved.
saved() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["provider"]; print(json.dumps({"options": p.get("options"), "environment": p.get("environment")}, sort_keys=True))' \
    "$D/state/certs/$1/settings.json"; }

# ---- lego's variables.
RFC2136_NAMESERVER=$DNS_SERVER RFC2136_TSIG_KEY=acme-key. RFC2136_TSIG_SECRET=$TSIG_SECRET \
    RFC2136_TSIG_ALGORITHM=hmac-sha256. run lego 0
assert_contains "$D/lego.log" "TSIG key acme-key (hmac-sha256"
assert_eq '{"environment": {"server": "RFC2136_NAMESERVER", "tsig-algorithm": "RFC2136_TSIG_ALGORITHM", "tsig-name": "RFC2136_TSIG_KEY", "tsig-secret": "RFC2136_TSIG_SECRET"}, "options": {}}' \
    "$(saved lego)" "lego: saved provider settings"
# lego's default algorithm, hmac-sha1, with the bed's hmac-sha1 key.
RFC2136_NAMESERVER=$DNS_SERVER RFC2136_TSIG_KEY=acme-sha1. RFC2136_TSIG_SECRET=$SHA1 run lego-sha1 0
assert_contains "$D/lego-sha1.log" "no TSIG algorithm given: hmac-sha1, lego's default"
# renew needs the variables again and names the one that is missing.
rc=0
RFC2136_NAMESERVER=$DNS_SERVER RFC2136_TSIG_KEY=acme-sha1. bed_acme "$D" renew --force --cert-name lego-sha1 \
    >"$D/renew.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "renew without RFC2136_TSIG_SECRET succeeded"
assert_contains "$D/renew.log" "RFC2136_TSIG_SECRET"
assert_not_contains "$D/renew.log" "$SHA1"

# ---- certbot's credentials INI, as certbot-dns-rfc2136 documents it.
half=$((${#TSIG_SECRET} / 2))
umask 077
cat >"$D/rfc2136.ini" <<INI
# Target DNS server
dns_rfc2136_server = $DNS_PRIMARY
# Target DNS port
dns_rfc2136_port = 53
# TSIG key name
dns_rfc2136_name = acme-key.
# TSIG key secret (white space in it, as in certbot's example)
dns_rfc2136_secret = ${TSIG_SECRET:0:$half} ${TSIG_SECRET:$half}
# TSIG key algorithm
dns_rfc2136_algorithm = HMAC-SHA256
# TSIG sign SOA query (optional, default: false)
dns_rfc2136_sign_query = false
INI
printf 'dns_rfc2136_server = "%s"\ndns_rfc2136_name = acme-md5.\ndns_rfc2136_secret = %s\n' "$DNS_PRIMARY" "$MD5" \
    >"$D/md5.ini"
umask 022
run certbot 0 --provider-opt "credentials=$D/rfc2136.ini"
assert_not_contains "$D/certbot.log" "can be read by every user"
assert_eq "{\"environment\": {}, \"options\": {\"credentials\": \"$D/rfc2136.ini\"}}" "$(saved certbot)" \
    "certbot: saved provider settings"
# certbot's default algorithm (HMAC-MD5); a file every user may read gets the warning.
chmod 644 "$D/md5.ini"
run certbot-md5 0 --provider-opt "credentials=$D/md5.ini"
assert_contains "$D/certbot-md5.log" "no TSIG algorithm given: hmac-md5, certbot's default"
assert_contains "$D/certbot-md5.log" \
    "warning: rfc2136: credentials file $D/md5.ini can be read by every user (mode 0644): chmod o-rwx $D/md5.ini"
# Refused at start (exit 3): a relative path, a malformed line (its text never shown),
# a missing key, an option the file already gives.
(cd "$D" && bed_acme_expect "$D" 3 "$D/relative.log" --provider rfc2136 --provider-opt credentials=rfc2136.ini \
    -d example.test)
assert_contains "$D/relative.log" "credentials=rfc2136.ini: give an absolute path"
printf 'dns_rfc2136_server = %s\ndns_rfc2136_name acme-key\n' "$DNS_PRIMARY" >"$D/bad.ini"
run badini 3 --provider-opt "credentials=$D/bad.ini"
assert_contains "$D/badini.log" "$D/bad.ini line 2 is not \"key = value\""
# A secret pasted alone on a line ("...=" reads as a key): never shown.
pasted=c2VjcmV0LXRoYXQtZ290LXBhc3RlZC1hbG9uZS1vbi1hLWxpbmUu=
printf 'dns_rfc2136_server = %s\n%s\n' "$DNS_PRIMARY" "$pasted" >"$D/pasted.ini"
run pasted 3 --provider-opt "credentials=$D/pasted.ini"
assert_not_contains "$D/pasted.log" "${pasted%=}"
assert_contains "$D/pasted.log" "$D/pasted.ini line 2: not a key of certbot's rfc2136 plugin (dns_rfc2136_...): ignored"
assert_contains "$D/pasted.log" "does not set dns_rfc2136_name"
printf 'dns_rfc2136_server = %s\ndns_rfc2136_name = acme-key\n' "$DNS_PRIMARY" >"$D/nosecret.ini"
run nosecret 3 --provider-opt "credentials=$D/nosecret.ini"
assert_contains "$D/nosecret.log" "credentials file $D/nosecret.ini does not set dns_rfc2136_secret"
run clash 3 --provider-opt "credentials=$D/rfc2136.ini" --provider-opt "server=$DNS_SERVER"
assert_contains "$D/clash.log" "gives the server and the TSIG key: leave out server"

# ---- no key, and tsig=none.
run nokey 3 --provider-opt "server=$DNS_SERVER"
assert_contains "$D/nokey.log" "no TSIG key: give tsig-keyfile=FILE"
assert_contains "$D/nokey.log" "say so with tsig=none"
assert_not_contains "$D/nokey.log" "newOrder"
run unsigned 4 --provider-opt "server=$DNS_SERVER" --provider-opt tsig=none
assert_contains "$D/unsigned.log" "tsig=none: updates are sent unsigned"
assert_contains "$D/unsigned.log" "refused the unsigned update (REFUSED) that tsig=none asks for: zone example.test"
run nonekey 3 --provider-opt "server=$DNS_SERVER" --provider-opt tsig=none --provider-opt "tsig-keyfile=$TSIG_KEYFILE"
assert_contains "$D/nonekey.log" "tsig=none asks for unsigned updates, but tsig-keyfile gives a TSIG key"
# ---- a config file (--config FILE) gives the defaults: server, CA bundle, state folder,
# resolver, key type, and the provider with its options in a [provider rfc2136] section;
# the names are still on the command line.  Options on the command line override the
# file's (a provider option too); renew keeps the saved settings; a bad line names FILE:LINE.
(
    set -a
    # shellcheck disable=SC1091
    . "$D/env"
    set +a
    umask 077
    cat >"$D/acme-dns.conf" <<CONF
# defaults, as /etc/acme-dns/acme-dns.conf holds them
server = $ACME_DIR_URL
ca-bundle = $ACME_CA_BUNDLE   # Pebble's
agree-tos = yes
state-dir = $D/state
dns-resolver = $DNS_SERVER
key-type = ec384
provider = rfc2136

[provider rfc2136]
server = $DNS_SERVER
tsig-keyfile = $TSIG_KEYFILE
CONF
)
rc=0
bed_run "$D" "$ACME_DNS" --config "$D/acme-dns.conf" --cert-name conf -d example.test -d '*.example.test' \
    >"$D/conf.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 30 "$D/conf.log" >&2; fail "issue with --config exited $rc"; }
bed_verify_cert "$D" "$D/state/certs/conf" example.test '*.example.test'
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "conf: TXT left behind"
openssl pkey -in "$D/state/certs/conf/privkey.pem" -noout -text | grep "NIST CURVE: P-384" >/dev/null ||
    fail "conf: key-type = ec384 from the config file was not used"
assert_eq "{\"environment\": {}, \"options\": {\"server\": \"$DNS_SERVER\", \"tsig-keyfile\": \"$TSIG_KEYFILE\"}}" \
    "$(saved conf)" "conf: saved provider settings"
# The command line's tsig-keyfile wins over the file's: a key the server refuses, exit 4.
rc=0
bed_run "$D" "$ACME_DNS" --config "$D/acme-dns.conf" --cert-name conf-denied -d example.test \
    --provider-opt "tsig-keyfile=$D/tsig-denied.key" >"$D/conf-denied.log" 2>&1 || rc=$?
[ "$rc" = 4 ] || { tail -n 30 "$D/conf-denied.log" >&2; fail "conf-denied: exited $rc, expected 4"; }
assert_contains "$D/conf-denied.log" "acme-denied"
# renew with the same file: the saved settings, and the file's state folder.
rc=0
bed_run "$D" "$ACME_DNS" --config "$D/acme-dns.conf" renew --force --cert-name conf >"$D/conf-renew.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 30 "$D/conf-renew.log" >&2; fail "renew with --config exited $rc"; }
assert_contains "$D/conf-renew.log" "conf"
# A bad line: exit 3, naming the file and the line; a file others may write is refused.
printf 'provider = rfc2136\ntsig-secret = %s\n' "$TSIG_SECRET" >"$D/bad.conf"
chmod 600 "$D/bad.conf"
rc=0
bed_run "$D" "$ACME_DNS" --config "$D/bad.conf" -d example.test >"$D/conf-bad.log" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "bad.conf: exited $rc, expected 3"
assert_contains "$D/conf-bad.log" "$D/bad.conf:2: tsig-secret is not a setting of the config file"
assert_not_contains "$D/conf-bad.log" "$TSIG_SECRET"
chmod 666 "$D/acme-dns.conf"
rc=0
bed_run "$D" "$ACME_DNS" --config "$D/acme-dns.conf" -d example.test >"$D/conf-mode.log" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a config file every user may write: exited $rc, expected 3"
assert_contains "$D/conf-mode.log" "chmod go-w $D/acme-dns.conf"
echo "PASS: test_rfc2136_creds"
