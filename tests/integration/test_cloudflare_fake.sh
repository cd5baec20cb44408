#!/usr/bin/env bash
# The fake Cloudflare API itself, driven with curl: envelope, pagination, token
# and global-key authentication errors, permissions, TTL and TXT rules, identical
# records, write-through to BIND, failure injection.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-60}

D=$(bed_tmpdir)
BED_NO_PEBBLE=1 bed_up "$D"
cf_fake_up "$D" --max-per-page 1

# api OUT METHOD PATH [CURL ARGS...]: request with the good token; body to OUT, prints the status.
api() {
    local out=$1 m=$2 p=$3
    shift 3
    curl -s --max-time 10 --cacert "$CF_CA" -o "$out" -w '%{http_code}' -X "$m" \
        -H "Authorization: Bearer $CF_TOKEN" "$@" "$CF_URL$p"
}
# raw OUT METHOD PATH [CURL ARGS...]: request without credentials of our own.
raw() {
    local out=$1 m=$2 p=$3
    shift 3
    curl -s --max-time 10 --cacert "$CF_CA" -o "$out" -w '%{http_code}' -X "$m" "$@" "$CF_URL$p"
}
# jq-less JSON look-ups: py EXPR FILE prints EXPR evaluated on the parsed file (as j).
py() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"
}
O=$D/o.json

# TLS: our CA only.
curl -s --max-time 5 -o /dev/null "$CF_URL/zones" && fail "the fake's certificate verified without its CA"

# Envelope and pagination of the zone list (per_page capped at 1 here).
assert_eq 200 "$(api "$O" GET '/zones')" "GET /zones"
assert_eq "True [] []" "$(py 'j["success"], j["errors"], j["messages"]' "$O" | tr -d '(),')" "envelope"
assert_eq "1 1 1 3 3" "$(py '" ".join(str(j["result_info"][k]) for k in ("page","per_page","count","total_count","total_pages"))' "$O")" "result_info"
assert_eq 200 "$(api "$O" GET '/zones?name=sub.example.test')"
assert_eq "$CF_SUB_PENDING_ID pending 2" "$(py 'j["result"][0]["id"]+" "+j["result"][0]["status"]+" "+str(j["result_info"]["total_pages"])' "$O")" "page 1 of sub.example.test"
assert_eq 200 "$(api "$O" GET '/zones?name=sub.example.test&page=2')"
assert_eq "$CF_SUB_ZONE_ID active" "$(py 'j["result"][0]["id"]+" "+j["result"][0]["status"]' "$O")" "page 2 of sub.example.test"
assert_eq 200 "$(api "$O" GET '/zones?name=nothing.test')"
assert_eq "[] 0" "$(py 'j["result"], j["result_info"]["total_count"]' "$O" | tr -d '(),')" "unknown zone name"
assert_eq 400 "$(api "$O" GET '/zones?page=0')" "page=0"

# Authentication errors, in Cloudflare's shapes.
assert_eq 403 "$(raw "$O" GET /zones -H "Authorization: Bearer $CF_BAD_TOKEN")" "unknown token"
assert_eq 9109 "$(py 'j["errors"][0]["code"]' "$O")" "unknown token code"
assert_eq False "$(py 'j["success"]' "$O")"
assert_eq 400 "$(raw "$O" GET /zones -H "Authorization: Token $CF_TOKEN")" "malformed Authorization"
assert_eq "6003 6111" "$(py 'j["errors"][0]["code"], j["errors"][0]["error_chain"][0]["code"]' "$O" | tr -d '(),')"
assert_eq 400 "$(raw "$O" GET /zones)" "no credentials"
assert_eq 6003 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 200 "$(raw "$O" GET /zones -H "X-Auth-Email: $CF_EMAIL" -H "X-Auth-Key: $CF_KEY")" "global key"
assert_eq 403 "$(raw "$O" GET /zones -H "X-Auth-Email: $CF_EMAIL" -H "X-Auth-Key: 0123456789abcdef0123456789abcdef01234")" "wrong global key"
assert_eq 9103 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 400 "$(raw "$O" GET /zones -H "X-Auth-Email: $CF_EMAIL" -H "X-Auth-Key: short")" "malformed global key"
assert_eq 6103 "$(py 'j["errors"][0]["error_chain"][0]["code"]' "$O")"

# Records: create (write-through), quoting, TTL, identical, filters, delete.
N=_acme-challenge.example.test
body() { python3 -c 'import json,sys; print(json.dumps({"type":"TXT","name":sys.argv[1],"content":sys.argv[2],"ttl":int(sys.argv[3])}))' "$@"; }
R=/zones/$CF_ZONE_ID/dns_records
assert_eq 200 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body $N '"quoted-value"' 120)")" "create quoted"
ID1=$(py 'j["result"]["id"]' "$O")
assert_eq "$N TXT 120" "$(py 'j["result"]["name"]+" TXT "+str(j["result"]["ttl"])' "$O")"
assert_eq 200 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body _acme-challenge unquoted-value 1)")" "create relative, unquoted, automatic TTL"
ID2=$(py 'j["result"]["id"]' "$O")
assert_eq "$N" "$(py 'j["result"]["name"]' "$O")" "relative name made absolute"
assert_eq "quoted-value
unquoted-value" "$(bed_txt "$D" $N | sort)" "TXT in DNS after two creates"
assert_eq 400 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body $N quoted-value 120)")" "identical record"
assert_eq 81058 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 400 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body $N other 30)")" "TTL 30"
assert_eq 9021 "$(py 'j["errors"][0]["error_chain"][0]["code"]' "$O")"
assert_eq 400 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body $N '"unterminated' 120)")" "bad TXT"
assert_eq 400 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body 'bad name!' v 120)")" "invalid name"
assert_eq 200 "$(api "$O" GET "$R?type=TXT&name=$N&per_page=1")" "list page 1"
assert_eq "1 2 2" "$(py 'j["result_info"]["count"], j["result_info"]["total_count"], j["result_info"]["total_pages"]' "$O" | tr -d '(),')"
assert_eq 200 "$(api "$O" GET "$R?type=TXT&name=$N&content=quoted-value")" "content filter"
assert_eq "$ID1" "$(py '" ".join(r["id"] for r in j["result"])' "$O")"

# Permissions: a read-only token lists but may not write; a zone id it cannot see.
assert_eq 200 "$(raw "$O" GET "$R" -H "Authorization: Bearer $CF_RO_TOKEN")" "read-only token lists"
assert_eq 403 "$(raw "$O" POST "$R" -H "Authorization: Bearer $CF_RO_TOKEN" -H 'Content-Type: application/json' --data "$(body $N x 120)")" "read-only token writes"
assert_eq 10000 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 403 "$(raw "$O" DELETE "$R/$ID1" -H "Authorization: Bearer $CF_RO_TOKEN")" "read-only token deletes"
assert_eq 400 "$(api "$O" GET "/zones/ffffffffffffffffffffffffffffffff/dns_records")" "unknown zone id"
assert_eq 1003 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 400 "$(api "$O" GET "/zones/not-an-id/dns_records")" "malformed zone id"
assert_eq 7003 "$(py 'j["errors"][0]["code"]' "$O")"

# Delete: write-through, then 81044 for what is gone.
assert_eq 200 "$(api "$O" DELETE "$R/$ID1")" "delete"
assert_eq "$ID1" "$(py 'j["result"]["id"]' "$O")"
assert_eq 404 "$(api "$O" DELETE "$R/$ID1")" "delete again"
assert_eq 81044 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq "unquoted-value" "$(bed_txt "$D" $N)" "TXT in DNS after one delete"
assert_eq 200 "$(api "$O" DELETE "$R/$ID2")"
cf_assert_empty "$D"

# Failure injection: 429 with Retry-After, 502 as HTML, a dropped connection,
# malformed and oversized JSON; then normal service again.
cf_ctl '{"inject": [{"kind": "429", "count": 1, "retry_after": 3}, {"kind": "502", "count": 1},
                    {"kind": "drop", "count": 1}, {"kind": "malformed", "count": 1},
                    {"kind": "oversized", "count": 1}, {"kind": "403", "count": 1, "method": "POST"}]}'
H=$D/h.txt
code=$(curl -s --max-time 10 --cacert "$CF_CA" -D "$H" -o "$O" -w '%{http_code}' -H "Authorization: Bearer $CF_TOKEN" "$CF_URL/zones")
assert_eq 429 "$code" "injected 429"
grep -qi '^retry-after: 3' "$H" || fail "no Retry-After: 3 with the 429"
assert_eq 971 "$(py 'j["errors"][0]["code"]' "$O")"
assert_eq 502 "$(api "$O" GET /zones)" "injected 502"
grep -q '<html>' "$O" || fail "the 502 is not an HTML page"
rc=0
curl -s --max-time 10 --cacert "$CF_CA" -o /dev/null -H "Authorization: Bearer $CF_TOKEN" "$CF_URL/zones" || rc=$?
assert_eq 52 "$rc" "curl exit status for the dropped connection (empty reply)"
assert_eq 200 "$(api "$O" GET /zones)" "injected malformed JSON"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$O" 2>/dev/null && fail "malformed JSON parsed"
assert_eq 200 "$(api "$O" GET /zones)" "injected oversized JSON"
[ "$(stat -c %s "$O")" -gt 2000000 ] || fail "oversized answer is not over 2 MB"
assert_eq 403 "$(api "$O" POST "$R" -H 'Content-Type: application/json' --data "$(body $N v 120)")" "injected 403 on POST"
assert_eq 200 "$(api "$O" GET /zones)" "service after the injections"
curl -sf --max-time 5 --cacert "$CF_CA" "$CF_BASE/__stats" >"$O"
[ "$(py 'j["total"]' "$O")" -gt 30 ] || fail "request statistics"
cf_assert_empty "$D"

# The log names methods, paths and statuses, never a secret.
assert_contains "$D/cf/requests.log" "DELETE /client/v4/zones/$CF_ZONE_ID/dns_records/$ID1 404"
for s in "$CF_TOKEN" "$CF_RO_TOKEN" "$CF_KEY"; do
    assert_not_contains "$D/cf/requests.log" "$s"
    assert_not_contains "$D/cf/fake.log" "$s"
done
echo "PASS: test_cloudflare_fake"
