#!/usr/bin/env bash
# Longest-zone choice: the fake holds example.test and sub.example.test (and a
# pending duplicate of sub.example.test listed first), and answers one zone per
# page, so finding the active sub.example.test needs the second page.  Names
# under sub.example.test land in sub.example.test, example.test in its own zone;
# one certificate covers both zones.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-62}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D" --max-per-page 1

rc=0
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN bed_acme "$D" --provider cloudflare \
    --provider-opt "api-url=$CF_URL" --provider-opt "ca-bundle=$CF_CA" --cert-name zones \
    -d example.test -d sub.example.test -d www.sub.example.test -v >"$D/out.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 0)"
fi
bed_verify_cert "$D" "$D/state/certs/zones" example.test sub.example.test www.sub.example.test
cf_assert_empty "$D"

L=$D/cf/requests.log
assert_eq 1 "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$L")" "records created in example.test"
assert_eq 2 "$(grep -c "^POST /client/v4/zones/$CF_SUB_ZONE_ID/dns_records 200" "$L")" "records created in sub.example.test"
assert_not_contains "$L" "/zones/$CF_SUB_PENDING_ID/"
assert_eq 3 "$(grep -c "^DELETE /client/v4/zones/[0-9a-f]*/dns_records/[0-9a-f]* 200" "$L")" "records deleted"
# The second page was fetched (and the zone list cached: sub.example.test asked once per page).
assert_contains "$D/out.log" "GET /zones?name=sub.example.test&per_page=50&page=2"
assert_eq 1 "$(grep -c 'GET /zones?name=sub.example.test&per_page=50&page=2 ' "$D/out.log")" "look-ups of page 2"
assert_not_contains "$D/out.log" "$CF_TOKEN"
echo "PASS: test_cloudflare_zones"
