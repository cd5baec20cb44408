#!/usr/bin/env bash
# Credentials the API refuses: an unknown token, a token without DNS edit
# permission, a wrong global key.  Each ends with exit 4, a message saying what
# to fix, no certificate and nothing left in the fake or in DNS; no secret is
# shown.  Missing or contradictory credentials and a plain-http API URL are
# refused before any request (exit 3).
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-63}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"

# run NAME EXPECTED_RC ARGS...  (environment set by the caller)
run() {
    local name=$1 want=$2 rc=0
    shift 2
    bed_acme "$D" --provider cloudflare --provider-opt "ca-bundle=$CF_CA" --cert-name "$name" \
        -d example.test -d '*.example.test' -v "$@" >"$D/$name.log" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        tail -n 40 "$D/$name.log" >&2
        fail "$name: acme-dns exited $rc (expected $want)"
    fi
    [ ! -e "$D/state/certs/$name/cert.pem" ] || fail "$name: a certificate was written"
    cf_assert_empty "$D"
    for s in "$CF_TOKEN" "$CF_RO_TOKEN" "$CF_BAD_TOKEN" "$CF_KEY"; do
        assert_not_contains "$D/$name.log" "$s"
    done
}

CLOUDFLARE_DNS_API_TOKEN=$CF_BAD_TOKEN run badtoken 4 --provider-opt "api-url=$CF_URL"
assert_contains "$D/badtoken.log" "Cloudflare rejected the credentials (HTTP 403: [9109] Invalid access token)"
assert_contains "$D/badtoken.log" "check the API token"

CLOUDFLARE_DNS_API_TOKEN=$CF_RO_TOKEN run readonly 4 --provider-opt "api-url=$CF_URL"
assert_contains "$D/readonly.log" "[10000] Authentication error"
assert_contains "$D/readonly.log" "the token lacks Zone:DNS:Edit for zone example.test"

CLOUDFLARE_DNS_API_TOKEN=$CF_RO_TOKEN run readonly-zoneid 4 --provider-opt "api-url=$CF_URL" \
    --provider-opt "zone-id=$CF_ZONE_ID"
assert_contains "$D/readonly-zoneid.log" "the token lacks Zone:DNS:Edit"

CLOUDFLARE_EMAIL=$CF_EMAIL CLOUDFLARE_API_KEY=0123456789abcdef0123456789abcdef01234 \
    run badkey 4 --provider-opt "api-url=$CF_URL"
assert_contains "$D/badkey.log" "[9103] Unknown X-Auth-Key or X-Auth-Email"

CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN run badzone 4 --provider-opt "api-url=$CF_URL" \
    --provider-opt zone-id=ffffffffffffffffffffffffffffffff
assert_contains "$D/badzone.log" "check zone-id"

# Refused before any request.
: >"$D/cf/requests.log"
run nocreds 3 --provider-opt "api-url=$CF_URL"
assert_contains "$D/nocreds.log" "no Cloudflare credentials"
printf '%s\n' "$CF_TOKEN" >"$D/token"
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN run both 3 --provider-opt "api-url=$CF_URL" \
    --provider-opt "api-token-file=$D/token" --provider-opt "email=$CF_EMAIL"
assert_contains "$D/both.log" "not both"
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN run plainhttp 3 --provider-opt "api-url=http://192.0.2.1/client/v4"
assert_contains "$D/plainhttp.log" "plain http:// is only allowed for loopback addresses"
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN run badttl 3 --provider-opt "api-url=$CF_URL" --provider-opt ttl=5
assert_contains "$D/badttl.log" "ttl must be 1 (automatic) or 30..86400 seconds"
assert_eq "" "$(cat "$D/cf/requests.log")" "requests sent for refused configurations"

echo "PASS: test_cloudflare_auth"
