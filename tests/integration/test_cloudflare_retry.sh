#!/usr/bin/env bash
# Transient API trouble is survived within the retry bounds: 429 with
# Retry-After, 500, HTML 502, a dropped connection.  Persistent 5xx, persistent
# 429 and malformed or oversized JSON end with a clear error (exit 4) and
# nothing left behind.  The token never appears, even with -v.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-64}
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"
export CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN

# run NAME EXPECTED_RC ARGS...
run() {
    local name=$1 want=$2 rc=0
    shift 2
    bed_acme "$D" --provider cloudflare --provider-opt "api-url=$CF_URL" \
        --provider-opt "ca-bundle=$CF_CA" --cert-name "$name" \
        -d example.test -d '*.example.test' -v "$@" >"$D/$name.log" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        tail -n 60 "$D/$name.log" >&2
        fail "$name: acme-dns exited $rc (expected $want)"
    fi
    cf_ctl '{"clear": true}'
    cf_assert_empty "$D"
    assert_not_contains "$D/$name.log" "$CF_TOKEN"
}

# Transient: every kind once or twice, on look-ups, creates and deletes.
cf_ctl '{"inject": [{"kind": "429", "count": 2, "retry_after": 1, "method": "POST"},
                    {"kind": "500", "count": 1, "method": "GET"},
                    {"kind": "502", "count": 1, "method": "DELETE"},
                    {"kind": "drop", "count": 1, "method": "DELETE"},
                    {"kind": "503", "count": 1, "method": "POST"}]}'
run transient 0
bed_verify_cert "$D" "$D/state/certs/transient" example.test '*.example.test'
assert_contains "$D/transient.log" "rate limited by Cloudflare (HTTP 429); waiting 1000 ms as Retry-After asks"
assert_contains "$D/transient.log" "HTTP 500 from the Cloudflare API; retrying"
assert_contains "$D/transient.log" "HTTP 502 from the Cloudflare API; retrying"
assert_eq 2 "$(grep -c '^POST /client/v4/zones/[0-9a-f]*/dns_records 429' "$D/cf/requests.log")" "429 answers"

# Persistent 5xx on creates: a bounded number of tries, then a clear error.
: >"$D/cf/requests.log"
cf_ctl '{"inject": [{"kind": "500", "count": 1000, "method": "POST"}]}'
start=$SECONDS
run persistent5xx 4
[ $((SECONDS - start)) -lt 60 ] || fail "persistent 5xx took $((SECONDS - start)) s"
assert_contains "$D/persistent5xx.log" "the Cloudflare API answered HTTP 500 5 times in a row"
n=$(grep -c '^POST /client/v4/zones/[0-9a-f]*/dns_records 500' "$D/cf/requests.log")
[ "$n" -le 10 ] || fail "$n POST attempts for 2 records (bound: 5 each)"

# Persistent 429 on look-ups.
cf_ctl '{"inject": [{"kind": "429", "count": 1000, "retry_after": 1, "method": "GET"}]}'
run persistent429 4
assert_contains "$D/persistent429.log" "still rate limited by Cloudflare (HTTP 429) after"

# A Retry-After beyond the bound is not waited for.
cf_ctl '{"inject": [{"kind": "429", "count": 1, "retry_after": 3600}]}'
run longwait 4
assert_contains "$D/longwait.log" "Retry-After 3600 s"

# Malformed and oversized JSON.
cf_ctl '{"inject": [{"kind": "malformed", "count": 1, "method": "GET"}]}'
run malformed 4
assert_contains "$D/malformed.log" "malformed response (HTTP 200): not a Cloudflare API JSON envelope"
cf_ctl '{"inject": [{"kind": "oversized", "count": 1, "method": "GET"}]}'
run oversized 4
assert_contains "$D/oversized.log" "the response is larger than 1048576 bytes"
cf_ctl '{"inject": [{"kind": "html", "count": 1, "method": "GET"}]}'
run html 4
assert_contains "$D/html.log" "malformed response (HTTP 200)"

echo "PASS: test_cloudflare_retry"
