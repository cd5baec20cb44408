#!/usr/bin/env bash
# cloudflare with other clients' credentials, unchanged, against the fake API:
#  - certbot's cloudflare.ini: dns_cloudflare_api_token, then dns_cloudflare_email +
#    dns_cloudflare_api_key (a file every user may read gets the warning every
#    provider gives; so does a token file); the path is saved, the secret is not;
#  - lego's split token: CF_ZONE_API_TOKEN (Zone:Read only) for the zone look-ups,
#    CF_DNS_API_TOKEN (DNS:Edit only) for the records (the fake's log shows which
#    token each request carried); the DNS token alone cannot look zones up;
#  - lego's CF_API_EMAIL / CF_API_KEY;
#  - contradictions refused at start (exit 3).
# Every run at -vv: no token or key in the output or in settings.json.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-192}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_ZONE_API_TOKEN CF_ZONE_API_TOKEN CLOUDFLARE_EMAIL \
    CF_API_EMAIL CLOUDFLARE_API_KEY CF_API_KEY

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"

# run NAME WANT ARGS...: example.test + *.example.test through the fake at -vv.
run() {
    local name=$1 want=$2
    shift 2
    : >"$D/cf/requests.log"
    rm -rf "$D/state/accounts" # a new account: Pebble reuses 1 valid authorization in 100 even at 0 %
    bed_acme_expect "$D" "$want" "$D/$name.log" --provider cloudflare --provider-opt "api-url=$CF_URL" \
        --provider-opt "ca-bundle=$CF_CA" --cert-name "$name" -d example.test -d '*.example.test' -v -v "$@"
    cf_assert_empty "$D"
    for s in "$CF_TOKEN" "$CF_ZONE_TOKEN" "$CF_DNS_TOKEN" "$CF_KEY"; do
        assert_not_contains "$D/$name.log" "$s"
    done
    if [ "$want" = 0 ]; then
        bed_verify_cert "$D" "$D/state/certs/$name" example.test '*.example.test'
        for s in "$CF_TOKEN" "$CF_ZONE_TOKEN" "$CF_DNS_TOKEN" "$CF_KEY"; do
            assert_not_contains "$D/state/certs/$name/settings.json" "$s"
        done
    fi
}
saved() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["provider"]; o=dict(p.get("options")); [o.pop(k) for k in ("api-url","ca-bundle")]; print(json.dumps({"options": o, "environment": p.get("environment")}, sort_keys=True))' \
    "$D/state/certs/$1/settings.json"; }

# ---- certbot's cloudflare.ini with a token (0600), then with the global key (0644).
umask 077
printf '# Cloudflare API token used by Certbot\ndns_cloudflare_api_token = %s\n' "$CF_TOKEN" >"$D/cloudflare.ini"
umask 022
printf 'dns_cloudflare_email = %s\ndns_cloudflare_api_key = %s\n' "$CF_EMAIL" "$CF_KEY" >"$D/globalkey.ini"
run certbot 0 --provider-opt "credentials=$D/cloudflare.ini"
assert_not_contains "$D/certbot.log" "can be read by every user"
assert_eq "{\"environment\": {}, \"options\": {\"credentials\": \"$D/cloudflare.ini\"}}" "$(saved certbot)" \
    "certbot: saved provider settings"
run certbot-key 0 --provider-opt "credentials=$D/globalkey.ini"
assert_contains "$D/certbot-key.log" \
    "warning: cloudflare: credentials file $D/globalkey.ini can be read by every user (mode 0644): chmod o-rwx $D/globalkey.ini"
# A token file every user may read: the same words.
printf '%s\n' "$CF_TOKEN" >"$D/token"
run tokenfile 0 --provider-opt "api-token-file=$D/token"
assert_contains "$D/tokenfile.log" "warning: cloudflare: API token file $D/token can be read by every user (mode 0644): chmod o-rwx $D/token"

# ---- lego's split token: zones read with one, records edited with the other.
CF_ZONE_API_TOKEN=$CF_ZONE_TOKEN CF_DNS_API_TOKEN=$CF_DNS_TOKEN run split 0
assert_contains "$D/cf/requests.log" "GET /client/v4/zones 200 zone-token"
[ "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200 dns-token$" "$D/cf/requests.log")" = 2 ] ||
    fail "the records were not created with the DNS token"
assert_not_contains "$D/cf/requests.log" "zones 200 dns-token"
assert_eq '{"environment": {"api-token": "CF_DNS_API_TOKEN", "zone-api-token": "CF_ZONE_API_TOKEN"}, "options": {}}' \
    "$(saved split)" "split: saved provider settings"
# The DNS token alone may not read zones: the fake refuses the look-up (exit 4).
CF_DNS_API_TOKEN=$CF_DNS_TOKEN run dnsonly 4
assert_contains "$D/dnsonly.log" "looking up Cloudflare zone _acme-challenge.example.test: Cloudflare rejected"

# ---- lego's global key variables.
CF_API_EMAIL=$CF_EMAIL CF_API_KEY=$CF_KEY run legokey 0
assert_eq '{"environment": {"api-key": "CF_API_KEY", "email": "CF_API_EMAIL"}, "options": {}}' "$(saved legokey)" \
    "legokey: saved provider settings"

# ---- refused at start (exit 3), before any request.
: >"$D/cf/requests.log"
printf 'dns_cloudflare_api_token = %s\ndns_cloudflare_email = %s\n' "$CF_TOKEN" "$CF_EMAIL" >"$D/both.ini"
chmod 600 "$D/both.ini"
run both 3 --provider-opt "credentials=$D/both.ini"
assert_contains "$D/both.log" "dns_cloudflare_email and dns_cloudflare_api_key are not needed with dns_cloudflare_api_token"
CF_ZONE_API_TOKEN=$CF_ZONE_TOKEN run zoneonly 3
assert_contains "$D/zoneonly.log" "CF_ZONE_API_TOKEN serves the zone look-ups only"
CF_API_KEY=$CF_KEY run keyonly 3
assert_contains "$D/keyonly.log" "the global API key needs both CLOUDFLARE_EMAIL (or CF_API_EMAIL)"
run clash 3 --provider-opt "credentials=$D/cloudflare.ini" --provider-opt "api-token-file=$D/token"
assert_contains "$D/clash.log" "gives the credentials: leave out api-token-file"
assert_eq "" "$(cat "$D/cf/requests.log")" "requests sent for refused configurations"
echo "PASS: test_cloudflare_creds"
