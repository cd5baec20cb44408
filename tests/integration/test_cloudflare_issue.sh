#!/usr/bin/env bash
# --provider cloudflare against the fake API (which writes through to BIND, so
# Pebble validates for real): example.test + *.example.test with the token from
# the environment, then again with zone-id and the token from a file.  Afterwards
# no record is left in the fake or in DNS, and the token never appears in the
# output even with -v.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-61}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"

# issue NAME ARGS...: must succeed; output in $D/NAME.log
issue() {
    local name=$1 rc=0
    shift
    bed_acme "$D" --provider cloudflare --provider-opt "api-url=$CF_URL" \
        --provider-opt "ca-bundle=$CF_CA" --cert-name "$name" \
        -d example.test -d '*.example.test' -v "$@" >"$D/$name.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        tail -n 60 "$D/$name.log" >&2
        fail "$name: acme-dns exited $rc (expected 0)"
    fi
    bed_verify_cert "$D" "$D/state/certs/$name" example.test '*.example.test'
    cf_assert_empty "$D"
    assert_not_contains "$D/$name.log" "$CF_TOKEN"
}

# 1. Token from the environment, zone looked up.
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN issue env
assert_contains "$D/cf/requests.log" "GET /client/v4/zones 200"
[ "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$D/cf/requests.log")" -ge 2 ] ||
    fail "two records were not created in zone example.test"
[ "$(grep -c "^DELETE /client/v4/zones/$CF_ZONE_ID/dns_records/[0-9a-f]* 200" "$D/cf/requests.log")" -ge 2 ] ||
    fail "two records were not deleted by id"

# 2. lego's variable name, zone-id given: no zone look-up at all.
: >"$D/cf/requests.log"
CF_DNS_API_TOKEN=$CF_TOKEN issue zoneid --provider-opt "zone-id=$CF_ZONE_ID"
assert_not_contains "$D/cf/requests.log" "GET /client/v4/zones 200"

# 3. Token from a file with a trailing newline.
printf '%s\n' "$CF_TOKEN" >"$D/token"
chmod 600 "$D/token"
issue file --provider-opt "api-token-file=$D/token"

# 4. The legacy global key from the environment.
CLOUDFLARE_EMAIL=$CF_EMAIL CLOUDFLARE_API_KEY=$CF_KEY issue globalkey
assert_not_contains "$D/globalkey.log" "$CF_KEY"

echo "PASS: test_cloudflare_issue"
