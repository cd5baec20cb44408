#!/usr/bin/env bash
# 40 names in 40 distinct subdomains of example.test, no zone-id: each name costs the
# Cloudflare plugin two zone look-ups it remembers (_acme-challenge.dNN.example.test and
# dNN.example.test, neither a zone), 80 in all, past the 64 a fixed cache once held ("out of
# memory" without a log line).  The certificate is issued and every record is removed.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-142}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY
D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"

names=()
args=()
for i in $(seq -w 1 40); do names+=("d$i.example.test"); args+=(-d "d$i.example.test"); done
rc=0
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN bed_acme "$D" --provider cloudflare --provider-opt "api-url=$CF_URL" \
    --provider-opt "ca-bundle=$CF_CA" --cert-name many -v "${args[@]}" >"$D/out.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 40 "$D/out.log" >&2; fail "acme-dns exited $rc with 40 subdomains (expected 0)"; }
assert_not_contains "$D/out.log" "out of memory"
bed_verify_cert "$D" "$D/state/certs/many" "${names[@]}"
cf_assert_empty "$D"
L=$D/cf/requests.log
assert_eq 40 "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$L")" "records created"
assert_eq 40 "$(grep -c "^DELETE /client/v4/zones/$CF_ZONE_ID/dns_records/[0-9a-f]* 200" "$L")" "records deleted"
# example.test was looked up once and remembered
assert_eq 1 "$(grep -c 'GET /zones?name=example.test&per_page=50&page=1 ' "$D/out.log")" "look-ups of example.test"
assert_eq 81 "$(grep -c "^GET /client/v4/zones 200" "$L")" "zone look-ups"
echo "PASS: test_cloudflare_many"
